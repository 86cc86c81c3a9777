"""Bytecode in the package: importing app.py from the deployment zip as Lambda unpacks it,
with the pycs `make package` adds (infra/bytecode.py) and with them taken out.

Lambda's /var/task is read-only, so a module without its pyc there is compiled from source
at every cold start. Each sample is a fresh interpreter of the packaging venv (the
functions' Python version) started in the unpacked zip with -B (it writes no bytecode, as
it could not in /var/task) and -S (no site-packages: the zip holds everything app.py
imports), timed from spawning it to the end of `import app`, which every cold start pays
before its first request. The two sides alternate. The zip's dependencies are Lambda's
(aarch64 wheels); pydantic_core's compiled extension is the one of this machine's
platform, from the packaging venv, of the same version: it has no Python source, so the
pycs change nothing of it.
"""
from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path

from .report import Section

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "build" / "package" / "deployment.zip"
PACKAGE_PYTHON = ROOT / ".venv-package" / "bin" / "python"
SAMPLES = 15
WARM_UP = 2  # per side, not counted: files in the page cache
IMPORT = "import time; import app; print(time.monotonic())"
WITH, WITHOUT = "with the package's pycs", "without pycs (compiled at each start)"


def _unpack(directory: Path, with_bytecode: bool) -> None:
    with zipfile.ZipFile(PACKAGE) as package:
        for name in package.namelist():
            if with_bytecode or "__pycache__/" not in name:
                package.extract(name, directory)
    native = json.loads(subprocess.run(
        [str(PACKAGE_PYTHON), "-c", "import json, pydantic_core._pydantic_core as m, "
         "pydantic_core; print(json.dumps([m.__file__, pydantic_core.__version__]))"],
        capture_output=True, text=True, check=True, timeout=60).stdout)
    folder = directory / "pydantic_core"
    for extension in folder.glob("_pydantic_core.*.so"):
        extension.unlink()
    shutil.copy(native[0], folder)
    assert (directory / f"pydantic_core-{native[1]}.dist-info").is_dir(), \
        "the packaging venv's pydantic_core is not the package's version"


def _import_time(directory: Path) -> float:
    started = time.monotonic()
    result = subprocess.run([str(PACKAGE_PYTHON), "-B", "-S", "-c", IMPORT], cwd=directory,
                            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
                            capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"import app failed: {result.stderr[-2000:]}")
    return float(result.stdout.strip()) - started


def run() -> Section:
    if not PACKAGE.exists():
        raise RuntimeError(f"{PACKAGE} is missing: run `make package` first")
    with tempfile.TemporaryDirectory(prefix="bench-bytecode-") as workspace:
        sides = {WITH: Path(workspace) / "with", WITHOUT: Path(workspace) / "without"}
        for side, directory in sides.items():
            _unpack(directory, with_bytecode=side == WITH)
        samples: dict[str, list[float]] = {side: [] for side in sides}
        for _ in range(WARM_UP):
            for directory in sides.values():
                _import_time(directory)
        for _ in range(SAMPLES):
            for side, directory in sides.items():
                samples[side].append(_import_time(directory))
    with zipfile.ZipFile(PACKAGE) as package:
        infos = package.infolist()
    pycs = [info for info in infos if info.filename.endswith(".pyc")]
    median = {side: statistics.median(values) for side, values in samples.items()}
    rows = ["| app.py imported from the unpacked zip | median | fastest | slowest |",
            "|---|---|---|---|"]
    rows += [f"| {side} | {median[side] * 1000:.0f} ms | {min(values) * 1000:.0f} ms "
             f"| {max(values) * 1000:.0f} ms |" for side, values in samples.items()]
    saved = median[WITHOUT] - median[WITH]
    return Section("Bytecode in the package", "\n".join([
        f"{SAMPLES} fresh processes per side, in turns, after {WARM_UP} unrecorded ones "
        "each. Each imports app.py from the deployment zip of `make package`, unpacked, as "
        "Lambda does before a cold start's first request; Python cannot write bytecode "
        "in Lambda's read-only /var/task, so without the zip's pycs it compiles each "
        "module at every cold start. `bench/package_bytecode.py` is the benchmark and says "
        "how the processes are run.",
        "",
        *rows,
        "",
        f"- The pycs save {saved * 1000:.0f} ms of every cold start "
        f"({saved / median[WITHOUT]:.0%} of the import).",
        f"- They add {len(pycs)} files, {sum(i.file_size for i in pycs) / 2 ** 20:.1f} MiB "
        f"unpacked and {sum(i.compress_size for i in pycs) / 2 ** 20:.1f} MiB to the zip "
        f"({PACKAGE.stat().st_size / 2 ** 20:.1f} MiB in all; Lambda takes 50 MiB zipped, "
        "250 MiB unpacked).",
    ]))
