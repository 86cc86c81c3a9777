"""Files of the state directory that hold keys or tokens."""
from __future__ import annotations

import os
from pathlib import Path

PRIVATE = 0o600  # keys, tokens: the user's alone
PUBLIC = 0o644   # certificates


def write_file(path: Path, data: bytes, mode: int = PRIVATE) -> None:
    """Replace `path` with `data`, created with `mode` so a secret is never readable by others.

    Written beside it and renamed, so a reader (or a stack killed mid-write) never sees
    half a key; the mode is set explicitly because the umask may only take bits away.
    """
    partial = path.with_name(f".{path.name}.partial")
    try:
        with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode), "wb") as out:
            os.fchmod(out.fileno(), mode)
            out.write(data)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)
