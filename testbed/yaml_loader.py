"""Load YAML the way kubectl does: unquoted timestamps and dates stay strings."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class KubeLoader(yaml.SafeLoader):
    """SafeLoader without the timestamp resolver (`2015-12-23` is the string "2015-12-23")."""


KubeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=KubeLoader)


def load_fixture(name: str) -> Any:
    """A document of tests/fixtures by file name."""
    return load_file(FIXTURES / name)


def load_file(path: str | Path) -> Any:
    return load_yaml(Path(path).read_text(encoding="utf-8"))
