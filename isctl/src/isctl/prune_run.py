"""An image prune run as `isctl adm prune images` follows it: the ImagePruneRun it asks the
service for, the polls until the run is done, the progress on stderr and oc's summary.

The service prunes in bounded steps of its own (each step's write brings the next); the
command only creates the run and reads it back about once a second.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import timedelta
from typing import IO, Any
from urllib.parse import quote

from .errors import CliError
from .http import Client
from .humanize import human_size
from .runtime import Runtime

VERSION = "imagestreams.dev/v1"
RUNS = f"/apis/{VERSION}/imagepruneruns"
POLL_SECONDS = 1.0
# The stages a run goes through, in order; Registry only with pruneRegistry.
STAGES = ("Streams", "Images", "Registry")
DRY_RUN_HINT = "Dry run enabled - no modifications will be made. Add --confirm to remove images"
API_ONLY_NOTE = ("Only API objects will be removed.  No modifications to the image registry "
                 "will be made.")


@dataclass(frozen=True)
class PruneSpec:
    """What the command line asks for, as the run's spec."""

    keep_tag_revisions: int
    keep_younger_than: str
    dry_run: bool
    prune_registry: bool
    namespace: str | None  # None: every namespace

    def body(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"keepTagRevisions": self.keep_tag_revisions,
                                "keepYoungerThan": self.keep_younger_than,
                                "dryRun": self.dry_run, "pruneRegistry": self.prune_registry}
        if self.namespace is not None:
            spec["namespaces"] = [self.namespace]
        return {"apiVersion": VERSION, "kind": "ImagePruneRun",
                "metadata": {"generateName": "prune-"}, "spec": spec}


def _status(run: dict[str, Any]) -> dict[str, Any]:
    return run.get("status") or {}


def _counts(run: dict[str, Any], part: str) -> dict[str, int]:
    return {key: int(value or 0) for key, value in (_status(run).get(part) or {}).items()}


def _stages(run: dict[str, Any]) -> tuple[str, ...]:
    with_registry = bool((run.get("spec") or {}).get("pruneRegistry"))
    return STAGES if with_registry else STAGES[:2]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def scanned_text(run: dict[str, Any], stage: str) -> str:
    """What a stage has read so far: `12 streams, 40 tags` for Streams, and so on."""
    scanned = _counts(run, "scanned")
    if stage == "Streams":
        return (f"{_plural(scanned.get('streams', 0), 'stream')}, "
                f"{_plural(scanned.get('tags', 0), 'tag')}")
    if stage == "Images":
        return _plural(scanned.get("images", 0), "image")
    return _plural(scanned.get("registryImages", 0), "registry image")


class PruneProgress:
    """The run's stage on stderr: on a terminal one line redrawn, a bar over the stages with
    what the current one has read; elsewhere a plain line as each stage ends (CI logs stay
    clean). Stages a poll did not see (a quick run) get their line too."""

    def __init__(self, stream: IO[str] | None = None, live: bool | None = None,
                 width: int = 30):
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.width = width
        self._reported = 0  # stages whose plain line is written
        self._drawn = 0

    def _position(self, run: dict[str, Any]) -> tuple[tuple[str, ...], int]:
        stages = _stages(run)
        stage = str(_status(run).get("stage") or stages[0])
        done = _status(run).get("phase") not in (None, "", "Running")
        if stage == "Done" or done:
            return stages, len(stages)
        return stages, stages.index(stage) if stage in stages else 0

    def line(self, run: dict[str, Any]) -> str:
        stages, current = self._position(run)
        filled = self.width * current // len(stages)
        bar = "#" * filled + "." * (self.width - filled)
        if current < len(stages):
            note = f"{stages[current]}: {scanned_text(run, stages[current])}"
        else:
            note = "Done"
        return f"Pruning [{bar}] {current}/{len(stages)} {note}"

    def update(self, run: dict[str, Any]) -> None:
        stages, current = self._position(run)
        if self.live:
            text = self.line(run)
            self.stream.write("\r" + text + " " * max(self._drawn - len(text), 0))
            self._drawn = len(text)
        else:
            for stage in stages[self._reported:current]:
                self.stream.write(f"{stage}: {scanned_text(run, stage)} scanned\n")
            self._reported = max(self._reported, current)
        self.stream.flush()

    def close(self) -> None:
        if self.live and self._drawn:
            self.stream.write("\n")
            self.stream.flush()


def summary(run: dict[str, Any]) -> str:
    """oc's closing lines: what was (or, in a dry run, would be) removed."""
    removed = _counts(run, "removed")
    dry_run = bool((run.get("spec") or {}).get("dryRun", True))
    parts = [_plural(removed.get("historyEvents", 0), "history event"),
             _plural(removed.get("images", 0), "image")]
    if (run.get("spec") or {}).get("pruneRegistry"):
        parts.append(f"{_plural(removed.get('registryImages', 0), 'registry image')} "
                     f"({human_size(removed.get('registryBytes', 0))})")
    verb = "would delete" if dry_run else "deleted"
    return f"Summary: {verb} {', '.join(parts)}"


def run_path(name: str = "") -> str:
    return RUNS + ("/" + quote(name, safe="") if name else "")


def follow(rt: Runtime, client: Client, run: dict[str, Any], timeout: timedelta,
           progress: PruneProgress) -> dict[str, Any]:
    """Poll the run about once a second until it is no longer Running (or `timeout` is up,
    when not zero); the last run read."""
    name = str((run.get("metadata") or {}).get("name") or "")
    deadline = rt.now() + timeout if timeout else None
    progress.update(run)
    while _status(run).get("phase") in (None, "", "Running"):
        if deadline is not None and rt.now() >= deadline:
            progress.close()
            stage = _status(run).get("stage") or "Streams"
            raise CliError(f"timed out waiting for imagepruneruns/{name} (stage {stage}); the "
                           f"run goes on in the service: GET {run_path(name)}")
        rt.sleep(POLL_SECONDS)
        run = client.get(run_path(name))
        progress.update(run)
    progress.close()
    return run


def failure(run: dict[str, Any]) -> CliError | None:
    """The error a Failed run ends the command with (its status message)."""
    if _status(run).get("phase") != "Failed":
        return None
    name = (run.get("metadata") or {}).get("name") or ""
    message = _status(run).get("message") or "no reason given"
    return CliError(f"image prune run {name} failed: {message}")
