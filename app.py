"""Entry points of the imagestreams service. Each handler hands the request to the API layer."""
import os

from chalice import Chalice, Rate

from chalicelib.api.access import authenticate
from chalicelib.api.dispatch import respond
from chalicelib.api.routes import (CORE_NAMESPACED, GROUP, METHODS, NAMESPACED, RBAC, TOKENS,
                                   UNKNOWN_PATHS, WHOAMI)
from chalicelib.push_events import handle_ecr_event, reconcile_ecr
from chalicelib.schedule_events import SCHEDULE_MINUTES, run_scheduled_imports
from chalicelib.table_events import handle_table_records
from chalicelib.wiring import services

app = Chalice(app_name="imagestreams")
ECR_RECONCILE_MINUTES = int(os.environ.get("ECR_RECONCILE_MINUTES", "15"))
ANY = ["*/*"]  # media types are checked by the API layer so errors come back as Status
# How long API Gateway caches a token's answer: a revoked token works this much longer.
AUTH_CACHE_SECONDS = int(os.environ.get("AUTH_CACHE_SECONDS", "60"))


@app.authorizer(ttl_seconds=AUTH_CACHE_SECONDS)
def token_authorizer(auth_request):
    return authenticate(services(), auth_request.token)


@app.route("/api", methods=METHODS, content_types=ANY)
def api():
    return respond(app.current_request)


@app.route("/api/v1", methods=METHODS, content_types=ANY)
def api_v1():
    return respond(app.current_request)


@app.route("/apis", methods=METHODS, content_types=ANY)
def apis():
    return respond(app.current_request)


@app.route("/apis/image.openshift.io", methods=METHODS, content_types=ANY)
def api_group():
    return respond(app.current_request)


@app.route(GROUP, methods=METHODS, content_types=ANY)
def api_group_version():
    return respond(app.current_request)


@app.route("/version", methods=METHODS, content_types=ANY)
def version():
    return respond(app.current_request)


@app.route("/healthz", methods=METHODS, content_types=ANY)
def healthz():
    return respond(app.current_request)


@app.route("/openapi/v3", methods=METHODS, content_types=ANY)
def openapi():
    return respond(app.current_request)


@app.route(NAMESPACED + "/imagestreams", methods=METHODS, content_types=ANY,
           authorizer=token_authorizer)
def imagestreams(namespace):
    return respond(app.current_request)


@app.route(NAMESPACED + "/imagestreams/{name}", methods=METHODS, content_types=ANY,
           authorizer=token_authorizer)
def imagestream(namespace, name):
    return respond(app.current_request)


@app.route(NAMESPACED + "/imagestreams/{name}/triggers", methods=METHODS, content_types=ANY,
           authorizer=token_authorizer)
def imagestream_triggers(namespace, name):
    return respond(app.current_request)


@app.route(NAMESPACED + "/imagestreams/{name}/triggers/{trigger}", methods=METHODS,
           content_types=ANY,
           authorizer=token_authorizer)
def imagestream_trigger(namespace, name, trigger):
    return respond(app.current_request)


@app.route(NAMESPACED + "/imagestreamtags", methods=METHODS, content_types=ANY,
           authorizer=token_authorizer)
def imagestreamtags(namespace):
    return respond(app.current_request)


@app.route(NAMESPACED + "/imagestreamtags/{name}", methods=METHODS, content_types=ANY,
           authorizer=token_authorizer)
def imagestreamtag(namespace, name):
    return respond(app.current_request)


@app.route(NAMESPACED + "/imagestreamimages/{name}", methods=METHODS, content_types=ANY,
           authorizer=token_authorizer)
def imagestreamimage(namespace, name):
    return respond(app.current_request)


@app.route(NAMESPACED + "/imagestreammappings", methods=METHODS, content_types=ANY,
           authorizer=token_authorizer)
def imagestreammappings(namespace):
    return respond(app.current_request)


@app.route(NAMESPACED + "/imagestreamimports", methods=METHODS, content_types=ANY,
           authorizer=token_authorizer)
def imagestreamimports(namespace):
    return respond(app.current_request)


@app.route(CORE_NAMESPACED + "/secrets", methods=METHODS, content_types=ANY,
           authorizer=token_authorizer)
def secrets(namespace):
    return respond(app.current_request)


@app.route(CORE_NAMESPACED + "/secrets/{name}", methods=METHODS, content_types=ANY,
           authorizer=token_authorizer)
def secret(namespace, name):
    return respond(app.current_request)


@app.route(GROUP + "/images", methods=METHODS, content_types=ANY,
           authorizer=token_authorizer)
def images():
    return respond(app.current_request)


@app.route(GROUP + "/images/{name}", methods=METHODS, content_types=ANY,
           authorizer=token_authorizer)
def image(name):
    return respond(app.current_request)


@app.route(RBAC + "/namespaces/{namespace}/rolebindings", methods=METHODS, content_types=ANY,
           authorizer=token_authorizer)
def rolebindings(namespace):
    return respond(app.current_request)


@app.route(RBAC + "/namespaces/{namespace}/rolebindings/{name}", methods=METHODS,
           content_types=ANY, authorizer=token_authorizer)
def rolebinding(namespace, name):
    return respond(app.current_request)


@app.route(RBAC + "/clusterrolebindings", methods=METHODS, content_types=ANY,
           authorizer=token_authorizer)
def clusterrolebindings():
    return respond(app.current_request)


@app.route(RBAC + "/clusterrolebindings/{name}", methods=METHODS, content_types=ANY,
           authorizer=token_authorizer)
def clusterrolebinding(name):
    return respond(app.current_request)


@app.route(TOKENS + "/accesstokens", methods=METHODS, content_types=ANY,
           authorizer=token_authorizer)
def accesstokens():
    return respond(app.current_request)


@app.route(TOKENS + "/accesstokens/{name}", methods=METHODS, content_types=ANY,
           authorizer=token_authorizer)
def accesstoken(name):
    return respond(app.current_request)


@app.route(TOKENS + "/namespaces/{namespace}/accesstokens", methods=METHODS, content_types=ANY,
           authorizer=token_authorizer)
def namespace_accesstokens(namespace):
    return respond(app.current_request)


@app.route(TOKENS + "/namespaces/{namespace}/accesstokens/{name}", methods=METHODS,
           content_types=ANY, authorizer=token_authorizer)
def namespace_accesstoken(namespace, name):
    return respond(app.current_request)


@app.route(WHOAMI, methods=METHODS, content_types=ANY, authorizer=token_authorizer)
def whoami():
    return respond(app.current_request)


@app.route("/webhooks/registry", methods=METHODS, content_types=ANY)
def registry_webhook():
    return respond(app.current_request)


def unknown_path(**_):
    return respond(app.current_request)


# API Gateway has no catch-all route; one capture route per depth answers unknown paths
# with a 404 Status instead of the gateway's own 403 body. Concrete routes match first.
for _path in UNKNOWN_PATHS:
    app.route(_path, methods=METHODS, content_types=ANY, name=f"unknown{_path.count('/')}")(
        unknown_path)


# Deployment replaces this placeholder with the table's stream ARN (infra/ merge template).
TABLE_STREAM_ARN = os.environ.get(
    "TABLE_STREAM_ARN",
    "arn:aws:dynamodb:us-east-1:000000000000:table/imagestreams/stream/placeholder")


# Large batches gathered over a few seconds: ten tag changes fill one PublishBatch call.
# The answer names the first record to deliver again (a partial batch response).
@app.on_dynamodb_record(stream_arn=TABLE_STREAM_ARN, batch_size=1000,
                        maximum_batching_window_in_seconds=5, starting_position="TRIM_HORIZON")
def publish_tag_changes(event):
    return handle_table_records(event.to_dict()["Records"])


# Re-import scheduled tags; the run stops before the function's timeout, leaving the rest due.
@app.schedule(Rate(SCHEDULE_MINUTES, unit=Rate.MINUTES), name="reimport_scheduled_tags")
def reimport_scheduled_tags(event):
    return run_scheduled_imports(event.context)


@app.on_cw_event({"source": ["aws.ecr"], "detail-type": ["ECR Image Action"],
                  "detail": {"action-type": ["PUSH"], "result": ["SUCCESS"]}},
                 name="record_ecr_push")
def record_ecr_push(event):
    return handle_ecr_event(event.to_dict())


# ECR events are best effort: apply every tagged push that no event delivered.
@app.schedule(Rate(ECR_RECONCILE_MINUTES, unit=Rate.MINUTES), name="reconcile_ecr_pushes")
def reconcile_ecr_pushes(event):
    return reconcile_ecr()
