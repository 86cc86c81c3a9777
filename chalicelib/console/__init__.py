"""The web console: one static page and its assets, served by the API itself at /console.

The page holds no data: its script reads everything from the public API with the bearer
token the user signs in with, so access control applies to the console as to any client,
and the page and its assets are open routes like the discovery documents.

Assets are named by a hash of their content (`app.<hash>.js`) and may be cached for a year;
the page, which names them, is revalidated on every load, so a deploy takes effect at once.
The page's Content-Security-Policy allows scripts, styles and requests of this origin only,
no inline script or style, no framing, and no HTML written from strings (Trusted Types).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..api.route import Call, RawBody, Reply
from ..domain.errors import NotFound
from ..wiring import Services

STATIC = Path(__file__).parent / "static"
PAGE_PATH = "/console"
ASSETS = ("app.js", "console.css", "favicon.svg")  # each named <stem>.<hash><suffix>
CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
                 ".svg": "image/svg+xml"}
ASSET_MEDIA_TYPES = tuple(sorted({media.partition(";")[0] for media in CONTENT_TYPES.values()}))
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'",
    "connect-src 'self'", "font-src 'self'", "manifest-src 'self'", "base-uri 'none'",
    "form-action 'self'", "frame-ancestors 'none'", "object-src 'none'",
    "require-trusted-types-for 'script'", "trusted-types 'none'"])
COMMON_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                  "Cross-Origin-Resource-Policy": "same-origin"}
PAGE_HEADERS = {**COMMON_HEADERS, "Content-Type": "text/html; charset=utf-8",
                "Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Frame-Options": "DENY",
                "Cross-Origin-Opener-Policy": "same-origin", "Cache-Control": "no-cache"}
ASSET_CACHE = "public, max-age=31536000, immutable"  # the name changes with the content
HASH_LENGTH = 12


@dataclass(frozen=True)
class Asset:
    name: str  # the hashed name it is served under
    body: str
    content_type: str


@cache
def assets() -> dict[str, Asset]:
    """Each asset by its source name (`app.js`), read and hashed once per container."""
    found = {}
    for source in ASSETS:
        path = STATIC / source
        body = path.read_text(encoding="utf-8")
        digest = hashlib.sha256(body.encode()).hexdigest()[:HASH_LENGTH]
        found[source] = Asset(f"{path.stem}.{digest}{path.suffix}", body,
                              CONTENT_TYPES[path.suffix])
    return found


def asset_path(source: str) -> str:
    """Where the page names an asset, relative to the API's root: `console/assets/<name>`."""
    return f"console/assets/{assets()[source].name}"


@cache
def _page_template() -> str:
    return (STATIC / "index.html").read_text(encoding="utf-8")


def api_root(request_path: str) -> str:
    """The API's root as the browser reaches it, from the page's path: `/` locally, the
    stage's prefix (`/api/`) on an API Gateway endpoint, the base path on a custom domain."""
    path = request_path.rstrip("/")
    prefix = path[:-len(PAGE_PATH)] if path.endswith(PAGE_PATH) else ""
    return prefix + "/"


def page_html(root: str) -> str:
    html = _page_template()
    for source in ASSETS:
        html = html.replace("{{" + source + "}}", root + asset_path(source))
    return html


def get_page(_services: Services, call: Call) -> Reply:
    """The console's one page: the same for everyone, data comes later with the token."""
    return 200, RawBody(page_html(api_root(call.request_path)), PAGE_HEADERS)


def get_asset(_services: Services, call: Call) -> Reply:
    """An asset by its hashed name; an old hash is not found (the page names the new one)."""
    for asset in assets().values():
        if asset.name == call.name:
            return 200, RawBody(asset.body, {**COMMON_HEADERS, "Content-Type": asset.content_type,
                                             "Cache-Control": ASSET_CACHE})
    raise NotFound(f'console asset "{call.name}" not found')
