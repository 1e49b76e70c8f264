"""What the bot's own pages (ID通知, review) share: a GET only shows, a POST acts, and a POST
counts only from the page's own form — its form token (rendered on GET, checked on POST) and,
when the browser says where the form was, an Origin or Referer that is WEBNACCS_PUBLIC_URL.

Responses are never stored (no-store), never indexed, never framed, and their referrer is sent
only to the bot itself: ``no-referrer`` would make browsers send ``Origin: null`` with the form's
own POST, which is what a sandboxed attacker page sends too.
"""

from __future__ import annotations

import logging
from datetime import datetime

from aiohttp import web
from yarl import URL

from handlers.links import LinkSigner
from handlers.render import Renderer

log = logging.getLogger("webnaccs.web")

HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow",
           "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY",
           "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                                      "frame-ancestors 'none'"}
TOKEN_FIELD = "form_token"
MAX_FORM = 64 * 1024  # bytes of a page's form: a reason and a comment fit many times over


def origin_of(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) of an absolute http(s) URL, default ports spelled out; else None."""
    try:
        parsed = URL(url.strip())
        if parsed.scheme.lower() not in ("http", "https") or not parsed.host:
            return None
        return parsed.scheme.lower(), parsed.host.lower(), parsed.port
    except (ValueError, TypeError):
        return None


def same_origin(request: web.Request, public_url: str) -> bool:
    """The form was posted from the bot's own pages, as far as the browser tells: its Origin
    (or, without one, its Referer) is WEBNACCS_PUBLIC_URL. Neither header: nothing to compare
    (clients that are not browsers), and the form token still has to hold."""
    own = origin_of(public_url)
    for header in ("Origin", "Referer"):
        value = request.headers.get(header)
        if value is not None:
            return own is not None and origin_of(value) == own  # "null" is no origin at all
    return True


def form_problem(request: web.Request, form: dict[str, str], signer: LinkSigner,
                 now: datetime) -> str | None:
    """Why a POST does not count — ``foreign_origin``, ``token_invalid`` (missing, or not made
    for this page) or ``token_expired`` (this page's, shown too long ago) — or None."""
    page_name = request.path.split("/")[1]
    if not same_origin(request, signer.public_url):
        log.warning("POST /%s refused: Origin %r, Referer %r is not %s", page_name, request.headers.get("Origin"),
                    _origin_only(request.headers.get("Referer")), signer.public_url)
        return "foreign_origin"
    check = signer.check_form_token(request.path, form.get(TOKEN_FIELD, ""), now)
    if check is not None:
        log.warning("POST /%s refused: form token %s", page_name, check)
        return f"token_{check}"
    return None


async def read_form(request: web.Request) -> dict[str, str] | None:
    """The posted fields (the first of each name), or None when the body is too large or not a form."""
    if request.content_length is not None and request.content_length > MAX_FORM:
        return None
    try:
        data = await request.post()
    except (ValueError, web.HTTPException):
        return None
    form: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, str):
            form.setdefault(key, value)
    return form


def page(renderer: Renderer, lang: str, name: str, *, status: int = 200, **values: object) -> web.Response:
    html = renderer.render(name, lang, **values)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8", headers=HEADERS)


def _origin_only(referer: str | None) -> str | None:
    """A Referer without its path (the path of our own pages is a signed link)."""
    found = origin_of(referer) if referer else None
    return f"{found[0]}://{found[1]}:{found[2]}" if found else referer and "(not a URL)"
