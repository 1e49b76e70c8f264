"""The Slack baseline: a bare slack-bolt ``AsyncApp`` on the same aiohttp adapter as the bot
(``to_bolt_request`` / ``to_aiohttp_response`` at ``POST /slack/events``), which acks every DM
and posts one constant reply to the same Web API mock. Run by the benchmarks:

    BENCH_PORT=… BENCH_API_URL=… BENCH_SIGNING_SECRET=… BENCH_BOT_TOKEN=… python -m bench.baseline_slack
"""

from __future__ import annotations

import logging
import os
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

REPLY = "ありがとうございます。次の質問です：事業所名を入力してください。"


def make_app() -> web.Application:
    client = AsyncWebClient(token=os.environ["BENCH_BOT_TOKEN"], base_url=os.environ["BENCH_API_URL"],
                            timeout=30)
    bolt = AsyncApp(client=client, signing_secret=os.environ["BENCH_SIGNING_SECRET"],
                    logger=logging.getLogger("baseline.bolt"), name="baseline")

    @bolt.event("message")
    async def on_message(event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        await client.chat_postMessage(channel=event["user"], text=REPLY)

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post("/slack/events", events)
    app.router.add_get("/healthz", healthz)
    return app


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    web.run_app(make_app(), host="127.0.0.1", port=int(os.environ["BENCH_PORT"]), access_log=None,
                print=None)
