"""`isctl import-image`: oc's import-image over the ImageStreamImport API.

With --all and more than one tag, each tag is imported by its own ImageStreamImport so a
progress bar can follow; a repository is first listed with a dry run (as many tags as the
server would import, the rest reported as oc reports them).
"""
from __future__ import annotations

from typing import Any, Optional

import click

from .. import tagorder
from ..errors import ApiError, CliError
from ..helptext import command
from ..http import Client, ns_path
from ..references import ReferenceError, parse_reference
from ..runtime import connection_options, echo, runtime

INSECURE_ANNOTATION = "openshift.io/image.insecureRepository"


class Importer:
    def __init__(self, client: Client, namespace: str, name: str, *, dry_run: bool,
                 scheduled: bool, insecure: Optional[bool], policy: Optional[str],
                 import_mode: Optional[str]):
        self.client, self.namespace, self.name = client, namespace, name
        self.dry_run, self.scheduled, self.insecure = dry_run, scheduled, insecure
        self.policy, self.import_mode = policy, import_mode

    def _isi(self, stream: dict) -> dict:
        meta = {"name": self.name, "namespace": self.namespace}
        version = (stream.get("metadata") or {}).get("resourceVersion")
        if version:
            meta["resourceVersion"] = version
        return {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamImport",
                "metadata": meta, "spec": {"import": not self.dry_run}}

    def _stream_insecure(self, stream: dict) -> bool:
        if self.insecure is not None:  # the flag, when given, wins over the annotation
            return self.insecure
        annotations = (stream.get("metadata") or {}).get("annotations") or {}
        return annotations.get(INSECURE_ANNOTATION) == "true"

    def _policies(self, insecure: bool, scheduled: bool) -> dict:
        policy: dict[str, Any] = {"importPolicy": {"insecure": insecure, "scheduled": scheduled}}
        if self.import_mode:
            policy["importPolicy"]["importMode"] = self.import_mode
        if self.policy:
            policy["referencePolicy"] = {"type": "Local" if self.policy == "local" else "Source"}
        return policy

    def tags_import(self, stream: dict, tags: dict[str, str]) -> dict:
        isi = self._isi(stream)
        images = []
        for tag, source in tags.items():
            old = tagorder.spec_tag(stream, tag) or {}
            old_policy = old.get("importPolicy") or {}
            images.append({"from": {"kind": "DockerImage", "name": source}, "to": {"name": tag},
                           **self._policies(self._stream_insecure(stream)
                                            or bool(old_policy.get("insecure")),
                                            self.scheduled or bool(old_policy.get("scheduled")))})
        isi["spec"]["images"] = images
        return isi

    def repository_import(self, stream: dict, source: str, dry_run: bool) -> dict:
        isi = self._isi(stream)
        isi["spec"]["import"] = not dry_run
        isi["spec"]["repository"] = {"from": {"kind": "DockerImage", "name": source},
                                     **self._policies(self._stream_insecure(stream),
                                                      self.scheduled)}
        return isi

    def send(self, isi: dict) -> dict:
        return self.client.post(ns_path(self.namespace, "imagestreamimports"), isi)


def _target(target: str, all_tags: bool) -> tuple[str, str]:
    try:
        ref = parse_reference(target)
    except ReferenceError as exc:
        raise CliError("the image name must be a valid container image pull spec or reference "
                       "to an image stream (e.g. myregistry/myteam/image:tag)") from exc
    if ref.id:
        raise CliError("to import images by ID, use the 'tag' command")
    if ref.tag and all_tags:
        raise CliError(f'cannot specify a tag "{target}" as well as --all')
    return ref.name, ref.tag or ("" if all_tags else "latest")


def _single_tag(stream: dict, tag: str, source: Optional[str]) -> tuple[str, str]:
    """oc's importTag: follow aliases, refuse what is not a container image tag."""
    try:
        final, existing, multiple = tagorder.follow(stream, tag)
    except tagorder.TagReferenceError as error:
        reason = str(error)
        if reason == "invalid":
            raise CliError(f'tag "{tag}" points to an invalid imagestreamtag') from error
        if reason == "cross-stream":
            raise CliError(f'tag "{tag}" points to an imagestreamtag from another ImageStream'
                           ) from error
        if reason == "circular":
            raise CliError(f'tag "{tag}" on the image stream is a reference to same tag'
                           ) from error
        if not source and tag == "latest":
            source = (stream.get("spec") or {}).get("dockerImageRepository")
        if not source:
            raise CliError(f'the tag "{tag}" does not exist on the image stream - choose an '
                           "existing tag to import or use the 'tag' command to create a new tag"
                           ) from error
        return tag, source
    origin = (existing or {}).get("from")
    if origin and origin.get("kind") != "DockerImage":
        raise CliError(f'tag "{tag}" points to existing {origin.get("kind")} '
                       f'"{origin.get("name")}", it cannot be re-imported')
    if not origin:
        raise CliError(f'tag "{tag}" already exists - you must use the \'tag\' command if you '
                       f'want to change the source to "{source}"')
    if source and source != origin.get("name"):
        if multiple:
            raise CliError(f'the tag "{tag}" points to the tag "{final}" which points to '
                           f'"{origin.get("name")}" - use the \'tag\' command if you want to '
                           f'change the source to "{source}"')
        raise CliError(f'the tag "{tag}" points to "{origin.get("name")}" - use the \'tag\' '
                       f'command if you want to change the source to "{source}"')
    return (final if multiple else tag), origin.get("name", "")


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
def import_image(target: str, source: Optional[str], confirm: bool, all_tags: bool,
                 scheduled: bool, insecure: Optional[bool], reference_policy: Optional[str],
                 import_mode: Optional[str], dry_run: bool) -> int:
    """Import image information from a container image registry: IMAGESTREAM[:TAG]."""
    name, tag = _target(target, all_tags)
    rt = runtime()
    client, namespace = rt.client(), rt.namespace
    if not client.serves("imagestreamimports"):
        raise CliError("this server does not import images yet (it has no imagestreamimports "
                       "resource); use `isctl tag --reference` to record a pull spec")
    importer = Importer(client, namespace, name, dry_run=dry_run, scheduled=scheduled,
                        insecure=insecure, policy=reference_policy, import_mode=import_mode)
    from .import_run import run_import  # the request plan and the printing live there
    return run_import(rt, importer, target, tag, source, confirm=confirm, all_tags=all_tags)
