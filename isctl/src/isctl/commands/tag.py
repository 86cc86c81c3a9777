"""`isctl tag`: every form of `oc tag`, with its checks and messages in its order."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import click

from .. import tagorder
from ..errors import ApiError, CliError, insecure_hint
from ..helptext import command
from ..http import Client, ns_path
from ..references import ImageReference, InvalidReference, parse_reference, split_namespaced
from ..runtime import connection_options, echo, runtime

DOCKER, IST, ISI = "DockerImage", "ImageStreamTag", "ImageStreamImage"
SOURCE_KINDS = {"docker": DOCKER, "dockerimage": DOCKER,
                "imagestreamtag": IST, "imagestreamtags": IST, "istag": IST,
                "imagestreamimage": ISI, "imagestreamimages": ISI, "isimage": ISI}
VALID_SOURCES = "docker, dockerimage, imagestreamimage, imagestreamtag, isimage, istag"
IMPORT_MODES = ("Legacy", "PreserveOriginal")
# The part after `@` of an image stream image: a digest or a unique prefix of its hex part.
DIGEST_PREFIX = re.compile(r"^(?:[A-Za-z][A-Za-z0-9]*:)?[0-9a-fA-F]{1,}$")
# The service's spec tag annotation for a pinned tag: imports, pushes and the tag it tracks
# no longer move it, only a change of its own spec does (the service's README, Pins).
PINNED = "imagestreams.dev/pinned"


@dataclass
class Source:
    kind: str
    ref: ImageReference


@command("tag", examples="""
    # Tag the current image of the image stream tag 'python:3.5' as 'python:latest'
    isctl tag python:3.5 python:latest

    # Tag the current image of 'openshift/ruby:2.0' into another namespace's stream
    isctl tag openshift/ruby:2.0 yourproject/ruby:tip

    # Tag a specific image (a unique prefix of its digest is enough)
    isctl tag python@sha256:49c18358df82 python:stable

    # Make 'python:latest' track 'python:3.6': it moves whenever 3.6 moves
    isctl tag --alias python:3.6 python:latest

    # Tag an external container image, and import it again every 15 minutes
    isctl tag docker.io/python:3.6.0 python:3.6 --scheduled

    # Tag an image from a registry served over plain HTTP
    isctl tag --insecure 127.0.0.1:5050/team/app:1 app:1

    # Record an external pull spec without importing it
    isctl tag --reference --source=docker quay.io/team/app:2 app:2

    # Remove the specified spec tags from an image stream
    isctl tag -d python:3.5 python:2.7

    # Pin python:latest where it is: imports, pushes and tracking no longer move it
    isctl tag --pin python:latest

    # Unpin it: it moves at once to the newest image that waited meanwhile, if any
    isctl tag --unpin python:latest

    # Tag an image and pin the tag to it
    isctl tag --pin python@sha256:49c18358df82 python:latest
    """)
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
@click.option("--pin", is_flag=True, help="Pin the tag: only a change of its own spec moves it.")
@click.option("--unpin", is_flag=True, help="Unpin the tag; it moves to an image that waited.")
@connection_options
def tag(args: tuple[str, ...], source_kind: str | None, delete: bool, alias: bool,
        reference: bool, scheduled: bool, insecure: bool, reference_policy: str,
        import_mode: str | None, pin: bool, unpin: bool) -> int:
    """Tag existing images into image streams: tag SOURCE DEST [DEST...], or tag -d DEST...,
    or pin or unpin one tag where it is: tag --pin|--unpin DEST.

    The source is an image stream tag (stream:tag, resolved to its current image unless
    --alias), an image stream image (stream@digest) or a container image pull spec; a
    destination in another namespace is written namespace/stream:tag. A pinned destination
    stays pinned unless --unpin.
    """
    if not args and not delete:
        raise click.UsageError("you must specify a source and at least one destination or "
                               "one or more tags to delete")
    _check_flags(source_kind, delete=delete, alias=alias, scheduled=scheduled,
                 insecure=insecure, reference_policy=reference_policy, import_mode=import_mode)
    _check_pin_flags(pin, unpin, delete)
    rt = runtime()
    namespace, client = rt.namespace, rt.client()
    if (pin or unpin) and len(args) == 1:
        return _pin_in_place(client, namespace, args[0], pin)
    if len(args) < (1 if delete else 2):
        raise click.UsageError("at least a destination is required")
    source = None
    if not delete:
        source = _source(client, namespace, args[0], source_kind, alias)
        args = args[1:]
    destinations = []
    for arg in args:
        try:
            destinations.append(split_namespaced(arg, namespace))
        except InvalidReference as exc:
            raise CliError(str(exc)) from exc
    _validate(source, destinations, namespace, alias=alias, scheduled=scheduled,
              insecure=insecure, import_mode=import_mode)
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
        if pin or (not unpin and _pinned(client, dest_namespace, istag)):
            body["tag"]["annotations"] = {PINNED: "true"}
        written = _write(client, dest_namespace, istag, body)
        echo(_message(source, dest, dest_namespace, namespace, alias=alias, scheduled=scheduled))
        if not insecure:
            _hint_if_plain_http(written, tag_name or "latest")
    return 0


def _check_flags(hint: str | None, *, delete: bool, alias: bool, scheduled: bool,
                 insecure: bool, reference_policy: str, import_mode: str | None) -> None:
    """oc's checks of the flags alone, as usage errors, before anything is asked of the
    server."""
    if hint and not SOURCE_KINDS.get(hint.lower()):
        raise click.UsageError(f'invalid source "{hint}"; valid values are {VALID_SOURCES}')
    if delete and alias:
        raise click.UsageError("--alias and --delete may not be both specified")
    if reference_policy not in ("source", "local"):
        raise click.UsageError("reference policy must be set to 'source' or 'local'")
    if import_mode is not None and import_mode not in IMPORT_MODES:
        raise click.UsageError("valid ImportMode values are Legacy or PreserveOriginal")
    if delete and hint:
        raise click.UsageError("cannot specify a source kind when deleting")
    if delete and (scheduled or insecure):
        raise click.UsageError("cannot set flags for importing images when deleting a tag")
    if alias and (scheduled or insecure):
        raise click.UsageError("cannot set a container image tag as an alias and also set "
                               "import flags")


def _check_pin_flags(pin: bool, unpin: bool, delete: bool) -> None:
    if pin and unpin:
        raise click.UsageError("--pin and --unpin may not be both specified")
    if delete and (pin or unpin):
        raise click.UsageError("cannot pin or unpin a tag when deleting it")


def _pinned(client: Client, namespace: str, istag: str) -> bool:
    """Whether the tag exists and is pinned: tagging it again keeps the pin."""
    try:
        found = client.get(ns_path(namespace, "imagestreamtags", istag))
    except ApiError as error:
        if error.is_not_found():
            return False
        raise
    return ((found.get("metadata") or {}).get("annotations") or {}).get(PINNED) == "true"


def _pin_in_place(client: Client, namespace: str, arg: str, pin: bool) -> int:
    """Pin or unpin one tag, keeping its image (unpinning moves it to what waited): a merge
    patch of the istag's annotations, which are its spec tag's."""
    try:
        dest_namespace, dest = split_namespaced(arg, namespace)
    except InvalidReference as exc:
        raise CliError(str(exc)) from exc
    if ":" not in dest:
        raise CliError(f'"{dest}" must be of the form <stream_name>:<tag>')
    path = ns_path(dest_namespace, "imagestreamtags", dest)
    before = _image_of(client.get(path))
    after = _image_of(client.patch(path, {"metadata": {"annotations": {
        PINNED: "true" if pin else None}}}))
    target = dest if dest_namespace == namespace else f"{dest_namespace}/{dest}"
    echo(f"Tag {target} {'pinned' if pin else 'unpinned'}.")
    if after != before:
        echo(f"Tag {target} moved to the image that waited: {after}.")
    return 0


def _image_of(istag: Any) -> str:
    return ((istag.get("image") or {}).get("dockerImageReference") or "") if isinstance(
        istag, dict) else ""


def _source(client: Client, namespace: str, spec: str, hint: str | None,
            alias: bool) -> Source:
    kind = SOURCE_KINDS.get(hint.lower(), "") if hint else ""
    ref, digest_prefix = _parse_source(spec, kind)
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
    if digest_prefix:
        return Source(ISI, _full_digest(client, namespace, ref))
    if kind == IST and not alias:
        return _resolve(client, namespace, spec, ref)
    return Source(kind, ref)


def _parse_source(spec: str, kind: str) -> tuple[ImageReference, bool]:
    """The source reference, and whether its digest is only a prefix: `stream@sha256:49c1`
    names an image of a stream as `describe isimage` and `rollback --to` accept it."""
    try:
        return parse_reference(spec), False
    except InvalidReference as exc:
        name, at, digest = spec.rpartition("@")
        if not at or kind == DOCKER or not DIGEST_PREFIX.match(digest):
            raise CliError(f"invalid SOURCE: {exc}") from exc
        try:
            ref = parse_reference(name)
        except InvalidReference:
            raise CliError(f"invalid SOURCE: {exc}") from exc
        if ref.registry or ref.tag:
            raise CliError(f"invalid SOURCE: {exc}") from exc
        return ref.with_(id=digest if ":" in digest else f"sha256:{digest}"), True


def _full_digest(client: Client, namespace: str, ref: ImageReference) -> ImageReference:
    """The image a digest prefix names in its stream, by the server's unique-prefix lookup
    (NotFound, or Conflict when several images match), so the tag records the full digest."""
    found = client.get(ns_path(ref.namespace or namespace, "imagestreamimages",
                               f"{ref.name}@{ref.id}"))
    digest = ((found.get("image") or {}).get("metadata") or {}).get("name") or ref.id
    return ref.with_(id=digest)


def _resolve(client: Client, namespace: str, spec: str, ref: ImageReference) -> Source:
    """Without --alias a tag source is copied: resolve it to its current image now, from the
    ImageStreamTag (what system:image-puller may read in another namespace)."""
    source_namespace = ref.namespace or namespace
    try:
        istag = client.get(ns_path(source_namespace, "imagestreamtags", f"{ref.name}:{ref.tag}"))
    except ApiError as error:
        if not error.is_not_found():
            raise
        # A tag without an image has no ImageStreamTag: its stream says what it points at.
        return _resolve_from_stream(client, source_namespace, spec, ref, error)
    image = ((istag.get("image") or {}).get("metadata") or {}).get("name")
    if not image:
        return _resolve_from_stream(client, source_namespace, spec, ref, None)
    return Source(ISI, ref.with_(id=image, tag=""))


def _resolve_from_stream(client: Client, namespace: str, spec: str, ref: ImageReference,
                         missing: ApiError | None) -> Source:
    try:
        stream = client.get(ns_path(namespace, "imagestreams", ref.name))
    except ApiError as error:
        if missing is not None and error.code == 403:
            raise missing from error  # the stream is not ours to read: the tag's NotFound
        raise
    items = (tagorder.status_tag(stream, ref.tag) or {}).get("items") or []
    if not items:
        raise CliError(f'"{spec}" is not currently pointing to an image, cannot use it as the '
                       "source of a tag")
    event = items[0]
    if not event.get("image"):
        try:
            return Source(DOCKER, parse_reference(event.get("dockerImageReference", "")))
        except InvalidReference as exc:
            raise CliError(f'the image stream tag "{spec}" has an invalid pull spec and cannot '
                           f"be used to tag: {exc}") from exc
    return Source(ISI, ref.with_(id=event["image"], tag=""))


def _validate(source: Source | None, destinations: list, namespace: str, *, alias: bool,
              scheduled: bool, insecure: bool, import_mode: str | None) -> None:
    """oc's checks that need the source: what kind it turned out to be, and where it is."""
    if source is None:
        return
    if source.kind != DOCKER and (scheduled or insecure or import_mode is not None):
        raise CliError("only container images can have importing flags set")
    if alias:
        for dest_namespace, dest in destinations:
            if ":" not in dest:
                raise CliError(f'"{dest}" must be of the form <stream_name>:<tag>')
            if dest_namespace != namespace or dest.partition(":")[0] != source.ref.name:
                raise CliError("cannot set alias across different Image Streams")


def _istag_body(source: Source, dest: str, dest_namespace: str, namespace: str, tag_name: str,
                *, reference: bool, scheduled: bool, insecure: bool, policy: str,
                import_mode: str | None) -> dict:
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
    import_policy: dict[str, bool | str] = {
        key: True for key, on in (("insecure", insecure), ("scheduled", scheduled)) if on}
    if import_mode:
        import_policy["importMode"] = import_mode
    spec.update({"importPolicy": import_policy,
                 "referencePolicy": {"type": "Local" if policy == "local" else "Source"},
                 "from": source_ref})
    return {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTag",
            "metadata": {"name": dest, "namespace": dest_namespace}, "tag": spec}


def _write(client: Client, namespace: str, istag: str, body: dict) -> Any:
    """Create or update the tag; servers that cannot update a tag in place may create it."""
    try:
        return client.put(ns_path(namespace, "imagestreamtags", istag), body)
    except ApiError as error:
        if error.code not in (403, 404, 405):
            raise
        return client.post(ns_path(namespace, "imagestreamtags"), body)


def _hint_if_plain_http(written: Any, tag_name: str) -> None:
    """The server imports a container image while answering: when that import met a
    registry speaking plain HTTP, say that --insecure is what it needs."""
    if not isinstance(written, dict):
        return
    for condition in written.get("conditions") or []:
        hint = insecure_hint(str(condition.get("message") or ""))
        if condition.get("status") == "False" and hint:
            echo(f"warning: the import of tag {tag_name} failed: {condition.get('message')}",
                 err=True)
            echo(hint, err=True)
            return


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
