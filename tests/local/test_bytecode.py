"""infra/bytecode.py: the pycs it adds to a zip are the ones Python loads from the unpacked
zip, the same sources give the same bytes, and what the source tree's own `__pycache__`
put in the zip is gone. Checked with this interpreter, which compiles here as the
packaging venv's does for Lambda."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from infra.bytecode import add_bytecode

MODULES = {
    "app.py": "import shop.prices\nTOTAL = shop.prices.price(2)\n",
    "shop/__init__.py": "",
    "shop/prices.py": "# -*- coding: utf-8 -*-\nEURO = '€'\n\ndef price(n):\n    return n * 3\n",
}
STALE = "shop/__pycache__/prices.cpython-30.pyc"  # another interpreter's, left by tests


def _zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as package:
        for name, text in MODULES.items():
            package.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), text)
        package.writestr(STALE, b"not bytecode")
    return path


def test_each_module_gets_the_pyc_python_loads_and_nothing_else(tmp_path: Path) -> None:
    package = _zip(tmp_path / "deployment.zip")
    assert add_bytecode(package) == len(MODULES)
    unpacked = tmp_path / "task"
    with zipfile.ZipFile(package) as built:
        names = set(built.namelist())
        built.extractall(unpacked)
    tag = sys.implementation.cache_tag
    assert names == {*MODULES, f"__pycache__/app.{tag}.pyc",
                     f"shop/__pycache__/__init__.{tag}.pyc", f"shop/__pycache__/prices.{tag}.pyc"}
    # The sources' dates are newer than the pycs' and it does not matter: unchecked hashes.
    # -v says which pyc each import took; -B writes none, as in a read-only /var/task.
    ran = subprocess.run([sys.executable, "-B", "-v", "-c", "import app; print(app.TOTAL)"],
                         cwd=unpacked, capture_output=True, text=True, timeout=60, check=True)
    assert ran.stdout.strip() == "6"
    for module in ("app", "shop/__init__", "shop/prices"):
        folder, _, name = module.rpartition("/")
        pyc = unpacked / folder / "__pycache__" / f"{name}.{tag}.pyc"
        assert f"# {pyc} matches {unpacked / (module + '.py')}" in ran.stderr, module


def test_the_same_sources_give_the_same_bytes(tmp_path: Path) -> None:
    first, second = _zip(tmp_path / "first.zip"), _zip(tmp_path / "second.zip")
    add_bytecode(first)
    add_bytecode(second)
    assert first.read_bytes() == second.read_bytes()
