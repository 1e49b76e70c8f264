"""The ID通知 page: a GET shows only a button; the codes appear after the POST it sends.

Mail scanners that follow links therefore neither see nor use up anything. The link is signed
and expires the day after the start date; anyone without it gets a plain refusal. The POST
counts only from the page's own form (its form token, and an Origin that is the bot's:
handlers.page_safety); every reveal is written to the audit trail (``id_revealed``).
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.application import Application
from bot.service import Service
from handlers import page_safety
from handlers.links import LinkSigner
from handlers.render import Renderer


def add_routes(app: web.Application, *, service: Service, renderer: Renderer, signer: LinkSigner,
               lang: str) -> None:
    page = _Pages(service, renderer, signer, lang)

    async def show(request: web.Request) -> web.Response:
        found = await page.checked(request)
        if isinstance(found, web.Response):
            return found
        return page.button(request, found)

    async def reveal(request: web.Request) -> web.Response:
        found = await page.checked(request)
        if isinstance(found, web.Response):
            return found
        form = await page_safety.read_form(request)
        problem = "bad_form" if form is None else \
            page_safety.form_problem(request, form, signer, service.clock.now())
        if problem == "token_expired":  # this page's own form, left open too long: press again
            return page.button(request, found, notice=problem)
        if problem is not None:
            return page.render(found.lang, "web/form_refused.html", status=400 if problem == "bad_form" else 403,
                               problem=problem)
        codes = await asyncio.to_thread(service.id_codes, found)
        await asyncio.to_thread(service.note, found.id, actor="web:id-page", action="id_revealed")
        return page.render(found.lang, "web/id_codes.html", app=found, codes=codes)

    route = "/id/{app_id}/{expires}/{signature}"
    app.router.add_get(route, show)
    app.router.add_post(route, reveal)


class _Pages:
    def __init__(self, service: Service, renderer: Renderer, signer: LinkSigner, lang: str) -> None:
        self.service = service
        self.renderer = renderer
        self.signer = signer
        self.lang = lang

    async def checked(self, request: web.Request) -> Application | web.Response:
        """The application the link is for, or the refusal page."""
        info = request.match_info
        problem = self.signer.check(info["app_id"], info["expires"], info["signature"],
                                    self.service.today())
        found = None
        if problem is None:
            try:
                found = await asyncio.to_thread(self.service.load, info["app_id"])
            except ValueError:
                found = None
            if found is None or not found.id_notice or found.id_notice.get("expires_on") != info["expires"]:
                problem = "invalid"
        if problem is not None or found is None:
            status = 410 if problem == "expired" else 404
            return self.render(self.lang, "web/id_refused.html", status=status, problem=problem)
        return found

    def button(self, request: web.Request, found: Application, *, notice: str | None = None) -> web.Response:
        token = self.signer.form_token(request.path, self.service.clock.now())
        return self.render(found.lang, "web/id_button.html", app=found, token=token,
                           token_field=page_safety.TOKEN_FIELD, notice=notice)

    def render(self, lang: str, name: str, *, status: int = 200, **values: object) -> web.Response:
        return page_safety.page(self.renderer, lang, name, status=status, **values)
