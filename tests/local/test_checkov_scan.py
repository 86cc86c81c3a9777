"""The checkov scan of `make lint` (infra/checkov_scan.py): what it fails on, and the
reviewed skip file. checkov itself runs in `make lint`, not here (its own venv)."""
from __future__ import annotations

import re

import pytest

from infra.checkov_scan import Skip, load_skips, problems, scanned_template

TEMPLATE = {"Resources": {
    "APIHandler": {"Type": "AWS::Lambda::Function", "Properties": {}},
    "RestAPI": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Body": {"paths": {}}}}}}
SKIP = Skip("CKV_AWS_117", ("APIHandler",), "no VPC: nothing to reach inside one")


def result(check: str, resource: str) -> dict:
    return {"check_id": check, "resource": resource, "check_name": "a check"}


def test_skips_go_into_the_resources_metadata_and_the_openapi_body_is_left_out() -> None:
    scanned = scanned_template(TEMPLATE, [SKIP])
    assert scanned["Resources"]["APIHandler"]["Metadata"]["checkov"]["skip"] == [
        {"id": "CKV_AWS_117", "comment": SKIP.reason}]
    assert "Body" not in scanned["Resources"]["RestAPI"]["Properties"]
    assert "Metadata" not in TEMPLATE["Resources"]["APIHandler"]  # the template is kept
    with pytest.raises(ValueError, match="does not have"):
        scanned_template(TEMPLATE, [Skip("CKV_AWS_117", ("Gone",), "renamed")])


def test_a_finding_not_listed_and_a_listing_that_finds_nothing_both_fail() -> None:
    listed = {"results": {"failed_checks": [],
                          "skipped_checks": [result("CKV_AWS_117",
                                                    "AWS::Lambda::Function.APIHandler")]}}
    assert problems(listed, [SKIP]) == []
    new = {"results": {"failed_checks": [result("CKV_AWS_116",
                                                "AWS::Lambda::Function.APIHandler")],
                       "skipped_checks": listed["results"]["skipped_checks"]}}
    assert [p.split(":")[0] for p in problems(new, [SKIP])] == ["CKV_AWS_116 APIHandler"]
    fixed = {"results": {"failed_checks": [], "skipped_checks": []}}
    assert "remove it" in problems(fixed, [SKIP])[0]


def test_every_reviewed_skip_names_a_check_resources_and_a_reason() -> None:
    skips = load_skips()
    assert skips
    for skip in skips:
        assert re.fullmatch(r"CKV2?_AWS_\d+", skip.check), skip
        assert skip.resources and len(skip.reason) > 40, skip
    pairs = [(skip.check, resource) for skip in skips for resource in skip.resources]
    assert len(pairs) == len(set(pairs)), "a resource is listed twice for one check"
