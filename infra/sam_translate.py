"""The packaged SAM template as plain CloudFormation, the way CloudFormation expands it.

cfn-lint checks a SAM template's own schema but not what is inside a function's event
definitions; linting the expansion too checks the stream's event source mapping (batch,
retries, on-failure destination) and the API's gateway responses as real resources.

`make deploy` deploys this expansion, not the SAM template: the AWS emulator's
CloudFormation does not run the SAM transform, so deploying the expansion everywhere makes
the tested deployment and the real one the same template (and the one cfn-lint checks).

    python -m infra.sam_translate build/package/sam.json OUT.json
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

# `aws cloudformation package` replaces the local CodeUri with the uploaded object; before
# that (linting), a stand-in object takes its place, as the transform accepts only S3.
UPLOADED = "s3://deployment-bucket/deployment.zip"


class NoManagedPolicies:
    """The functions name their roles, so no managed policy ARN has to be looked up."""

    def load(self) -> dict[str, str]:
        return {}


def translate(template: dict[str, Any]) -> dict[str, Any]:
    from samtranslator.translator.transform import transform

    for resource in template["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::Function":
            properties = resource["Properties"]
            if not str(properties.get("CodeUri", "")).startswith("s3://"):
                properties["CodeUri"] = UPLOADED
    # The region only fills ARNs the expansion builds itself; no AWS call is made.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    return transform(template, {}, NoManagedPolicies())


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m infra.sam_translate SAM.json OUT.json", file=sys.stderr)
        return 2
    expanded = translate(json.loads(Path(argv[0]).read_text(encoding="utf-8")))
    out = Path(argv[1])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(expanded, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
