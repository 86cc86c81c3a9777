"""What a benchmark returns, the machine it ran on, and the report file."""
from __future__ import annotations

import os
import platform
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path


@dataclass(frozen=True)
class Section:
    title: str
    body: str  # Markdown


def _first_line(command: list[str]) -> str:
    if shutil.which(command[0]) is None:
        return "not installed"
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    return (result.stdout or result.stderr).strip().splitlines()[0]


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> list[tuple[str, str]]:
    return [
        ("date", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
        ("machine", f"{_cpu()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}"),
        ("python", platform.python_version()),
        ("registry", _first_line(["docker-registry", "--version"])),
        ("skopeo", _first_line(["skopeo", "--version"])),
    ]


def write(sections: list[Section], path: Path) -> None:
    lines = ["# Benchmarks", "",
             "Written by `make bench` (`python -m bench`); every number below comes from the "
             "run described here.", ""]
    lines += [f"- {name}: {value}" for name, value in machine()]
    for section in sections:
        lines += ["", f"## {section.title}", "", section.body.strip()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
