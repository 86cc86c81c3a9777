"""What a benchmark returns, the machine it ran on, and the report file."""
from __future__ import annotations

import os
import platform
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
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
        ("machine", f"{_cpu()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}"),
        ("python", platform.python_version()),
        ("registry", _first_line(["docker-registry", "--version"])),
        ("skopeo", _first_line(["skopeo", "--version"])),
    ]


RUN_PREFIX = "Run: "


def _existing_sections(text: str) -> dict[str, list[str]]:
    """The report's sections by title, each with a `Run:` line (reports written before
    sections had one take the date of the header's `- date:` line)."""
    sections: dict[str, list[str]] = {}
    header_date = ""
    current: list[str] = []
    for line in text.splitlines():
        if line.startswith("- date: ") and not sections:
            header_date = line[len("- date: "):]
        if line.startswith("## "):
            current = []
            sections[line[3:]] = current
        elif sections:
            current.append(line)
    for lines in sections.values():
        while lines and not lines[-1].strip():
            lines.pop()
        if header_date and not any(line.startswith(RUN_PREFIX) for line in lines[:2]):
            lines[:1] = ["", f"{RUN_PREFIX}{header_date}."]
    return sections


def write(sections: list[Section], path: Path, keep_others: bool = False) -> None:
    """Write the report; with `keep_others`, sections of the file that were not run now
    stay as they are (new sections replace those of the same title, in place)."""
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    fresh = {section.title: ["", f"{RUN_PREFIX}{date}.", "", section.body.strip()]
             for section in sections}
    merged = (_existing_sections(path.read_text(encoding="utf-8"))
              if keep_others and path.exists() else {})
    merged = {title: fresh.pop(title, lines) for title, lines in merged.items()} | fresh
    lines = ["# Benchmarks", "",
             "Written by `make bench` (`python -m bench`, or `python -m bench NAME ...` to "
             "rerun some); every number below comes from the run its section names; the "
             "latest run was on:", ""]
    lines += [f"- {name}: {value}" for name, value in machine()]
    for title, body in merged.items():
        lines += ["", f"## {title}", *body]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
