"""Entry points of the imagestreams service. Each handler hands the request to the API layer."""
import os

from chalice import Chalice, Rate, Response

from chalicelib import logs
from chalicelib.api.access import authenticate
from chalicelib.api.dispatch import respond
from chalicelib.api.openapi_paths import V2_PROTOBUF_ACCEPTED
from chalicelib.api.routes import METHODS, ROUTES, UNKNOWN_PATHS, view_name
from chalicelib.entrypoints.prune_events import start_scheduled_prune
from chalicelib.entrypoints.push_events import handle_ecr_event, reconcile_ecr
from chalicelib.entrypoints.schedule_events import run_scheduled_imports
from chalicelib.entrypoints.table_events import handle_table_records
from chalicelib.wiring import services

app = Chalice(app_name="imagestreams")
logs.configure()  # the app's lines at the function's log level (docs/operations.md)
# /openapi/v2 answers protobuf to kubectl: Chalice base64-encodes it for API Gateway, which
# decodes it, when the answer's Content-Type and the request's Accept are binary types.
app.api.binary_types += list(V2_PROTOBUF_ACCEPTED)
ANY = ["*/*"]  # media types are checked by the API layer so errors come back as Status
# Settings of the package, not of a deployment: the template replaces them with the stack's
# parameters AuthCacheSeconds, ImportScheduleMinutes and EcrReconcileMinutes (infra/), so
# that a setting is changed by a deploy, never by rebuilding the package.
AUTH_CACHE_SECONDS = 60  # how long API Gateway caches a token's answer
SCHEDULE_MINUTES = 15
ECR_RECONCILE_MINUTES = 15


@app.authorizer(ttl_seconds=AUTH_CACHE_SECONDS)
def token_authorizer(auth_request):
    return authenticate(services(), auth_request.token)


def serve(**_path: str) -> Response:
    return respond(app.current_request)


# Every path of the route table, protected where any of its methods is. Each path takes
# every method, so a method the table lacks is answered 405 with a Status by the API layer.
for _path, _methods in ROUTES.items():
    _protected = any(route.verb is not None for route in _methods.values())
    app.route(_path, methods=METHODS, content_types=ANY, name=view_name(_path),
              authorizer=token_authorizer if _protected else None)(serve)

# API Gateway has no catch-all route; one capture route per depth answers unknown paths
# with a 404 Status instead of the gateway's own 403 body. Concrete routes match first.
for _path in UNKNOWN_PATHS:
    app.route(_path, methods=METHODS, content_types=ANY, name=f"unknown{_path.count('/')}")(
        serve)


def _request_id(event) -> str:
    """The invocation's request id, from the Lambda context Chalice hands with the event."""
    return getattr(getattr(event, "context", None), "aws_request_id", "") or ""


# Deployment replaces this placeholder with the table's stream ARN (infra/ merge template).
TABLE_STREAM_ARN = os.environ.get(
    "TABLE_STREAM_ARN",
    "arn:aws:dynamodb:us-east-1:000000000000:table/imagestreams/stream/placeholder")


# Large batches gathered over a few seconds: ten tag changes fill one PublishBatch call.
# The answer names the first record to deliver again (a partial batch response).
@app.on_dynamodb_record(stream_arn=TABLE_STREAM_ARN, batch_size=1000,
                        maximum_batching_window_in_seconds=5, starting_position="TRIM_HORIZON")
def publish_tag_changes(event):
    return handle_table_records(event.to_dict()["Records"], _request_id(event))


# Re-import scheduled tags; the run stops before the function's timeout, leaving the rest due.
@app.schedule(Rate(SCHEDULE_MINUTES, unit=Rate.MINUTES), name="reimport_scheduled_tags")
def reimport_scheduled_tags(event):
    return run_scheduled_imports(event.context)


@app.on_cw_event({"source": ["aws.ecr"], "detail-type": ["ECR Image Action"],
                  "detail": {"action-type": ["PUSH"], "result": ["SUCCESS"]}},
                 name="record_ecr_push")
def record_ecr_push(event):
    return handle_ecr_event(event.to_dict(), _request_id(event))


# ECR events are best effort: apply every tagged push that no event delivered.
@app.schedule(Rate(ECR_RECONCILE_MINUTES, unit=Rate.MINUTES), name="reconcile_ecr_pushes")
def reconcile_ecr_pushes(event):
    return reconcile_ecr(event.context)


# Optional: the PruneSchedule stack parameter replaces this rate, and without it the
# function, its rule and its role do not exist (infra/pruning.json). Each event starts a run.
@app.schedule(Rate(1, unit=Rate.DAYS), name="prune_images")
def prune_images(event):
    return start_scheduled_prune(event.to_dict(), os.environ, _request_id(event))
