"""The aiohttp web application: ``/healthz``, ``/metrics``, the ID通知 page and the review page of
reviewers by mail; channels add their routes (Slack's ``/slack/events``) through ``Channel.routes``."""

from __future__ import annotations

from aiohttp import web

from bot.service import Service
from handlers import id_page, review_page
from handlers.links import LinkSigner
from handlers.metrics import exposition
from handlers.render import Renderer


def make_app(*, service: Service, renderer: Renderer, links: LinkSigner, lang: str) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def metrics(request: web.Request) -> web.Response:
        return web.Response(body=exposition(), content_type="text/plain", charset="utf-8",
                            headers={"Cache-Control": "no-store"})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    id_page.add_routes(app, service=service, renderer=renderer, signer=links, lang=lang)
    review_page.add_routes(app, service=service, renderer=renderer, signer=links, lang=lang)
    return app
