"""A tag's whole history, page by page: the stream's status shows only its recent events."""
from __future__ import annotations

from ..domain.errors import BadRequest, NotFound
from ..domain.validation import names_valid
from ..resources.history import ImageStreamTagHistory
from .ports import StreamStore
from .stream_tags import ISTAGS, split_istag


def tag_history(store: StreamStore, namespace: str, name: str, limit: int, after: str | None
                ) -> tuple[ImageStreamTagHistory, str | None]:
    """Up to `limit` events of the istag `name` (`stream:tag`), newest first, after the
    continue point `after` (the sequence number of the last event a page had); returns
    the page and the point to continue from, None on the last page. A tag without an image
    has an empty history; a tag that does not exist is NotFound."""
    stream_name, tag_name = split_istag(name)
    before = None
    if after is not None:
        if not after.isdigit():
            raise BadRequest("continue key is not valid: it must be the metadata.continue value "
                             "of a previous history page")
        before = int(after)
    tag = (store.get_tag(namespace, stream_name, tag_name)
           if names_valid(namespace, stream_name, tag_name) else None)
    if tag is None:
        raise NotFound.of(ISTAGS, name)
    page = store.history_page(namespace, stream_name, tag, limit, before)
    return (ImageStreamTagHistory(tag=name, items=page.events),
            str(page.before) if page.before is not None else None)
