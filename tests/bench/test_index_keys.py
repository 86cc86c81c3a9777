"""The benchmark report's table of what each index key allows follows the table's layout."""
from __future__ import annotations

from bench.index_keys import PARTITION_WRITE_UNITS, index_keys, report
from chalicelib.adapters import dynamodb_items as items


def test_the_benchmark_shows_the_write_rate_of_the_layout() -> None:
    rows = {row.key: row for row in index_keys()}
    assert rows["IMAGES#<n>"].shards == items.IMAGES_SHARDS
    assert rows["IMAGES#<n>"].units() == items.IMAGES_SHARDS * PARTITION_WRITE_UNITS
    assert rows[items.LEGACY_IMAGES_GSI1PK].units() == PARTITION_WRITE_UNITS
    assert (f"| `IMAGES#<n>` | each new image, pushed or imported, in any namespace | "
            f"{items.IMAGES_SHARDS} | 1,000 | {items.IMAGES_SHARDS * 1000:,} |"
            ) in report(index_keys())
