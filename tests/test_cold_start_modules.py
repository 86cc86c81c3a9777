"""A cold start loads what its route needs and not the models of routes it does not serve.

Every Lambda container imports app.py and its whole route table before its first request,
so a module-level import of a model only one route reads is paid by every cold start
(docs/benchmarks.md, Cold start). Those routes import their models when called, the
catalogue names its models instead of importing them, and the stores few routes use are
built when first used. A fresh interpreter here serves a GET of an ImageStreamTag as the
API function would, from a table on a moto server that this test filled, with the
settings the template gives every function, then reports which modules it loaded; the
same process then asks the catalogue for a model, which must load it. One of those
settings turns pydantic's plugin search off: without it, the first model pydantic builds
reads the metadata of every installed distribution (importlib.metadata), about 25 ms of
each cold start; no plugin is used here.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from testbed.function_process import function_environment, seed_viewed_tag
from testbed.moto_server import moto_server
from testbed.proxy_events import proxy_event

ROOT = Path(__file__).resolve().parent.parent
TABLE, REGISTRY = "imagestreams-modules", "registry.test"
ISTAG = "/apis/image.openshift.io/v1/namespaces/{namespace}/imagestreamtags/{name}"
# Models, rules and stores of routes a GET of a tag never reaches.
OTHER_ROUTES = ("chalicelib.resources.prune", "chalicelib.resources.access_review",
                "chalicelib.resources.imports", "chalicelib.domain.pruning",
                "chalicelib.adapters.dynamodb_prune_runs", "chalicelib.adapters.dynamodb_triggers",
                "chalicelib.adapters.secrets_manager")

DRIVER = """\
import importlib.metadata, json, sys
searches = []  # each listing of the installed distributions, as pydantic's plugin search does
listing = importlib.metadata.distributions
importlib.metadata.distributions = lambda **kwargs: searches.append(1) or listing(**kwargs)
import app
answer = app.app(json.loads(sys.argv[1]), None)
served = sorted(name for name in sys.modules if name.startswith("chalicelib"))
from chalicelib.api.catalogue import CATALOGUE
model = CATALOGUE["imagepruneruns"].model
print(json.dumps({"status": answer["statusCode"], "kind": json.loads(answer["body"])["kind"],
                  "served": served, "model": f"{model.__module__}.{model.__name__}",
                  "distribution searches": len(searches),
                  "after": sorted(name for name in sys.modules
                                  if name.startswith("chalicelib"))}))
"""


def test_a_get_of_a_tag_loads_no_model_of_another_route(tmp_path: Path) -> None:
    event = proxy_event("GET", ISTAG, {"namespace": "team", "name": "web:latest"}, "alice")
    with moto_server(tmp_path / "moto.log") as endpoint:
        seed_viewed_tag(endpoint, TABLE, REGISTRY, "team", "web", "latest", "alice")
        env = function_environment(endpoint, TABLE, REGISTRY)
        ran = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(event)], cwd=ROOT,
                             env=env, capture_output=True, text=True, timeout=120, check=False)
    assert ran.returncode == 0, ran.stderr
    report = json.loads(ran.stdout.splitlines()[-1])
    assert (report["status"], report["kind"]) == (200, "ImageStreamTag")
    assert "chalicelib.resources.stream" in report["served"]
    assert [name for name in OTHER_ROUTES if name in report["served"]] == []
    assert report["distribution searches"] == 0
    assert report["model"] == "chalicelib.resources.prune.ImagePruneRun"
    assert "chalicelib.resources.prune" in report["after"]
