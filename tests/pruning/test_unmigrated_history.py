"""A prune on a table from before the history moved, not yet backfilled: the events at the
old keys are out of the run's reach, so their images would look out of use. The run stops
at the first such stream, before its image stage, saying to run the backfill; once the
backfill has run, a new run prunes as on any table."""
from __future__ import annotations

from chalicelib.adapters.dynamodb_history_backfill import backfill_history
from chalicelib.domain.pruning import FAILED, SUCCEEDED
from chalicelib.resources.prune import ImagePruneRunSpec
from chalicelib.services.actor import SERVICE
from testbed.dynamodb import DynamoTable
from tests.test_dynamodb_history_backfill import by_key, seed_old

from .conftest import pruning, run_to_end, runs_beside
from .test_in_use_rules import events, images

SPEC = {"keepTagRevisions": 1, "dryRun": False, "pruneRegistry": False}


def stream_items(table: DynamoTable) -> dict:
    """Everything but the prune runs' own items."""
    return {key: item for key, item in by_key(table).items() if not key[0].startswith("PRUNE#")}


def test_a_run_stops_before_deleting_images_until_the_backfill_has_run(
        dynamodb: DynamoTable) -> None:
    seed_old(dynamodb)
    store = dynamodb.store()
    service = pruning(store, runs_beside(store))
    before = stream_items(dynamodb)
    stopped = service.start(SERVICE, ImagePruneRunSpec.model_validate(SPEC)).metadata.name
    assert stopped is not None
    run_to_end(service, stopped)
    failed = service.get(stopped).status
    assert failed is not None and failed.phase == FAILED
    assert "keeps history at the keys of the version before" in (failed.message or "")
    assert "python -m chalicelib.backfill" in (failed.message or "")
    assert stream_items(dynamodb) == before  # no history cut, no image deleted

    list(backfill_history(dynamodb.client, dynamodb.name))
    assert len(events(store)) == 8 and len(images(store)) == 8  # both streams, one image each
    done = service.start(SERVICE, ImagePruneRunSpec.model_validate(SPEC)).metadata.name
    assert done is not None
    run_to_end(service, done)
    status = service.get(done).status
    assert status is not None and status.phase == SUCCEEDED
    # two streams, each with `latest` and a tag following it: 7 events cut from each tag
    assert status.removed.history_events == 28 and status.removed.images == 7
    assert len(events(store)) == 1 and len(images(store)) == 1
