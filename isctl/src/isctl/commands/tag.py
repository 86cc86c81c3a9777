"""`isctl tag`: every form of `oc tag`, with its checks and messages in its order."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import click

from .. import tagorder
from ..errors import ApiError, CliError
from ..http import Client, ns_path
from ..references import ImageReference, ReferenceError, parse_reference, split_namespaced
from ..runtime import connection_options, echo, runtime

DOCKER, IST, ISI = "DockerImage", "ImageStreamTag", "ImageStreamImage"
SOURCE_KINDS = {"docker": DOCKER, "dockerimage": DOCKER,
                "imagestreamtag": IST, "imagestreamtags": IST, "istag": IST,
                "imagestreamimage": ISI, "imagestreamimages": ISI, "isimage": ISI}
VALID_SOURCES = "docker, dockerimage, imagestreamimage, imagestreamtag, isimage, istag"
IMPORT_MODES = ("Legacy", "PreserveOriginal")


@dataclass
class Source:
    kind: str
    ref: ImageReference


@click.command("tag")
@click.argument("args", nargs=-1)
@click.option("--source", "source_kind", help="Source type: imagestreamtag (istag), "
              "imagestreamimage (isimage) or docker.")
@click.option("-d", "--delete", is_flag=True, help="Delete the given spec tags.")
@click.option("--alias", is_flag=True, help="Track the source tag: move whenever it moves.")
@click.option("--reference", is_flag=True, help="Point at the source without importing it.")
@click.option("--scheduled", is_flag=True, help="Import the container image periodically.")
@click.option("--insecure", is_flag=True, help="Import over HTTP or without a valid certificate.")
@click.option("--reference-policy", default="source", show_default=True,
              help="'local' to prefer pulling through the integrated registry.")
@click.option("--import-mode", help="Legacy or PreserveOriginal (keep manifest lists).")
@connection_options
def tag(args: tuple[str, ...], source_kind: Optional[str], delete: bool, alias: bool,
        reference: bool, scheduled: bool, insecure: bool, reference_policy: str,
        import_mode: Optional[str]) -> int:
    """Tag existing images into image streams: tag SOURCE DEST [DEST...], or tag -d DEST..."""
    if not args and not delete:
        raise click.UsageError("you must specify a source and at least one destination or "
                               "one or more tags to delete")
    rt = runtime()
    namespace, client = rt.namespace, rt.client()
    source = None
    if not delete:
        source = _source(client, namespace, args[0], source_kind, alias)
        args = args[1:]
    destinations = []
    for arg in args:
        try:
            destinations.append(split_namespaced(arg, namespace))
        except ReferenceError as exc:
            raise CliError(str(exc)) from exc
    _validate(source, source_kind, destinations, namespace, delete=delete, alias=alias,
              scheduled=scheduled, insecure=insecure, reference_policy=reference_policy,
              import_mode=import_mode)
    for dest_namespace, dest in destinations:
        if ":" not in dest:
            raise CliError(f'"{dest}" must be of the form <stream_name>:<tag>')
        stream, _, tag_name = dest.partition(":")
        istag = f"{stream}:{tag_name or 'latest'}"
        if delete:
            client.delete(ns_path(dest_namespace, "imagestreamtags", istag))
            echo(f"Deleted tag {dest_namespace}/{dest}.")
            continue
        assert source is not None
        body = _istag_body(source, istag, dest_namespace, namespace, tag_name or "latest",
                           reference=reference, scheduled=scheduled, insecure=insecure,
                           policy=reference_policy, import_mode=import_mode)
        _write(client, dest_namespace, istag, body)
        echo(_message(source, dest, dest_namespace, namespace, alias=alias, scheduled=scheduled))
    return 0


def _source(client: Client, namespace: str, spec: str, hint: Optional[str],
            alias: bool) -> Source:
    kind = ""
    if hint:
        kind = SOURCE_KINDS.get(hint.lower(), "")
        if not kind:
            raise click.UsageError(f'invalid source "{hint}"; valid values are {VALID_SOURCES}')
    try:
        ref = parse_reference(spec)
    except ReferenceError as exc:
        raise CliError(f"invalid SOURCE: {exc}") from exc
    if kind in (IST, ISI):
        if ref.registry:
            raise CliError("server in SOURCE is only allowed when providing a container image")
        if ref.namespace == "library":  # Docker's default namespace means "the current one"
            ref = ref.with_(namespace=namespace)
        if kind == IST and not ref.tag:
            raise CliError("--source=ImageStreamTag requires a valid <name>:<tag> in SOURCE")
        if kind == ISI and not ref.id:
            raise CliError("--source=ImageStreamImage requires a valid <name>@<id> in SOURCE")
    elif not kind:
        kind = DOCKER if ref.registry else ISI if ref.id else IST if ref.tag else DOCKER
    if kind == IST and not alias:
        return _resolve(client, namespace, spec, ref)
    return Source(kind, ref)


def _resolve(client: Client, namespace: str, spec: str, ref: ImageReference) -> Source:
    """Without --alias a tag source is copied: resolve it to its current image now."""
    stream = client.get(ns_path(ref.namespace or namespace, "imagestreams", ref.name))
    items = (tagorder.status_tag(stream, ref.tag) or {}).get("items") or []
    if not items:
        raise CliError(f'"{spec}" is not currently pointing to an image, cannot use it as the '
                       "source of a tag")
    event = items[0]
    if not event.get("image"):
        try:
            return Source(DOCKER, parse_reference(event.get("dockerImageReference", "")))
        except ReferenceError as exc:
            raise CliError(f'the image stream tag "{spec}" has an invalid pull spec and cannot '
                           f"be used to tag: {exc}") from exc
    return Source(ISI, ref.with_(id=event["image"], tag=""))


def _validate(source: Optional[Source], hint: Optional[str], destinations: list, namespace: str,
              *, delete: bool, alias: bool, scheduled: bool, insecure: bool,
              reference_policy: str, import_mode: Optional[str]) -> None:
    if delete and alias:
        raise CliError("--alias and --delete may not be both specified")
    if reference_policy not in ("source", "local"):
        raise CliError("reference policy must be set to 'source' or 'local'")
    if import_mode is not None and import_mode not in IMPORT_MODES:
        raise CliError("valid ImportMode values are Legacy or PreserveOriginal")
    if delete:
        if hint:
            raise CliError("cannot specify a source kind when deleting")
        if scheduled or insecure:
            raise CliError("cannot set flags for importing images when deleting a tag")
    if not destinations:
        raise CliError("at least a destination is required")
    if source is None:
        return
    if source.kind != DOCKER and (scheduled or insecure or import_mode is not None):
        raise CliError("only container images can have importing flags set")
    if alias:
        if scheduled or insecure:
            raise CliError("cannot set a container image tag as an alias and also set import "
                           "flags")
        for dest_namespace, dest in destinations:
            if ":" not in dest:
                raise CliError(f'"{dest}" must be of the form <stream_name>:<tag>')
            if dest_namespace != namespace or dest.partition(":")[0] != source.ref.name:
                raise CliError("cannot set alias across different Image Streams")


def _istag_body(source: Source, dest: str, dest_namespace: str, namespace: str, tag_name: str,
                *, reference: bool, scheduled: bool, insecure: bool, policy: str,
                import_mode: Optional[str]) -> dict:
    source_ref: dict = {"kind": source.kind}
    spec: dict = {"name": tag_name}
    if source.kind == DOCKER:
        source_ref["name"] = source.ref.exact()
        spec["generation"] = 0  # a new generation: the server imports the image again
    else:
        source_ref["name"] = source.ref.name_string()
        origin = source.ref.namespace or (namespace if dest_namespace != namespace else "")
        if origin:
            source_ref["namespace"] = origin
    if reference:
        spec["reference"] = True
    import_policy = {key: True for key, on in (("insecure", insecure), ("scheduled", scheduled))
                     if on}
    if import_mode:
        import_policy["importMode"] = import_mode
    spec.update({"importPolicy": import_policy,
                 "referencePolicy": {"type": "Local" if policy == "local" else "Source"},
                 "from": source_ref})
    return {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTag",
            "metadata": {"name": dest, "namespace": dest_namespace}, "tag": spec}


def _write(client: Client, namespace: str, istag: str, body: dict) -> None:
    """Create or update the tag; servers that cannot update a tag in place may create it."""
    try:
        client.put(ns_path(namespace, "imagestreamtags", istag), body)
    except ApiError as error:
        if error.code not in (403, 404, 405):
            raise
        client.post(ns_path(namespace, "imagestreamtags"), body)


def _message(source: Source, dest: str, dest_namespace: str, namespace: str, *, alias: bool,
             scheduled: bool) -> str:
    target = dest if namespace == dest_namespace else f"{dest_namespace}/{dest}"
    exact = source.ref.exact()
    if alias:
        return f"Tag {target} set up to track {exact}."
    if scheduled:
        # oc leaves "import" out when the tag is in another namespace; so do we
        if namespace == dest_namespace:
            return f"Tag {target} set to import {exact} periodically."
        return f"Tag {target} set to {exact} periodically."
    return f"Tag {target} set to {exact}."
