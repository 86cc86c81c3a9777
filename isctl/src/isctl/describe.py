"""`oc describe` layouts for image streams and images, field for field.

Text is built with tab-separated cells and aligned by the Go tabwriter emulation with
oc's settings, so it lines up in a terminal exactly as oc's does.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from . import tagorder
from .humanize import ago, human_size
from .references import InvalidReference, parse_reference
from .tabwriter import align

NONE = "<none>"


class _Out:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def string(self, label: str, value: Any) -> None:
        """formatString: the first line after the label, the others indented one cell."""
        text = NONE if value is None or value == "" else str(value)
        self.write(f"{label}:")
        for line in text.split("\n"):
            self.write(f"\t{line}\n")

    def mapping(self, label: str, items: dict | None) -> None:
        if not items:
            self.string(label, "")
            return
        for index, key in enumerate(sorted(items)):
            if index == 0:
                self.string(label, f"{key}={items[key]}")
            else:
                self.write(f"\t{key}={items[key]}\n")

    def annotations(self, annotations: dict | None) -> None:
        remaining = dict(annotations or {})
        description = remaining.pop("description", "")
        if description:
            self.string("Description", description)
        self.mapping("Annotations", remaining)

    def text(self) -> str:
        return align("".join(self.parts))


def _meta(out: _Out, meta: dict, now: datetime) -> None:
    out.string("Name", meta.get("name"))
    if meta.get("namespace"):
        out.string("Namespace", meta["namespace"])
    if meta.get("creationTimestamp"):
        out.write(f"Created:\t{ago(meta['creationTimestamp'], now)}\n")
    out.mapping("Labels", meta.get("labels"))
    out.annotations(meta.get("annotations"))


def describe_stream(stream: dict[str, Any], now: datetime) -> str:
    out = _Out()
    _meta(out, stream.get("metadata") or {}, now)
    status = stream.get("status") or {}
    out.string("Image Repository", status.get("publicDockerImageRepository")
               or status.get("dockerImageRepository"))
    local = ((stream.get("spec") or {}).get("lookupPolicy") or {}).get("local", False)
    out.string("Image Lookup", f"local={'true' if local else 'false'}")
    _tags(out, stream, now)
    return out.text()


def _unique_images(status_tags: list[dict]) -> int:
    images: set[str] = set()
    for tag in status_tags:
        for item in tag.get("items") or []:
            # oc keys pull-spec-only events by their (empty) image, so they count once together
            if item.get("image") or item.get("dockerImageReference"):
                images.add(item.get("image") or "")
    return len(images)


def _aliases(stream: dict) -> tuple[set[str], dict[str, set[str]]]:
    """Tags that only follow another tag of the stream, and the followers of each target."""
    followers: set[str] = set()
    by_target: dict[str, set[str]] = {}
    for ref in (stream.get("spec") or {}).get("tags") or []:
        try:
            target, _, multiple = tagorder.follow(stream, ref.get("name", ""))
        except tagorder.TagReferenceError:
            continue
        if multiple:
            followers.add(ref["name"])
            by_target.setdefault(target, set()).add(ref["name"])
    return followers, by_target


def _observed_generation(tag: dict | None) -> int:
    if not tag:
        return 0
    generation = 0
    items = tag.get("items") or []
    if items:
        generation = max(generation, items[0].get("generation") or 0)
    for condition in tag.get("conditions") or []:
        if condition.get("type") == "ImportSuccess":
            generation = max(generation, condition.get("generation") or 0)
            break
    return generation


def _source_line(ref: dict | None, name: str) -> str:
    if ref is None:
        return "  no spec tag"
    source = ref.get("from")
    if not source:
        return "  tag without source image"
    kind, reference = source.get("kind"), ref.get("reference")
    scheduled = (ref.get("importPolicy") or {}).get("scheduled")
    if kind == "ImageStreamTag":
        return (f"  reference to {name}" if reference else
                f"  updates automatically from {name}" if scheduled else f"  tagged from {name}")
    if kind == "DockerImage":
        return (f"  reference to registry {name}" if reference else
                f"  updates automatically from registry {name}" if scheduled else
                f"  tagged from {name}")
    if kind == "ImageStreamImage":
        return f"  reference to image {name}" if reference else f"  tagged from {name}"
    return f"  reference to {kind} {name}" if reference else f"  updates from {kind} {name}"


def _tags(out: _Out, stream: dict, now: datetime) -> None:
    spec_tags = (stream.get("spec") or {}).get("tags") or []
    status_tags = (stream.get("status") or {}).get("tags") or []
    if not spec_tags and not status_tags:
        out.write("Tags:\t<none>\n")
        return
    names = [tag.get("tag", "") for tag in status_tags]
    names += [ref.get("name", "") for ref in spec_tags if ref.get("name") not in names]
    followers, by_target = _aliases(stream)
    out.write(f"Unique Images:\t{_unique_images(status_tags)}\nTags:\t{len(names)}\n\n")
    namespace = (stream.get("metadata") or {}).get("namespace")
    first = True
    for name in tagorder.prioritize(names):
        if name in followers:
            continue
        if not first:
            out.write("\n")
        first = False
        _tag(out, stream, name, namespace, by_target.get(name), now)


def _tag(out: _Out, stream: dict, name: str, namespace: str | None,
         aliases: set[str] | None, now: datetime) -> None:
    status = tagorder.status_tag(stream, name) or {}
    ref = tagorder.spec_tag(stream, name)
    source_name, importing = "", False
    policy = (ref or {}).get("importPolicy") or {}
    if ref and ref.get("from"):
        source = ref["from"]
        source_name = source.get("name", "")
        if source.get("namespace") and source["namespace"] != namespace:
            source_name = f"{source['namespace']}/{source_name}"
        importing = (not ref.get("reference") and ref.get("generation") is not None
                     and ref["generation"] > _observed_generation(status))
    header = f"{name} ({', '.join(tagorder.prioritize(sorted(aliases)))})" if aliases else name
    out.write(f"{header}\n{_source_line(ref, source_name)}\n")
    if policy.get("insecure"):
        out.write("    will use insecure HTTPS or HTTP connections\n")
    if ((ref or {}).get("referencePolicy") or {}).get("type") == "Local":
        out.write("    prefer registry pullthrough when referencing this tag\n")
    out.write("\n")
    _tag_annotations(out, (ref or {}).get("annotations") or {})
    if importing:
        out.write("  ~ importing latest image ...\n")
    for condition in status.get("conditions") or []:
        if condition.get("type") == "ImportSuccess" and condition.get("status") == "False":
            out.write(f"  ! error: Import failed ({condition.get('reason', '')}): "
                      f"{condition.get('message', '')}\n"
                      f"      {ago(condition.get('lastTransitionTime'), now)}\n")
    for index, event in enumerate(status.get("items") or []):
        pull = event.get("dockerImageReference", "")
        out.write(f"  * {pull}\n" if index == 0 else f"    {pull}\n")
        image = event.get("image", "")
        try:
            shown_id = parse_reference(pull).id
        except InvalidReference:
            shown_id = None
        when = ago(event.get("created"), now)
        if image and shown_id is not None and shown_id != image:
            out.write(f"      {when}\t{image}\n")
        else:
            out.write(f"      {when}\n")


def _tag_annotations(out: _Out, annotations: dict) -> None:
    lines = []
    if annotations.get("description"):
        lines.append(f"  {annotations['description']}")
    if annotations.get("tags"):
        lines.append(f"  Tags: {', '.join(annotations['tags'].split(','))}")
    if annotations.get("supports"):
        lines.append(f"  Supports: {', '.join(annotations['supports'].split(','))}")
    if annotations.get("sampleRepo"):
        lines.append(f"  Example Repo: {annotations['sampleRepo']}")
    if lines:
        out.write("\n".join(lines) + "\n\n")


def describe_image(image: dict[str, Any], image_name: str, now: datetime) -> str:
    """oc's DescribeImage: an istag, isimage or image, with the name it was asked by."""
    out = _Out()
    meta = image.get("metadata") or {}
    if image_name:
        out.string("Image Name", image_name)
    out.string("Docker Image", image.get("dockerImageReference"))
    out.string("Name", meta.get("name"))
    if meta.get("creationTimestamp"):
        out.write(f"Created:\t{ago(meta['creationTimestamp'], now)}\n")
    if meta.get("labels"):
        out.mapping("Labels", meta["labels"])
    if meta.get("annotations"):
        out.annotations(meta["annotations"])
    docker = image.get("dockerImageMetadata") or {}
    size = human_size(float(docker.get("Size") or 0))
    layers = image.get("dockerImageLayers") or []
    if not layers:
        out.string("Layer Size", size)
    else:
        out.string("Image Size", f"{size} in {len(layers)} layers")
        out.string("Layers", "\n".join(f"{human_size(float(layer.get('size') or 0))}\t"
                                       f"{layer.get('name', '')}" for layer in layers))
    # oc prints Go's zero time as "292 years ago" when the image has no creation date
    out.string("Image Created", ago(docker.get("Created"), now) if docker.get("Created")
               else "")
    out.string("Author", docker.get("Author"))
    out.string("Arch", docker.get("Architecture"))
    manifests = image.get("dockerImageManifests") or []
    if manifests:
        out.string("Manifests", "\n".join(_platform(m) for m in manifests))
    _config(out, docker.get("Config") or {})
    return out.text()


def _platform(manifest: dict) -> str:
    platform = "/".join(p for p in (manifest.get("os"), manifest.get("architecture"),
                                    manifest.get("variant")) if p)
    return f"{manifest.get('digest', '')}\t{platform}"


def _config(out: _Out, config: dict) -> None:
    has_command = False
    if config.get("Entrypoint"):
        has_command = True
        out.string("Entrypoint", " ".join(config["Entrypoint"]))
    if config.get("Cmd"):
        has_command = True
        out.string("Command", " ".join(config["Cmd"]))
    if not has_command:
        out.string("Command", "")
    out.string("Working Dir", config.get("WorkingDir"))
    out.string("User", config.get("User"))
    out.string("Exposes Ports", ", ".join(sorted(config.get("ExposedPorts") or {})))
    out.mapping("Docker Labels", config.get("Labels"))
    for index, env in enumerate(config.get("Env") or []):
        if index == 0:
            out.string("Environment", env)
        else:
            out.write(f"\t{env}\n")
    for index, volume in enumerate(sorted(config.get("Volumes") or {})):
        if index == 0:
            out.string("Volumes", volume)
        else:
            out.write(f"\t{volume}\n")


def _kubectl_text(text: str) -> str:
    """kubectl's describe output: its tabwriter pads with two spaces, not tabs (and no line
    ends in them)."""
    return "\n".join(line.rstrip() for line in align(text, 0, 8, 2, " ").split("\n"))


def _kubectl_mapping(label: str, items: dict | None) -> str:
    if not items:
        return f"{label}:\t{NONE}\n"
    lines = [f"{label}:\t{key}={items[key]}\n" if index == 0 else f"\t{key}={items[key]}\n"
             for index, key in enumerate(sorted(items))]
    return "".join(lines)


def describe_secret(secret: dict[str, Any]) -> str:
    """kubectl's describe of a Secret without its Data section: the service never answers
    with a secret's values (nor their sizes)."""
    meta = secret.get("metadata") or {}
    text = (f"Name:\t{meta.get('name', '')}\nNamespace:\t{meta.get('namespace', '')}\n"
            + _kubectl_mapping("Labels", meta.get("labels"))
            + _kubectl_mapping("Annotations", meta.get("annotations"))
            + f"\nType:\t{secret.get('type') or 'Opaque'}\n")
    return _kubectl_text(text)


def describe_binding(binding: dict[str, Any]) -> str:
    """kubectl's describe of a RoleBinding or ClusterRoleBinding."""
    meta = binding.get("metadata") or {}
    ref = binding.get("roleRef") or {}
    head = (f"Name:\t{meta.get('name', '')}\n" + _kubectl_mapping("Labels", meta.get("labels"))
            + _kubectl_mapping("Annotations", meta.get("annotations"))
            + f"Role:\n  Kind:\t{ref.get('kind', 'ClusterRole')}\n  Name:\t{ref.get('name', '')}\n")
    rows = "Subjects:\n  Kind\tName\tNamespace\n  ----\t----\t---------\n"
    for subject in binding.get("subjects") or []:
        rows += (f"  {subject.get('kind', '')}\t{subject.get('name', '')}\t"
                 f"{subject.get('namespace') or ''}\n")
    return _kubectl_text(head + rows)
