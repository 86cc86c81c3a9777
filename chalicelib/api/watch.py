"""`?watch=true` on a namespace's imagestreams and imagestreamtags: Kubernetes watch events
of what changed after a resourceVersion, in one bounded answer.

API Gateway sends an answer whole and within 29 seconds, so a watch answers when there is
something to send, or with nothing once its `timeoutSeconds` (at most WATCH_SECONDS) are
up; client-go and the Python client then watch again from the last resourceVersion they
saw. Positions come from the namespace's change log (services/watches.py); an event's
object is read when the answer is made, so it is the object's state then.

Every request passes watch_route, so field selectors and Tables are imported only when a
watch is served.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..domain import changes
from ..domain.changes import DELETED, LoggedChange, Noticed
from ..domain.errors import BadRequest, NotFound
from ..resources.meta import API_VERSION
from ..resources.meta import now as utc_now
from ..wiring import Services
from . import listing
from .catalogue import CATALOGUE, Resource
from .responses import MAX_RESPONSE_BYTES, fit_stream
from .route import Call, Reply, Route, WatchEvents

# Under API Gateway's 29-second limit, with time to read the objects and answer.
WATCH_SECONDS = 25
MAX_EVENTS = 100  # objects read for one answer; the next watch goes on from the last sent
Object = dict[str, Any]


@dataclass(frozen=True)
class Watched:
    """What one kind's watch needs: its resource, which changes concern it, its objects."""

    resource: Resource
    noticed: Callable[[list[LoggedChange]], list[Noticed]]
    read: Callable[[Services, str, str], Object]  # namespace, name: the object as served
    listed: Callable[[Services, str], list[Object]]  # every object of the namespace


TRUE = ("1", "t", "T", "true", "TRUE", "True")  # what Go's strconv.ParseBool takes as true


def watch_route(route: Route, call: Call) -> Route:
    """The route serving `call`: a list's watch when the call asks for one."""
    if call.query.get("watch") not in TRUE:
        return route
    if route.watch is None:
        raise BadRequest(f"watch is not served for {route.resource}: only lists of "
                         "imagestreams and imagestreamtags in a namespace can be watched")
    return Route("watch", route.resource, route.watch)


def watch_streams(services: Services, call: Call) -> Reply:
    return _watch(services, call, STREAM_WATCH)


def watch_stream_tags(services: Services, call: Call) -> Reply:
    return _watch(services, call, STREAM_TAG_WATCH)


def _watch(services: Services, call: Call, watched: Watched) -> Reply:
    if not call.namespace:
        raise BadRequest(f"watch is served per namespace: watch "
                         f"/apis/{API_VERSION}/namespaces/<namespace>/"
                         f"{watched.resource.plural}")
    seconds = _timeout(call.query.get("timeoutSeconds", ""))
    requested = call.query.get("resourceVersion", "")
    matches = _selector(call, watched.resource)
    events: list[Object] = []
    if requested in ("", "0"):
        # Kubernetes' "any" start: the current objects as ADDED, then what changes after.
        position = services.watches.newest(call.namespace)
        events = _fitted([event for event in (
            _event("ADDED", obj, position) for obj in watched.listed(services, call.namespace))
            if matches(event)])
    else:
        start = changes.watch_position(requested)
        if start is None:
            raise BadRequest(f'resourceVersion: Invalid value: "{requested}": must be the '
                             "resourceVersion of a list or of a watch event")
        position = start
    if not events:
        events, position = _changes(services, call.namespace, watched, position, seconds,
                                    matches)
    if call.query.get("allowWatchBookmarks") in TRUE:
        events.append({"type": "BOOKMARK", "object": {
            "kind": watched.resource.kind, "apiVersion": watched.resource.group_version,
            "metadata": {"resourceVersion": str(position)}}})
    return 200, WatchEvents(_as_asked(events, call))


def _changes(services: Services, namespace: str, watched: Watched, position: int,
             seconds: float, matches: Callable[[Object], bool]) -> tuple[list[Object], int]:
    """Events of what changed after `position`, waiting up to `seconds` for one that
    `matches`; and the position the next watch starts from."""
    wanted = lambda logged: bool(watched.noticed([logged]))  # noqa: E731
    while True:
        waited = services.watches.wait(namespace, position, seconds, wanted)
        noticed = watched.noticed(waited.changes)
        position = waited.reached
        if len(noticed) > MAX_EVENTS:
            noticed = noticed[:MAX_EVENTS]
            position = noticed[-1].position
        events = [event for event in (_read(services, namespace, watched, item)
                                      for item in noticed)
                  if event is not None and matches(event)]
        if events or not noticed:  # something to send, or the time is up
            return _fitted(events), position
        seconds = 0  # what changed was filtered out: answer, so the client moves on


def _read(services: Services, namespace: str, watched: Watched, noticed: Noticed
          ) -> Object | None:
    if noticed.type == DELETED:
        obj: Object = {"kind": watched.resource.kind, "apiVersion": API_VERSION,
                       "metadata": {"name": noticed.name, "namespace": namespace}}
        return _event(DELETED, obj, noticed.position)
    try:
        obj = watched.read(services, namespace, noticed.name)
    except NotFound:
        return None  # deleted since: its DELETED event follows
    return _event(noticed.type, obj, noticed.position)


def _event(kind: str, obj: Object, position: int) -> Object:
    metadata = obj.setdefault("metadata", {})
    metadata["resourceVersion"] = changes.event_version(position,
                                                        metadata.get("resourceVersion", ""))
    return {"type": kind, "object": obj}


def _fitted(events: list[Object]) -> list[Object]:
    """The objects share one Lambda answer, as a list page's items do."""
    share = MAX_RESPONSE_BYTES // max(1, len(events))
    for event in events:
        if event["object"].get("kind") == "ImageStream":
            event["object"] = fit_stream(event["object"], share)
    return events


def _timeout(text: str) -> float:
    if text == "":
        return WATCH_SECONDS
    if not text.isascii() or not text.isdigit():
        raise BadRequest(f'timeoutSeconds: Invalid value: "{text}": must be a whole number '
                         "of seconds")
    return min(int(text), WATCH_SECONDS) if int(text) else WATCH_SECONDS


def _selector(call: Call, resource: Resource) -> Callable[[Object], bool]:
    """Whether an event is for the watcher, by its object's fields and labels."""
    from .field_selectors import parse_field_selector
    fields = parse_field_selector(call.query.get("fieldSelector", ""), resource.kind)
    labels = listing.label_selector(call.query)

    def matches(event: Object) -> bool:
        # A deletion is sent whatever the object's labels were (they are not kept): a
        # watcher that never had the object ignores it, and one that had it must not keep it.
        obj = event["object"]
        return fields(obj) and (event["type"] == DELETED or
                                labels((obj.get("metadata") or {}).get("labels") or {}))

    return matches


def _as_asked(events: list[Object], call: Call) -> list[Object]:
    """Each event's object as a one-row Table when the Accept header asks for Tables."""
    from .tables import table_version, to_table
    version = table_version(call.headers.get("accept", ""))
    if version is None:
        return events
    now = utc_now()
    include = call.query.get("includeObject", "")
    return [{"type": event["type"], "object": to_table(
        event["object"], version=version, include_object=include, now=now)}
        for event in events]


STREAM_WATCH = Watched(
    resource=CATALOGUE["imagestreams"],
    noticed=changes.noticed_streams,
    read=lambda services, namespace, name: services.streams.get(namespace, name).to_json(),
    listed=lambda services, namespace: _every_page(
        lambda after: services.streams.list(namespace, listing.MAX_PAGE, after,
                                            lambda _labels: True)))
STREAM_TAG_WATCH = Watched(
    resource=CATALOGUE["imagestreamtags"],
    noticed=changes.noticed_stream_tags,
    read=lambda services, namespace, name: services.tags.get(namespace, name).to_json(),
    listed=lambda services, namespace: _every_page(
        lambda after: services.tags.list_tags(namespace, listing.MAX_PAGE, after)))


def _every_page(page: Callable[[str | None], tuple[Any, str | None]]) -> list[Object]:
    objects: list[Object] = []
    after: str | None = None
    while True:
        items, after = page(after)
        objects += items.to_json()["items"]
        if after is None:
            return objects
