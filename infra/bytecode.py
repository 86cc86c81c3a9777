"""Adds each module's bytecode to a deployment zip, compiled by the functions' Python.

Lambda unpacks the zip read-only, so Python can neither find nor write a module's cached
bytecode there: without it, every cold start compiles each module it imports from source
(docs/benchmarks.md, "Bytecode in the package"). So each `.py` of the zip gets the
`__pycache__/<module>.<cache tag>.pyc` the import system looks for, compiled by the
interpreter running this (run it with the Lambda runtime's Python, as `make package`
does with the packaging venv's). The files are PEP 552 unchecked-hash pycs: no source
date in them (a zip's are all 1980-01-01), so the same sources give the same bytes, and
no check at import, as nothing in the unpacked package ever changes. Whatever
`__pycache__` the source tree carried into the zip (another interpreter's, from running
the tests) is dropped first.

    .venv-package/bin/python -m infra.bytecode build/package/deployment.zip
"""
from __future__ import annotations

import importlib.util
import marshal
import os
import sys
import zipfile
from pathlib import Path

UNCHECKED_HASH = 0b01  # PEP 552 flags: hash-based, not checked against the source


def pyc(source: bytes, name: str) -> bytes:
    """The unchecked-hash pyc of `source`, named `name` in tracebacks until the import
    system puts the real path in its place."""
    code = compile(source, name, "exec", dont_inherit=True)
    return (importlib.util.MAGIC_NUMBER + UNCHECKED_HASH.to_bytes(4, "little")
            + importlib.util.source_hash(source) + marshal.dumps(code))


def add_bytecode(path: Path) -> int:
    """Rewrite the zip at `path` with a pyc beside each module and no other; how many."""
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()
                   if "__pycache__/" not in info.filename]
    partial = path.with_suffix(".partial")
    compiled = 0
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in entries:
            target.writestr(info, data)
            if info.filename.endswith(".py"):
                cached = importlib.util.cache_from_source(info.filename)
                target.writestr(zipfile.ZipInfo(cached, date_time=info.date_time),
                                pyc(data, info.filename))
                compiled += 1
    os.replace(partial, path)
    return compiled


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        count = add_bytecode(Path(argument))
        print(f"{argument}: {count} modules compiled for {sys.implementation.cache_tag}")
