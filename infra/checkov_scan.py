"""checkov on the deployed template, with the reviewed exceptions of infra/checkov-skips.yaml.

    python -m infra.checkov_scan build/lint/cloudformation.json .venv-checkov/bin/checkov

Each entry of the skip file names a check, the resources (logical ids) it is accepted for
and why. They are written into a copy of the template as checkov's own per-resource skips
(`Metadata.checkov.skip`), so checkov reports them as skipped with the reason. The scan
fails on any finding not listed, on an entry that matches no finding any more (fixed, or a
resource renamed: the file must say what is true now) and on a template checkov cannot
parse.

The copy leaves out the REST API's OpenAPI body: no checkov check of CloudFormation reads
it, and its hundreds of references to the functions make checkov's graph take half a
minute instead of a few seconds.
"""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SKIPS = Path(__file__).resolve().parent / "checkov-skips.yaml"
# Not --quiet: it leaves the skipped checks out of the report, and they are compared.
# The version is pinned (requirements-checkov.txt): no asking PyPI for a newer one, which
# made a scan of five seconds take fifteen.
CHECKOV_ENVIRONMENT = {"CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"}
CHECKOV_OPTIONS = ["--framework", "cloudformation", "--compact", "--skip-download",
                   "--output", "json"]


@dataclass(frozen=True)
class Skip:
    check: str
    resources: tuple[str, ...]
    reason: str


def load_skips(path: Path = SKIPS) -> list[Skip]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    skips = []
    for entry in entries:
        if set(entry) != {"check", "resources", "reason"} or not entry["reason"].strip():
            raise ValueError(f"{path.name}: each entry has check, resources and a reason: "
                             f"{entry}")
        skips.append(Skip(entry["check"], tuple(entry["resources"]), entry["reason"].strip()))
    return skips


def scanned_template(template: dict[str, Any], skips: list[Skip]) -> dict[str, Any]:
    """The template checkov reads: the skips in each resource's metadata, no OpenAPI body."""
    scanned = copy.deepcopy(template)
    resources = scanned["Resources"]
    for skip in skips:
        for logical_id in skip.resources:
            if logical_id not in resources:
                raise ValueError(f"{SKIPS.name}: {skip.check} names {logical_id}, which the "
                                 "template does not have")
            metadata = resources[logical_id].setdefault("Metadata", {})
            metadata.setdefault("checkov", {}).setdefault("skip", []).append(
                {"id": skip.check, "comment": skip.reason})
    for resource in resources.values():
        if resource.get("Type") == "AWS::ApiGateway::RestApi":
            resource.get("Properties", {}).pop("Body", None)
    return scanned


def _logical_id(result: dict[str, Any]) -> str:
    return str(result["resource"]).split(".", 1)[1]  # "AWS::Lambda::Function.APIHandler"


def problems(report: dict[str, Any], skips: list[Skip]) -> list[str]:
    """What fails the scan: findings not listed, entries no finding needs, parse errors."""
    results = report.get("results", {})
    found = [f"{result['check_id']} {_logical_id(result)}: {result['check_name']}"
             for result in results.get("failed_checks", [])]
    skipped = {(result["check_id"], _logical_id(result))
               for result in results.get("skipped_checks", [])}
    stale = [f"{skip.check} {logical_id}: listed in {SKIPS.name}, but checkov found "
             "nothing to skip there; remove it" for skip in skips
             for logical_id in skip.resources if (skip.check, logical_id) not in skipped]
    errors = [f"checkov could not parse {path}"
              for path in report.get("results", {}).get("parsing_errors", [])]
    return found + stale + errors


def scan(template_path: Path, checkov: str) -> int:
    skips = load_skips()
    template = json.loads(template_path.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as directory:
        scanned = Path(directory) / "template.json"
        scanned.write_text(json.dumps(scanned_template(template, skips)), encoding="utf-8")
        done = subprocess.run([checkov, "--file", str(scanned), *CHECKOV_OPTIONS],
                              capture_output=True, text=True,
                              env={**os.environ, **CHECKOV_ENVIRONMENT})
    try:
        report = json.loads(done.stdout)
    except ValueError:
        print(f"checkov gave no report (exit {done.returncode}):\n{done.stderr[-3000:]}",
              file=sys.stderr)
        return 1
    if isinstance(report, list):  # one report per framework; only CloudFormation's ran
        [report] = report
    failures = problems(report, skips)
    summary = report.get("summary", {})
    for failure in failures:
        print(f"checkov: {failure}", file=sys.stderr)
    print(f"checkov on {template_path}: {summary.get('passed', 0)} checks passed, "
          f"{summary.get('skipped', 0)} findings accepted in {SKIPS.name}, "
          f"{len(failures)} problems")
    return 1 if failures else 0


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m infra.checkov_scan TEMPLATE.json CHECKOV", file=sys.stderr)
        return 2
    return scan(Path(argv[0]), argv[1])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
