"""Beyond oc: `isctl history` shows a tag's history; `isctl rollback` moves the tag back to an
older image of that history by tagging from `stream@digest` (the history keeps everything).
Both read the whole history page by page from the istag's `history` path: a stream's status
shows only each tag's recent events."""
from __future__ import annotations

import click

from .. import printers, tagorder
from ..errors import CliError
from ..helptext import command
from ..http import Client, ns_path
from ..humanize import ago
from ..references import split_stream_tag
from ..runtime import connection_options, echo, runtime
from ..tabwriter import table
from .tag import PINNED


def _tag_name(arg: str) -> tuple[str, str]:
    kind, _, name = arg.rpartition("/")
    if kind and kind.lower() not in ("istag", "imagestreamtag", "imagestreamtags"):
        raise click.UsageError(f'expected NAME:TAG or istag/NAME:TAG, got "{arg}"')
    parts = split_stream_tag(name)
    if parts is None:
        raise click.UsageError(f'"{name}" must be of the form <stream_name>:<tag>')
    return parts


def _history(client: Client, namespace: str, stream_name: str, tag: str) -> tuple[dict, list]:
    """The stream and every event of the tag, newest first. The history path answers
    NotFound for no such tag, in the server's words, and no events for a tag without an
    image; a server without that path has the whole history in the stream's status."""
    stream = client.get(ns_path(namespace, "imagestreams", stream_name))
    if client.serves("imagestreamtags/history"):
        return stream, client.list(ns_path(namespace, "imagestreamtags", f"{stream_name}:{tag}",
                                           "history"))
    status = tagorder.status_tag(stream, tag)
    if status is None and tagorder.spec_tag(stream, tag) is None:
        client.get(ns_path(namespace, "imagestreamtags", f"{stream_name}:{tag}"))
    return stream, (status or {}).get("items") or []


def _short(image: str, wide: bool) -> str:
    if not image:
        return "<none>"
    algorithm, _, digest = image.partition(":")
    return image if wide or not digest else f"{algorithm}:{digest[:12]}"


@command("history", examples="""
    # The images python:latest pointed at, newest first
    isctl history python:latest

    # With full digests
    isctl history istag/python:latest -o wide
    """)
@click.argument("name")
@click.option("-o", "--output", type=click.Choice(("wide", "json", "yaml")))
@connection_options
def history(name: str, output: str | None) -> int:
    """The images a tag pointed at, newest first; STEP is what `rollback --steps` counts."""
    stream_name, tag = _tag_name(name)
    rt = runtime()
    _, items = _history(rt.client(), rt.namespace, stream_name, tag)
    if output in ("json", "yaml"):
        echo(printers.dump({"tag": f"{stream_name}:{tag}", "items": items}, output))
        return 0
    if not items:
        echo(f"No history for {stream_name}:{tag}.", err=True)
        return 0
    now, wide = rt.now(), output == "wide"
    rows = [["STEP", "IMAGE", "IMAGE REFERENCE", "GENERATION", "CREATED"]]
    for step, event in enumerate(items):
        rows.append([str(step), _short(event.get("image", ""), wide),
                     event.get("dockerImageReference", ""), str(event.get("generation", 0)),
                     ago(event.get("created"), now)])
    echo(table(rows))
    return 0


def _pick(items: list[dict], to: str | None, steps: int | None, name: str) -> dict:
    if to:
        wanted = to if ":" in to else f"sha256:{to}"
        images = {e["image"] for e in items[1:] if e.get("image", "").startswith(wanted)}
        if len(images) > 1:
            raise CliError(f'"{to}" matches more than one image in the history of {name}')
        if not images:
            raise CliError(f'no image "{to}" in the history of {name}')
        return next(e for e in items[1:] if e.get("image") in images)
    count = 1 if steps is None else steps
    if count < 1:
        raise click.UsageError("--steps must be at least 1")
    if count >= len(items):
        raise CliError(f"{name} has only {max(len(items) - 1, 0)} older entries in its history")
    return items[count]


def _label(stream: str, event: dict) -> str:
    return f"{stream}@{event['image']}" if event.get("image") else event.get(
        "dockerImageReference", "")


@command("rollback", examples="""
    # Point python:latest back at the image it pointed at before
    isctl rollback python:latest

    # Go two images back
    isctl rollback python:latest --steps 2

    # Go back to an image of the tag's history, by a unique prefix of its digest
    isctl rollback python:latest --to sha256:49c18358df82

    # Go back and stay there: imports, pushes and tracking no longer move the tag
    isctl rollback python:latest --pin
    """)
@click.argument("name")
@click.option("--to", help="The image (digest or unique prefix) to go back to.")
@click.option("--steps", type=int, help="How many entries back in the history (default 1).")
@click.option("--pin", is_flag=True, help="Pin the tag to the image it goes back to.")
@connection_options
def rollback(name: str, to: str | None, steps: int | None, pin: bool) -> int:
    """Point a tag at an older image of its own history again; a pinned tag stays pinned."""
    if to and steps is not None:
        raise click.UsageError("--to and --steps may not be both specified")
    stream_name, tag = _tag_name(name)
    rt = runtime()
    client, namespace, now = rt.client(), rt.namespace, rt.now()
    stream, items = _history(client, namespace, stream_name, tag)
    full = f"{stream_name}:{tag}"
    if not items:
        raise CliError(f"{full} has no history to roll back")
    current, target = items[0], _pick(items, to, steps, full)
    if (current.get("image"), current.get("dockerImageReference")) == (
            target.get("image"), target.get("dockerImageReference")):
        echo(f"Tag {full} already points to {_label(stream_name, target)}.")
        return 0
    old_spec = tagorder.spec_tag(stream, tag) or {}
    _warn_about_spec(full, stream, old_spec)
    source = ({"kind": "ImageStreamImage", "name": f"{stream_name}@{target['image']}"}
              if target.get("image") else
              {"kind": "DockerImage", "name": target.get("dockerImageReference", "")})
    spec = {"name": tag, "from": source, "referencePolicy": old_spec.get("referencePolicy")
            or {"type": "Source"}}
    if not target.get("image"):
        spec["reference"] = True  # a pull spec without an image: record it, import nothing
    pinned = pin or (old_spec.get("annotations") or {}).get(PINNED) == "true"
    if pinned:
        spec["annotations"] = {PINNED: "true"}
    client.put(ns_path(namespace, "imagestreamtags", full),
               {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTag",
                "metadata": {"name": full, "namespace": namespace}, "tag": spec})
    echo(f"Tag {full} rolled back from {_label(stream_name, current)} to "
         f"{_label(stream_name, target)}.")
    for word, event in (("was", current), ("now", target)):
        echo(f"  {word}: {event.get('dockerImageReference', '')} (generation "
             f"{event.get('generation', 0)}, first tagged {ago(event.get('created'), now)})")
    if pinned:
        echo(f"Tag {full} is pinned: imports, pushes and tracking leave it here until "
             f"`isctl tag --unpin {full}`.")
    return 0


def _warn_about_spec(name: str, stream: dict, spec: dict) -> None:
    source = spec.get("from") or {}
    if source.get("kind") == "ImageStreamTag":
        try:
            tracked = tagorder.tag_of_source(stream, source)
        except tagorder.TagReferenceError:
            return  # another stream's tag is copied once, never tracked: nothing stops moving
        stream_name = (stream.get("metadata") or {}).get("name", "")
        echo(f"warning: {name} tracked {stream_name}:{tracked}; it now stays on the image it "
             "was rolled back to", err=True)
    elif source.get("kind") == "DockerImage" and (spec.get("importPolicy") or {}).get(
            "scheduled"):
        echo(f"warning: {name} was imported periodically from {source.get('name')}; "
             "periodic import is now off", err=True)
