"""One function per resource and verb: parse the call, run the use case, shape the reply.

The models of a body only one route reads are imported in its handler: every cold start
loads this module with the route table, and most never serve those routes."""
from __future__ import annotations

import logging
from typing import Any

from ..domain.errors import ApiError, BadRequest, NotFound
from ..resources.stream import ImageStream, ImageStreamMapping, ImageStreamTag
from ..services.patching import PATCH_MEDIA_TYPES
from ..services.tag_history import tag_history
from ..wiring import Services
from . import discovery, listing
from .bodies import media_type, read_json, read_object
from .catalogue import CATALOGUE
from .responses import MAX_RESPONSE_BYTES, fit_stream
from .route import Call, Reply
from .status import success_status

log = logging.getLogger(__name__)
STREAMS = CATALOGUE["imagestreams"].qualified
ISTAGS = CATALOGUE["imagestreamtags"].qualified
MAPPINGS = CATALOGUE["imagestreammappings"].qualified
ISIMPORTS = CATALOGUE["imagestreamimports"].qualified
TRIGGERS = CATALOGUE["imagestreams/triggers"].qualified

def _listed(items: Any, after: str | None, position: int | None = None) -> dict:
    """A list answer; `position`, the namespace's change log position read before the list
    was, is its resourceVersion: a watch from there sends every change the list missed."""
    body = items.to_json()
    body["metadata"] = {"continue": listing.encode_continue(after)} if after else {}
    if position is not None:
        body["metadata"]["resourceVersion"] = str(position)
    return body


def _precondition(call: Call) -> str | None:
    """resourceVersion from DeleteOptions.preconditions, when a body was sent."""
    if not call.body or not call.body.strip():
        return None
    options = read_json(call.body, call.headers)
    if not isinstance(options, dict):
        raise BadRequest("the request body must be a JSON object of kind DeleteOptions")
    preconditions = options.get("preconditions") or {}
    if not isinstance(preconditions, dict):
        raise BadRequest("preconditions must be a JSON object")
    version = preconditions.get("resourceVersion")
    if version is not None and not isinstance(version, str):
        raise BadRequest("preconditions.resourceVersion must be a string")
    return version


# -- discovery

def get_api(_: Services, __: Call) -> Reply:
    return 200, discovery.api_versions()


def get_apis(_: Services, __: Call) -> Reply:
    return 200, discovery.api_groups()


def get_group(_: Services, __: Call) -> Reply:
    return 200, discovery.api_group()


def get_version(_: Services, __: Call) -> Reply:
    return 200, discovery.version()


def get_health(_: Services, __: Call) -> Reply:
    return 200, {"status": "ok"}


def not_found(_: Services, call: Call) -> Reply:
    raise NotFound("the server could not find the requested resource")


# -- imagestreams

def list_streams(services: Services, call: Call) -> Reply:
    """A namespace's streams, or with no namespace in the path every namespace's."""
    page = (listing.page_limit(call.query), listing.decode_continue(call.query),
            listing.label_selector(call.query))
    position = services.watches.newest(call.namespace) if call.namespace else None
    items, after = (services.streams.list(call.namespace, *page) if call.namespace
                    else services.streams.list_all(*page))
    body = _listed(items, after, position)
    # The page shares one Lambda response: each stream gets an equal part of it.
    share = MAX_RESPONSE_BYTES // max(1, len(body["items"]))
    body["items"] = [fit_stream(item, share) for item in body["items"]]
    return 200, body


def create_stream(services: Services, call: Call) -> Reply:
    body = read_object(ImageStream, call.body, call.headers, "ImageStream", STREAMS)
    return 201, fit_stream(services.streams.create(call.actor, call.namespace, body).to_json())


def get_stream(services: Services, call: Call) -> Reply:
    return 200, fit_stream(services.streams.get(call.namespace, call.name).to_json())


def replace_stream(services: Services, call: Call) -> Reply:
    body = read_object(ImageStream, call.body, call.headers, "ImageStream", STREAMS, call.name)
    stream = services.streams.replace(call.actor, call.namespace, call.name, body)
    return 200, fit_stream(stream.to_json())


def patch_stream(services: Services, call: Call) -> Reply:
    patch = read_json(call.body, call.headers, accepted=PATCH_MEDIA_TYPES)
    stream = services.streams.patch(call.actor, call.namespace, call.name, patch,
                                    media_type(call.headers))
    return 200, fit_stream(stream.to_json())


def delete_stream(services: Services, call: Call) -> Reply:
    """The stream, then its triggers and their subscriptions. A delete of a stream that is
    gone removes what an earlier delete of it left (its removal stopped half-way)."""
    try:
        services.streams.delete(call.namespace, call.name, _precondition(call))
    except NotFound:
        _remove_triggers(services, call)
        raise
    _remove_triggers(services, call)
    return 200, success_status("imagestreams", call.name)


def _remove_triggers(services: Services, call: Call) -> None:
    # The stream is deleted whatever happens here: what is left belongs to no living stream,
    # so it matches no message of a stream created again under the name, and the next
    # delete of the name, or create, list or get of its triggers, removes it.
    try:
        services.triggers.remove_orphans(call.namespace, call.name)
    except ApiError as error:
        log.warning("removing the triggers of deleted stream %s/%s stopped: %s",
                    call.namespace, call.name, error.message)


# -- imagestreamtags

def list_stream_tags(services: Services, call: Call) -> Reply:
    """A namespace's tags, or with no namespace in the path every namespace's."""
    page = (listing.page_limit(call.query), listing.decode_continue(call.query))
    position = services.watches.newest(call.namespace) if call.namespace else None
    items, after = (services.tags.list_tags(call.namespace, *page) if call.namespace
                    else services.tags.list_all(*page))
    return 200, _listed(items, after, position)


def get_stream_tag(services: Services, call: Call) -> Reply:
    return 200, services.tags.get(call.namespace, call.name).to_json()


def create_stream_tag(services: Services, call: Call) -> Reply:
    body = read_object(ImageStreamTag, call.body, call.headers, "ImageStreamTag", ISTAGS)
    tag, _ = services.tags.put(call.actor, call.namespace, body.metadata.name or "", body,
                               create_only=True)
    return 201, tag.to_json()


def create_named_stream_tag(services: Services, call: Call) -> Reply:
    body = read_object(ImageStreamTag, call.body, call.headers, "ImageStreamTag", ISTAGS,
                       call.name)
    tag, _ = services.tags.put(call.actor, call.namespace, call.name, body, create_only=True)
    return 201, tag.to_json()


def put_stream_tag(services: Services, call: Call) -> Reply:
    body = read_object(ImageStreamTag, call.body, call.headers, "ImageStreamTag", ISTAGS,
                       call.name)
    tag, created = services.tags.put(call.actor, call.namespace, call.name, body, create_only=False)
    return (201 if created else 200), tag.to_json()


def patch_stream_tag(services: Services, call: Call) -> Reply:
    patch = read_json(call.body, call.headers, accepted=PATCH_MEDIA_TYPES)
    tag = services.tags.patch(call.actor, call.namespace, call.name, patch,
                              media_type(call.headers))
    return 200, tag.to_json()


def delete_stream_tag(services: Services, call: Call) -> Reply:
    services.tags.delete(call.actor, call.namespace, call.name, _precondition(call))
    return 200, success_status("imagestreamtags", call.name)


# -- imagestreamimages, imagestreammappings, images

def get_stream_image(services: Services, call: Call) -> Reply:
    return 200, services.tags.get_image(call.namespace, call.name).to_json()


def create_mapping(services: Services, call: Call) -> Reply:
    body = read_object(ImageStreamMapping, call.body, call.headers, "ImageStreamMapping",
                       MAPPINGS)
    stream, _ = services.tags.map(call.actor, call.namespace, body)
    return 201, success_status("imagestreammappings", stream, code=201)


def create_stream_import(services: Services, call: Call) -> Reply:
    from ..resources.imports import ImageStreamImport
    body = read_object(ImageStreamImport, call.body, call.headers, "ImageStreamImport",
                       ISIMPORTS)
    return 201, services.stream_imports.create(call.actor, call.namespace, body).to_json()


def list_images(services: Services, call: Call) -> Reply:
    items, after = services.images.list(listing.page_limit(call.query),
                                        listing.decode_continue(call.query))
    return 200, _listed(items, after)


def get_image(services: Services, call: Call) -> Reply:
    return 200, services.images.get(call.name).to_json()



# -- imagestreamtags/{name}/history

def get_tag_history(services: Services, call: Call) -> Reply:
    limit, after = listing.page_limit(call.query), listing.decode_continue(call.query)
    history, after = tag_history(services.store, call.namespace, call.name, limit, after)
    return 200, _listed(history, after)


# -- imagestreams/{name}/triggers

def list_triggers(services: Services, call: Call) -> Reply:
    return 200, services.triggers.list(call.namespace, call.name).to_json()


def create_trigger(services: Services, call: Call) -> Reply:
    from ..resources.triggers import ImageStreamTrigger
    body = read_object(ImageStreamTrigger, call.body, call.headers, "ImageStreamTrigger",
                       TRIGGERS)
    return 201, services.triggers.create(call.namespace, call.name, body).to_json()


def get_trigger(services: Services, call: Call) -> Reply:
    return 200, services.triggers.get(call.namespace, call.name, call.path["trigger"]).to_json()


def delete_trigger(services: Services, call: Call) -> Reply:
    trigger = call.path["trigger"]
    services.triggers.delete(call.namespace, call.name, trigger)
    return 200, success_status("imagestreams/triggers", trigger)


# -- secrets (core v1): registry credentials; answers never carry their values

def list_secrets(services: Services, call: Call) -> Reply:
    return 200, services.secrets.list(call.namespace).to_json()


def create_secret(services: Services, call: Call) -> Reply:
    from ..resources.secrets import Secret
    body = read_object(Secret, call.body, call.headers, "Secret", "secrets")
    return 201, services.secrets.create(call.namespace, body).to_json()


def get_secret(services: Services, call: Call) -> Reply:
    return 200, services.secrets.get(call.namespace, call.name).to_json()


def delete_secret(services: Services, call: Call) -> Reply:
    services.secrets.delete(call.namespace, call.name)
    status = success_status("secrets", call.name)
    del status["details"]["group"]  # the core group has no name
    return 200, status
