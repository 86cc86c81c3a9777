"""Rewrites a deployment zip so the same inputs give the same bytes on any machine.

Chalice already dates every entry 1980-01-01, but adds files in the order the file
system lists them, which differs between checkouts. Entries are rewritten sorted by name,
with fixed dates and permissions (0644, or 0755 where the file was executable).

    python -m infra.reproducible build/package/deployment.zip
"""
from __future__ import annotations

import hashlib
import os
import sys
import zipfile
from pathlib import Path

EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can carry


def normalize(path: Path) -> str:
    """Rewrite the zip in place; its sha256."""
    with zipfile.ZipFile(path) as source:
        entries = sorted((info.filename, (info.external_attr >> 16) & 0o111, source.read(info))
                         for info in source.infolist() if not info.is_dir())
    partial = path.with_suffix(".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for name, executable, data in entries:
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.create_system = 3  # unix, so the permissions below are read
            info.external_attr = (0o100755 if executable else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, data, compresslevel=9)
    os.replace(partial, path)
    return hashlib.sha256(path.read_bytes()).hexdigest()


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        print(f"{normalize(Path(argument))}  {argument}")
