"""The ID通知 page: a GET shows only a button; the codes appear after the POST it sends.

Mail scanners that follow links therefore neither see nor use up anything. The link is signed
and expires the day after the start date; anyone without it gets a plain refusal.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.bootstrap import Bot
from handlers.links import LinkSigner

_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow",
            "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"}


def add_routes(app: web.Application, bot: Bot, signer: LinkSigner) -> None:
    async def show(request: web.Request) -> web.Response:
        found = await _checked(request, bot, signer)
        if isinstance(found, web.Response):
            return found
        return _page(bot, found.lang, "web/id_button.html", app=found)

    async def reveal(request: web.Request) -> web.Response:
        found = await _checked(request, bot, signer)
        if isinstance(found, web.Response):
            return found
        codes = await asyncio.to_thread(bot.service.id_codes, found)
        await asyncio.to_thread(bot.service.note, found.id, actor="web:id-page",
                                action="id_revealed")
        return _page(bot, found.lang, "web/id_codes.html", app=found, codes=codes)

    route = "/id/{app_id}/{expires}/{signature}"
    app.router.add_get(route, show)
    app.router.add_post(route, reveal)


async def _checked(request: web.Request, bot: Bot, signer: LinkSigner):  # type: ignore[no-untyped-def]
    info = request.match_info
    problem = signer.check(info["app_id"], info["expires"], info["signature"], bot.service.today())
    found = None
    if problem is None:
        try:
            found = await asyncio.to_thread(bot.service.load, info["app_id"])
        except ValueError:
            found = None
        if found is None or not found.id_notice or found.id_notice.get("expires_on") != info["expires"]:
            problem = "invalid"
    if problem is not None:
        status = 410 if problem == "expired" else 404
        return _page(bot, bot.config.lang, "web/id_refused.html", status=status, problem=problem)
    return found


def _page(bot: Bot, lang: str, name: str, *, status: int = 200, **values: object) -> web.Response:
    html = bot.renderer.render(name, lang, **values)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8",
                        headers=_HEADERS)
