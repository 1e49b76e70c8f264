"""The review page of a reviewer by mail: ``/review/<app>/<reviewer>/<expires>/<signature>``.

The 承認 / 差戻し / 却下 buttons of a review mail open it (``?decision=…`` picks the form). A GET
only shows: the whole application and the form, or what became of it (who decided, and when).
A POST decides, with the rules of the Slack buttons: the link is bound to one application and
one reviewer, who must still be in WEBNACCS_REVIEWER_EMAILS; Service.decide applies one
decision per filing and records the reviewer (``email:ADDRESS``) in the audit trail. The POST
counts only from the page's own form (form token, Origin: handlers.page_safety).
"""

from __future__ import annotations

import asyncio
import logging
import unicodedata
from dataclasses import dataclass

from aiohttp import web

from bot.application import Application
from bot.events import Ruling
from bot.service import Service
from bot.vocabulary import State
from handlers import page_safety, review_view
from handlers.links import LinkSigner
from handlers.render import Renderer

log = logging.getLogger("webnaccs.web.review")
ROUTE = "/review/{app_id}/{reviewer}/{expires}/{signature}"
FIELDS = ("decision", "start_date", "comment", "reason", "seen")


@dataclass(frozen=True)
class Visit:
    """A genuine link of a configured reviewer, and the application it is for."""

    app: Application
    reviewer: str  # the address, as configured


def add_routes(app: web.Application, *, service: Service, renderer: Renderer, signer: LinkSigner,
               lang: str) -> None:
    page = ReviewPage(service, renderer, signer, lang)
    app.router.add_get(ROUTE, page.show)
    app.router.add_post(ROUTE, page.decide)


class ReviewPage:
    def __init__(self, service: Service, renderer: Renderer, signer: LinkSigner, lang: str) -> None:
        self.service = service
        self.renderer = renderer
        self.signer = signer
        self.lang = lang  # for refusals; the page itself speaks the application's language

    async def show(self, request: web.Request) -> web.Response:
        visit = await self.visit(request)
        if isinstance(visit, web.Response):
            return visit
        if visit.app.state != State.UNDER_REVIEW:
            return self.result(visit)
        decision = request.query.get("decision", "approve")
        return self.form(request, visit, {"decision": decision if decision in review_view.DECISIONS else "approve"})

    async def decide(self, request: web.Request) -> web.Response:
        visit = await self.visit(request, acting=True)
        if isinstance(visit, web.Response):
            return visit
        form = await page_safety.read_form(request)
        problem = "bad_form" if form is None else \
            page_safety.form_problem(request, form, self.signer, self.service.clock.now())
        if problem is not None and problem != "token_expired":
            return self.render(visit.app.lang, "web/form_refused.html", status=400 if problem == "bad_form" else 403,
                               problem=problem)
        assert form is not None
        values = {k: form.get(k, "") for k in FIELDS}  # reason and comment: the core reads them (NFKC)
        values.update({k: unicodedata.normalize("NFKC", values[k]).strip() for k in ("decision", "start_date", "seen")})
        under_review = visit.app.state == State.UNDER_REVIEW
        unknown = values["decision"] not in review_view.DECISIONS
        if problem or unknown or (under_review and values["seen"] != review_view.seen(visit.app)):
            if not under_review:  # nothing to decide any more: what became of it
                return self.result(visit, status=409)
            # Shown too long ago, or filed again with other answers since: show it as it is now.
            notice = problem or ("bad_decision" if unknown else "changed")
            return self.form(request, visit, {**values, "decision": "approve" if unknown else values["decision"]},
                             status={"token_expired": 200, "bad_decision": 400}.get(notice, 409), notice=notice)
        ruling: Ruling = await asyncio.to_thread(
            self.service.decide, visit.app.acceptance_number or "", decision=values["decision"],
            actor=f"email:{visit.reviewer}", reason=values["reason"], comment=values["comment"],
            start_date=(values["start_date"] or None) if values["decision"] == "approve" else None)
        if ruling.applied and ruling.app is not None:
            log.info("application %s: %s by a mail reviewer", ruling.app.acceptance_number, values["decision"])
            return self.result(Visit(ruling.app, visit.reviewer), just_decided=True)
        if ruling.problem == "reason_required" or (ruling.problem or "").startswith("start_date"):
            return self.form(request, visit, values, status=400, error=ruling.problem)
        if ruling.app is None:
            return self.refused("not_found", 404)
        return self.result(Visit(ruling.app, visit.reviewer), status=409)  # decided before: by whom, when

    # --- the checks ---------------------------------------------------------------------------

    async def visit(self, request: web.Request, *, acting: bool = False) -> Visit | web.Response:
        """The application and reviewer of a genuine, live link; or the refusal page."""
        info = request.match_info
        problem = self.signer.check_review(info["app_id"], info["reviewer"], info["expires"], info["signature"],
                                           self.service.today())
        if problem is not None:
            return self.refused(problem, 410 if problem == "expired" else 404)
        try:
            app = await asyncio.to_thread(self.service.load, info["app_id"])
        except ValueError:
            app = None
        if app is None or not app.acceptance_number:
            return self.refused("invalid", 404)
        reviewer = review_view.reviewer_of(info["reviewer"], self.service, self.signer)
        if reviewer is None:
            if acting:  # a reviewer taken off the list: the attempt goes in the audit trail
                log.warning("review POST for %s refused: the link's reviewer is no longer configured",
                            app.acceptance_number)
                await asyncio.to_thread(self.service.note, app.id, actor="web:review-page",
                                        action="decision_refused", reason="not a configured mail reviewer")
            return self.refused("not_reviewer", 403)
        return Visit(app, reviewer)

    # --- the pages ----------------------------------------------------------------------------

    def form(self, request: web.Request, visit: Visit, values: dict[str, str], *, status: int = 200,
             error: str | None = None, notice: str | None = None) -> web.Response:
        app = visit.app
        dates = review_view.start_dates(self.service, app)
        chosen = values.get("start_date") or str(app.answers.get("desired_start_date") or "")
        lang = app.lang
        return self.render(lang, "web/review.html", status=status, app=app, reviewer=visit.reviewer,
                           rows=review_view.rows(app, self.renderer, lang),
                           fixed=review_view.fixed_settings(app, self.renderer, lang),
                           decision=values["decision"], decisions=review_view.DECISIONS,
                           dates=[d.isoformat() for d in dates], chosen=chosen,
                           comment=values.get("comment", ""), reason=values.get("reason", ""),
                           seen=review_view.seen(app), error=error, notice=notice,
                           token=self.signer.form_token(request.path, self.service.clock.now()),
                           token_field=page_safety.TOKEN_FIELD, outcome=None, just_decided=False)

    def result(self, visit: Visit, *, status: int = 200, just_decided: bool = False) -> web.Response:
        app, lang = visit.app, visit.app.lang
        return self.render(lang, "web/review.html", status=status, app=app, reviewer=visit.reviewer,
                           rows=review_view.rows(app, self.renderer, lang),
                           fixed=review_view.fixed_settings(app, self.renderer, lang),
                           outcome=review_view.outcome(app, self.renderer, lang), just_decided=just_decided,
                           mine=(app.review or {}).get("by") == f"email:{visit.reviewer}")

    def refused(self, problem: str, status: int) -> web.Response:
        return self.render(self.lang, "web/review_refused.html", status=status, problem=problem)

    def render(self, lang: str, name: str, *, status: int = 200, **values: object) -> web.Response:
        return page_safety.page(self.renderer, lang, name, status=status, **values)
