"""`isctl import-image`: oc's import-image over the ImageStreamImport API.

With --all and more than one tag, each tag is imported by its own ImageStreamImport so a
progress bar can follow; a repository is first listed with a dry run (as many tags as the
server would import, the rest reported as oc reports them). This module parses the
arguments; the requests, the plan and the output are in `isctl.image_import`.
"""
from __future__ import annotations

import click

from ..errors import CliError
from ..helptext import command
from ..image_import import StreamImportRequests, run_import
from ..references import InvalidReference, parse_reference
from ..runtime import connection_options, runtime


def _target(target: str, all_tags: bool) -> tuple[str, str]:
    try:
        ref = parse_reference(target)
    except InvalidReference as exc:
        raise CliError("the image name must be a valid container image pull spec or reference "
                       "to an image stream (e.g. myregistry/myteam/image:tag)") from exc
    if ref.id:
        raise CliError("to import images by ID, use the 'tag' command")
    if ref.tag and all_tags:
        raise CliError(f'cannot specify a tag "{target}" as well as --all')
    return ref.name, ref.tag or ("" if all_tags else "latest")


@command("import-image", examples="""
    # Import tag latest into a new image stream
    isctl import-image mystream --from=registry.io/repo/image:latest --confirm

    # Update imported data for tag latest in an already existing image stream
    isctl import-image mystream

    # Update imported data for tag stable in an already existing image stream
    isctl import-image mystream:stable

    # Update imported data for all tags in an existing image stream
    isctl import-image mystream --all

    # Import all tags into a new image stream
    isctl import-image mystream --from=registry.io/repo/image --all --confirm

    # Import from a registry served over plain HTTP (the local stack's, for one)
    isctl import-image app:1 --from=127.0.0.1:5050/team/app:1 --confirm --insecure
    """)
@click.argument("target")
@click.option("--from", "source", help="The container image repository to import from.")
@click.option("--confirm", is_flag=True, help="Allow creating the stream or changing its source.")
@click.option("--all", "all_tags", is_flag=True, help="Import every tag of the source.")
@click.option("--scheduled", is_flag=True, help="Import the images periodically from now on.")
@click.option("--insecure/--secure", default=None, help="Allow HTTP or invalid certificates.")
@click.option("--reference-policy", type=click.Choice(("source", "local")))
@click.option("--import-mode", type=click.Choice(("Legacy", "PreserveOriginal")))
@click.option("--dry-run", is_flag=True, help="Fetch image information without changing anything.")
@connection_options
def import_image(target: str, source: str | None, confirm: bool, all_tags: bool,
                 scheduled: bool, insecure: bool | None, reference_policy: str | None,
                 import_mode: str | None, dry_run: bool) -> int:
    """Import image information from a container image registry: IMAGESTREAM[:TAG]."""
    name, tag = _target(target, all_tags)
    rt = runtime()
    client, namespace = rt.client(), rt.namespace
    if not client.serves("imagestreamimports"):
        raise CliError("this server does not import images yet (it has no imagestreamimports "
                       "resource); use `isctl tag --reference` to record a pull spec")
    importer = StreamImportRequests(client, namespace, name, dry_run=dry_run,
                                    scheduled=scheduled, insecure=insecure,
                                    policy=reference_policy, import_mode=import_mode)
    return run_import(rt, importer, target, tag, source, confirm=confirm, all_tags=all_tags)
