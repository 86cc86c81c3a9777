"""Give stream items written before the `Cluster` index existed its attributes, with table
credentials, once the deployment that adds the index is done:

    python -m chalicelib.backfill --table <table name> [--resume-after '<key JSON>']
                                  [--page-size N]

Each Scan page prints how many streams it updated and the key to resume after; an
interrupted run continues from the last one printed, or starts again from the beginning
(it changes nothing done already). Until it finishes, lists across namespaces leave out
the streams not written since the deployment.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .adapters.dynamodb_cluster_backfill import backfill_cluster_index


def backfill(client: Any, table: str, resume_after: dict[str, Any] | None = None,
             page_size: int | None = None) -> int:
    """Run the backfill to the end, printing each page's progress; the streams updated."""
    updated = 0
    for page in backfill_cluster_index(client, table, resume_after, page_size):
        updated += page.updated
        position = json.dumps(page.resume_after) if page.resume_after else "the end"
        print(f"{page.updated} streams updated; resume after {position}", flush=True)
    return updated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.backfill",
                                     description="Add the Cluster index's attributes to "
                                                 "stream items written without them.")
    parser.add_argument("--table", required=True, help="the service's DynamoDB table")
    parser.add_argument("--resume-after", type=json.loads, default=None,
                        help="the key a previous run printed last, as JSON")
    parser.add_argument("--page-size", type=int, default=None,
                        help="items a Scan page reads (default: 1 MB of them); smaller pages "
                             "spread the reads the backfill takes from the table")
    args = parser.parse_args(argv)
    import boto3
    updated = backfill(boto3.client("dynamodb"), args.table, args.resume_after, args.page_size)
    print(f"{updated} streams updated in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
