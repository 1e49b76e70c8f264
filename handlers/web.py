"""The aiohttp web application: ``/healthz`` here; channels add their routes (Slack's
``/slack/events``, the ID-notice page) through ``Channel.routes``."""

from __future__ import annotations

from aiohttp import web

from bot.bootstrap import Bot


def make_app(bot: Bot) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app.router.add_get("/healthz", healthz)
    app["bot"] = bot
    return app
