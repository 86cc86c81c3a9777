"""Image prune runs (imagestreams.dev/v1 imagepruneruns): start one, read them."""
from __future__ import annotations

from ..resources.prune import ImagePruneRun
from ..wiring import Services
from .bodies import read_object
from .route import Call, Reply


def create_prune_run(services: Services, call: Call) -> Reply:
    # Here: every cold start loads the route table, and the pruning rules are for this route.
    from ..domain.pruning import RUNS
    body = read_object(ImagePruneRun, call.body, call.headers, "ImagePruneRun", RUNS)
    run = services.pruning.start(call.actor, body.spec, body.metadata.name,
                                 body.metadata.generate_name)
    return 201, run.to_json()


def list_prune_runs(services: Services, call: Call) -> Reply:
    return 200, services.pruning.list().to_json()


def get_prune_run(services: Services, call: Call) -> Reply:
    return 200, services.pruning.get(call.name).to_json()
