"""What `isctl import-image` sends and prints: the ImageStreamImport requests for one
stream, the plan of which tags to import (oc's createImageImport and importTag), and oc's
output. The command (commands/import_image.py) parses its arguments and calls
`run_import`; everything here is free of click.
"""
from __future__ import annotations

from typing import Any

from . import tagorder
from .describe import describe_image, describe_stream
from .errors import ApiError, CliError, insecure_hint
from .http import Client, ns_path
from .progress import Progress
from .runtime import Runtime, echo

INSECURE_ANNOTATION = "openshift.io/image.insecureRepository"


class StreamImportRequests:
    """The ImageStreamImport bodies for one stream with the command's flags, and their
    sending."""

    def __init__(self, client: Client, namespace: str, name: str, *, dry_run: bool,
                 scheduled: bool, insecure: bool | None, policy: str | None,
                 import_mode: str | None):
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


def _single_tag(stream: dict, tag: str, source: str | None) -> tuple[str, str]:
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


def _plan(importer: StreamImportRequests, stream: dict | None, target: str, tag: str,
          source: str | None, confirm: bool, all_tags: bool
          ) -> tuple[dict, dict[str, str], str | None]:
    """(stream, tags to import, repository to set) following oc's createImageImport."""
    if stream is None:
        if not confirm:
            raise CliError(f'no image stream named "{importer.name}" exists, pass --confirm to '
                           "create and import")
        origin = source or target
        return {"metadata": {"name": importer.name}, "spec": {}}, (
            {} if all_tags else {tag: origin}), origin if all_tags else None
    if not all_tags:
        final, origin = _single_tag(stream, tag, source)
        return stream, {final: origin}, None
    current = (stream.get("spec") or {}).get("dockerImageRepository") or ""
    origin = source or current
    if not origin:
        tags = {ref["name"]: (ref.get("from") or {}).get("name", "")
                for ref in (stream.get("spec") or {}).get("tags") or []
                if (ref.get("from") or {}).get("kind") == "DockerImage"}
        if not tags:
            raise CliError("image stream does not have tags pointing to external container "
                           "images")
        return stream, tags, None
    if origin != current and not confirm:
        if not current:
            raise CliError("the image stream does not currently import an entire Docker "
                           "repository, pass --confirm to update")
        raise CliError(f'the image stream has a different import spec "{current}", pass '
                       "--confirm to update")
    return stream, {}, origin


def run_import(rt: Runtime, importer: StreamImportRequests, target: str, tag: str,
               source: str | None, *, confirm: bool, all_tags: bool) -> int:
    """Plan, send and print one `import-image`; the exit code."""
    client, namespace, name = importer.client, importer.namespace, importer.name
    try:
        existing: dict | None = client.get(ns_path(namespace, "imagestreams", name))
    except ApiError as error:
        if not error.is_not_found():
            raise
        existing = None
    stream, tags, repository = _plan(importer, existing, target, tag, source, confirm, all_tags)
    additional: list[str] = []
    found: dict = {}
    if repository:
        listing = importer.send(importer.repository_import(stream, repository, dry_run=True))
        found = ((listing.get("status") or {}).get("repository") or {})
        tags = {image["tag"]: f"{repository}:{image['tag']}"
                for image in found.get("images") or [] if image.get("tag")}
        additional = list(found.get("additionalTags") or [])
        outcome = found.get("status") or {}
        if outcome.get("status") == "Failure":
            hints = Hints()
            hints.error(f"error: repository {repository} failed: {outcome.get('message', '')}")
            if existing is None:
                # Nothing was imported and no stream made: saying "imported" would be untrue.
                return 1
        if not importer.dry_run and outcome.get("status") != "Failure":
            _set_repository(client, namespace, name, existing, repository)
    results = _import_each(importer, stream, tags, rt) if all_tags else [
        importer.send(importer.tags_import(stream, tags))]
    if repository and (found.get("status") or {}).get("status") == "Failure":
        results.insert(0, {"status": {"repository": {"status": found["status"]}}})
    _print(importer, results, tags, additional, rt, from_repository=bool(repository))
    return 0


class Hints:
    """Error lines, each followed once by the hint its cause calls for (--insecure for a
    registry that answered in plain HTTP)."""

    def __init__(self) -> None:
        self.given: set[str] = set()

    def error(self, line: str) -> None:
        echo(line, err=True)
        hint = insecure_hint(line)
        if hint and hint not in self.given:
            self.given.add(hint)
            echo(hint, err=True)


def _set_repository(client: Client, namespace: str, name: str, existing: dict | None,
                    repository: str) -> None:
    """Record the repository as the stream's import source, as a repository import does."""
    if existing is None:
        client.post(ns_path(namespace, "imagestreams"),
                    {"apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
                     "metadata": {"name": name}, "spec": {"dockerImageRepository": repository}})
    elif (existing.get("spec") or {}).get("dockerImageRepository") != repository:
        client.patch(ns_path(namespace, "imagestreams", name),
                     {"spec": {"dockerImageRepository": repository}})


def _import_each(importer: StreamImportRequests, stream: dict, tags: dict[str, str],
                 rt: Runtime) -> list[dict]:
    """One ImageStreamImport per tag, so the bar moves as each tag lands."""
    progress = Progress(len(tags), f"Importing {len(tags)} tags") if len(tags) > 1 else None
    results = []
    for tag, origin in tags.items():
        try:
            result = importer.send(importer.tags_import(stream, {tag: origin}))
            imported = (result.get("status") or {}).get("import")
            if imported:  # the next import must name the stream's new version
                stream = imported
        except ApiError as error:
            result = {"spec": {"images": [{"to": {"name": tag}}]}, "status": {"images": [
                {"tag": tag, "status": {"status": "Failure", "message": error.message}}]}}
        results.append(result)
        if progress:
            progress.advance(tag)
    if progress:
        progress.close()
    return results


def _failed(result: dict) -> bool:
    status = result.get("status") or {}
    repository = status.get("repository") or {}
    return (any((i.get("status") or {}).get("status") == "Failure" for i in
                status.get("images") or [])
            or (repository.get("status") or {}).get("status") == "Failure")


def _print(importer: StreamImportRequests, results: list[dict], tags: dict[str, str],
           additional: list[str], rt: Runtime, *, from_repository: bool) -> None:
    """oc's output. Tags of a repository are imported one request each here, where oc sends
    one repository import: their failures are worded as oc words a repository's."""
    now, name = rt.now(), importer.name
    failed = "repository tag" if from_repository else "tag"
    message = "imported with errors" if any(_failed(r) for r in results) else "imported"
    if importer.dry_run:
        message += " (dry run)"
    message += "\n\n"
    stream: dict | None = None
    hints = Hints()
    for result in results:
        stream = (result.get("status") or {}).get("import") or stream
    if stream:
        message += describe_stream(stream, now) + "\n"
    for result in results:
        status = result.get("status") or {}
        wanted = [(i.get("to") or {}).get("name", "") for i in
                  (result.get("spec") or {}).get("images") or []]
        images = list((status.get("repository") or {}).get("images") or [])
        images += status.get("images") or []
        for index, image in enumerate(images):
            tag = image.get("tag") or (wanted[index] if index < len(wanted) else "")
            if image.get("image"):
                message += describe_image(image["image"], f"{name}:{tag}", now) + "\n"
            else:
                reason = (image.get("status") or {}).get("message", "")
                hints.error(f"error: {failed} {tag} failed: {reason}")
    if additional:
        message += (f"\ninfo: The remote repository contained {len(additional)} additional "
                    f"tags which were not imported: {', '.join(additional)}\n")
    echo(f"imagestream.image.openshift.io/{name} {message}")
