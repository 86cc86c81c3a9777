"""Give items written by an earlier version the keys this one reads, with table
credentials, once the deployment is done: stream items the `Cluster` index's attributes
(step `cluster`), image items their GSI1 shard (step `images`), history its `H#` keys and
tag items their recent events (step `history`); then the cleanups of deletes whose
table-stream records were lost are finished (step `cleanup`).

    python -m chalicelib.backfill --table <table name> [--step <name>
                                  [--resume-after '<key JSON>']] [--page-size N]

The steps run in that order, from `--step` (the first by default). Each Scan page prints
its step, how many items it updated and the key to resume after; an interrupted run
continues from the last one printed, or starts again from the beginning (it changes
nothing done already). Until the cluster step finishes, lists across namespaces leave out
the streams not written since the deployment; the image list reads the old key too.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from typing import Any

from .adapters.dynamodb_cleanup import finish_cleanups
from .adapters.dynamodb_cluster_backfill import (
    BackfillPage,
    backfill_cluster_index,
    backfill_image_shards,
)
from .adapters.dynamodb_history_backfill import backfill_history

Step = Callable[[Any, str, dict[str, Any] | None, int | None], Iterator[BackfillPage]]
# name: (what a page counts, the step), in the order they run
STEPS: dict[str, tuple[str, Step]] = {
    "cluster": ("streams updated", backfill_cluster_index),
    "images": ("images moved to their shard", backfill_image_shards),
    "history": ("history events moved and tags given their recent events", backfill_history),
    "cleanup": ("cleanups of deletes finished", finish_cleanups),
}


def backfill(client: Any, table: str, resume_after: dict[str, Any] | None = None,
             page_size: int | None = None, step: str = "cluster") -> int:
    """Run the steps from `step` (resumed after `resume_after`) to the end, printing each
    page's progress; the items updated."""
    updated = 0
    names = list(STEPS)
    for name in names[names.index(step):]:
        counted, run = STEPS[name]
        for page in run(client, table, resume_after, page_size):
            updated += page.updated
            resume = (f"resume with --step {name} --resume-after "
                      f"'{json.dumps(page.resume_after)}'" if page.resume_after else "done")
            print(f"{name}: {page.updated} {counted}; {resume}", flush=True)
        resume_after = None
    return updated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.backfill",
                                     description="Give items written by an earlier version "
                                                 "the index keys this one reads.")
    parser.add_argument("--table", required=True, help="the service's DynamoDB table")
    parser.add_argument("--step", choices=list(STEPS), default=next(iter(STEPS)),
                        help="the step to start at, the steps before it done")
    parser.add_argument("--resume-after", type=json.loads, default=None,
                        help="the key a previous run printed last for --step, as JSON")
    parser.add_argument("--page-size", type=int, default=None,
                        help="items a Scan page reads (default: 1 MB of them); smaller pages "
                             "spread the reads the backfill takes from the table")
    args = parser.parse_args(argv)
    import boto3
    updated = backfill(boto3.client("dynamodb"), args.table, args.resume_after, args.page_size,
                       args.step)
    print(f"{updated} items updated in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
