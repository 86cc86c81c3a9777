"""`isctl adm prune images`: oc's command over the service's ImagePruneRuns.

oc's flags where they mean something here: --keep-tag-revisions, --keep-younger-than,
--confirm (a dry run without it), --prune-registry and the namespace flag (only an explicit
-n/--namespace restricts the run, as in oc). Unlike oc, --prune-registry is off unless
given: a deletion from ECR cannot be undone and the registry may hold images other tools
pushed. oc's registry connection flags (--registry-url, --certificate-authority,
--force-insecure), --all and --prune-over-size-limit have no counterpart: the service
reaches its registry itself and knows no limit ranges.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Callable

import click

from ..helptext import command, group
from ..printers import dump
from ..prune_run import (
    API_ONLY_NOTE,
    DRY_RUN_HINT,
    PruneProgress,
    PruneSpec,
    failure,
    follow,
    run_path,
    summary,
)
from ..runtime import connection_options, echo, runtime
from .tokens import parse_duration


def _go_bool(name: str, help_text: str) -> Callable[[Callable], Callable]:
    """A cobra-style boolean flag: `--confirm` alone is true, `--confirm=false` false."""
    return click.option(name, type=click.BOOL, is_flag=False, flag_value=True,
                        default=False, help=help_text)


def _duration(text: str, option: str) -> timedelta:
    value = parse_duration(text, option)
    if value < timedelta(0):
        raise click.UsageError(f"{option} must be greater than or equal to 0")
    return value


@command("images", examples="""
    # See what would be deleted: keep 3 revisions per tag and everything younger than an hour
    isctl adm prune images --keep-tag-revisions=3 --keep-younger-than=60m

    # To actually perform the prune operation, the confirm flag must be appended
    isctl adm prune images --keep-tag-revisions=3 --keep-younger-than=60m --confirm

    # Prune only the history of the streams of namespace team (images stay: they are shared)
    isctl adm prune images -n team --confirm

    # Also delete the ECR images no stream references any more (cannot be undone)
    isctl adm prune images --confirm --prune-registry

    # The finished run as YAML, for a script
    isctl adm prune images --confirm -o yaml
    """)
@_go_bool("--confirm", "If true, specify that image pruning should proceed. Defaults to false, "
                      "displaying what would be deleted but not actually deleting anything.")
@click.option("--keep-tag-revisions", type=int, default=3, show_default=True,
              help="Specify the number of image revisions for a tag in an image stream that "
                   "will be preserved.")
@click.option("--keep-younger-than", default="60m", show_default=True,
              help="Specify the minimum age of an image and its referrers for it to be "
                   "considered a candidate for pruning (a duration: 60m, 1h30m, 48h).")
@click.option("--timeout", default="0s", show_default=True,
              help="How long to wait for the run to finish (0s: until it does); the run goes "
                   "on in the service either way.")
@_go_bool("--prune-registry", "If true, also delete from ECR the images no stream references "
                             "any more. Off unless given (oc's is on): an ECR deletion cannot "
                             "be undone and the registry is shared.")
@click.option("-o", "--output", type=click.Choice(("json", "yaml")),
              help="Print the finished ImagePruneRun in this format instead of the summary.")
@connection_options
def prune_images(confirm: bool, keep_tag_revisions: int, keep_younger_than: str,
                 timeout: str, prune_registry: bool, output: str | None) -> int:
    """Remove image stream history and images no stream uses any more.

    Keeps every tag's current image and its newest --keep-tag-revisions events, everything
    younger than --keep-younger-than, every image any stream's tag or kept history
    references (in any namespace) and the whole history of pinned tags. A dry run unless
    --confirm is given. The service does the work in steps; this command starts the run,
    shows its progress and prints what was (or would be) removed.
    """
    if keep_tag_revisions < 0:
        raise click.UsageError("--keep-tag-revisions must be greater than or equal to 0")
    _duration(keep_younger_than, "--keep-younger-than")
    wait = _duration(timeout, "--timeout")
    rt = runtime()
    spec = PruneSpec(keep_tag_revisions, keep_younger_than, dry_run=not confirm,
                     prune_registry=prune_registry, namespace=rt.flags.namespace)
    client = rt.client()
    run = client.post(run_path(), spec.body())
    if not confirm:
        echo(DRY_RUN_HINT, err=True)
    if not prune_registry and not output:
        echo(API_ONLY_NOTE)
    run = follow(rt, client, run, wait, PruneProgress())
    if output:
        echo(dump(run, output))
    else:
        echo(summary(run))
        message = (run.get("status") or {}).get("message")
        if message and (run.get("status") or {}).get("phase") != "Failed":
            echo(message)
    error = failure(run)
    if error is not None:
        raise error
    return 0


@group("prune", examples="""
    # See what pruning images would remove
    isctl adm prune images
    """)
def prune() -> None:
    """Remove older versions of resources from the service."""


prune.add_command(prune_images)
