"""Image prune runs (imagestreams.dev/v1 imagepruneruns): start one, read them.

What a run is made of is imported when a route here is called: every cold start loads
this module with the route table, and few serve these routes."""
from __future__ import annotations

from ..wiring import Services
from .bodies import read_object
from .route import Call, Reply


def create_prune_run(services: Services, call: Call) -> Reply:
    from ..domain.pruning import RUNS
    from ..resources.prune import ImagePruneRun
    body = read_object(ImagePruneRun, call.body, call.headers, "ImagePruneRun", RUNS)
    run = services.pruning.start(call.actor, body.spec, body.metadata.name,
                                 body.metadata.generate_name)
    return 201, run.to_json()


def list_prune_runs(services: Services, call: Call) -> Reply:
    return 200, services.pruning.list().to_json()


def get_prune_run(services: Services, call: Call) -> Reply:
    return 200, services.pruning.get(call.name).to_json()
