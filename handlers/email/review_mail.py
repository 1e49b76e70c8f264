"""The mails to reviewers by mail (WEBNACCS_REVIEWER_EMAILS), from outbox messages of kind
``review`` on the ``email`` channel (bot.notices.review).

- ``request``: the whole application, the application form (PDF) attached, and 承認 / 差戻し /
  却下 — buttons in the HTML part, plain links in the text part — each opening the reviewer's
  own signed, expiring review page (handlers.review_page) with that form chosen;
- ``decided``: a short note to the other mail reviewers: who decided what, and when;
- ``withdrawn``: the applicant withdrew it; no review is needed any more.

Replies go to a reply address no one holds for this application, so a reply is refused by the
SMTP listener rather than read as a new application; the mail says to use the page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.application import Application
from handlers import documents, review_view
from handlers.email import writer
from handlers.email.addresses import recipient
from handlers.email.compose import Composer, Unsendable, header_value
from handlers.render import LANGS

TEXT = "mail/review.j2"
HTML = "mail/review.html"
ACTIONS = ("request", "decided", "withdrawn")


def compose(composer: Composer, message: dict[str, Any], app: Application | None, now: datetime) -> writer.Outgoing:
    to = recipient(str(message.get("to") or ""))
    if to is None:
        raise Unsendable(f"not one plain address that can be written without SMTPUTF8: {message.get('to')!r}")
    action = str(message.get("action") or "")
    if action not in ACTIONS:
        raise Unsendable(f"no review mail for the action {action!r}")
    if app is None or not app.acceptance_number:
        raise Unsendable("no filed application for this review mail")
    if composer.links is None:
        raise Unsendable("review mails need the link signer (WEBNACCS_PUBLIC_URL)")
    lang = str(message.get("lang")) if message.get("lang") in LANGS else "ja"
    renderer, links = composer.renderer, composer.links
    sent_at = str(message.get("created_at") or now.isoformat())
    expires_on = review_view.link_expires_on(sent_at)
    files: list[tuple[str, bytes]] = []
    if action == "request":
        name = documents.file_name(app.acceptance_number or app.id, "form")
        files = [(name, documents.application_form(app, renderer, lang))]
    values = {
        "action": action, "number": app.acceptance_number, "company": app.answers.get("company_name") or "",
        "rows": review_view.rows(app, renderer, lang), "fixed": review_view.fixed_settings(app, renderer, lang),
        "outcome": review_view.outcome(app, renderer, lang, review=message.get("review")),
        "when": review_view.when(sent_at, lang), "expires_on": expires_on,
        "attachments": [name for name, _ in files],
        "links": {**{d: links.review_url(app.id, to, expires_on, d) for d in review_view.DECISIONS},
                  "page": links.review_url(app.id, to, expires_on)},
    }
    try:
        subject = header_value(renderer.block(TEXT, f"subject_{action}", lang, **values))
        text = renderer.block(TEXT, "text", lang, **values)
        page = renderer.render(HTML, lang, subject=subject, **values)
    except Exception as e:  # a missing template or value: an operator has to look
        raise Unsendable(f"cannot render the review mail ({action}): {e}") from e

    return writer.write([
        *composer.common_headers(app.id, str(message["id"]), to, lang, now, subject=subject),
        ("X-WebNACCS-Review", action),
        ("X-WebNACCS-Acceptance-Number", header_value(app.acceptance_number)),
    ], text + "\n", page + "\n", files, lang=lang)
