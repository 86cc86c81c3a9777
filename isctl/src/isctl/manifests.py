"""Reading manifests: YAML or JSON, several documents per file, `-` for stdin, directories.

YAML is read the way kubectl reads it: an unquoted `2017-09-29T13:33:49Z` or `2015-12-23`
stays a string (PyYAML's safe loader would make datetime objects of them).
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import yaml

from .errors import CliError

EXTENSIONS = (".yaml", ".yml", ".json")


class KubeLoader(yaml.SafeLoader):
    """SafeLoader without the timestamp resolver."""


KubeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _json_documents(text: str) -> list[Any]:
    decoder, position = json.JSONDecoder(), 0
    documents: list[Any] = []
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position == len(text):
            return documents
        document, position = decoder.raw_decode(text, position)
        documents.append(document)


def parse_documents(text: str, source: str) -> list[dict]:
    """Every object in `text`; a `List` contributes its items."""
    stripped = text.lstrip()
    try:
        if stripped.startswith("{") or stripped.startswith("["):
            documents = _json_documents(stripped)
        else:
            documents = [d for d in yaml.load_all(text, Loader=KubeLoader) if d is not None]
    except (ValueError, yaml.YAMLError) as exc:
        raise CliError(f'error parsing {source}: {exc}') from exc
    objects: list[dict] = []
    for document in documents:
        items = document if isinstance(document, list) else (
            document.get("items") or [] if isinstance(document, dict)
            and str(document.get("kind", "")).endswith("List") else [document])
        for item in items:
            if not isinstance(item, dict):
                raise CliError(f'error validating "{source}": error validating data: '
                               "the document is not an object")
            missing = [f"{field} not set" for field in ("apiVersion", "kind")
                       if not item.get(field)]
            if missing:
                raise CliError(f'error validating "{source}": error validating data: '
                               f'[{", ".join(missing)}]')
            objects.append(item)
    return objects


def _files(path: Path) -> Iterator[Path]:
    if path.is_dir():
        yield from sorted(p for p in path.iterdir() if p.suffix in EXTENSIONS and p.is_file())
    elif path.exists():
        yield path
    else:
        raise CliError(f'the path "{path}" does not exist')


def read_manifests(names: tuple[str, ...], stdin: IO[str], cwd: Path) -> list[tuple[str, dict]]:
    """(source, object) for every object of every -f argument, in order."""
    found: list[tuple[str, dict]] = []
    for name in names:
        if name == "-":
            found += [("STDIN", obj) for obj in parse_documents(stdin.read(), "STDIN")]
            continue
        path = Path(name) if Path(name).is_absolute() else cwd / name
        if not path.exists():
            raise CliError(f'the path "{name}" does not exist')
        for file in _files(path):
            source = name if file == path else str(Path(name) / file.name)
            text = file.read_text(encoding="utf-8")
            found += [(source, obj) for obj in parse_documents(text, source)]
    return found
