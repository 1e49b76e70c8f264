"""What reviewers see: the review card in the review channel, its decision modals, and the
answers to a refused or late click. Ids are the contract of SPEC §8."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot import fields as F
from bot.application import Application
from handlers.render import Renderer, format_date
from handlers.slack import limits
from handlers.slack.mrkdwn import escape, escape_all, inert, labelled, mention, plain, sections, short

REVIEW = "slack/review.j2"
HOME = "slack/home.j2"
REVIEW_EVENT = "webnaccs_review"
DECISIONS = ("approve", "return", "reject")
ACTION_IDS = {d: f"review_{d}" for d in DECISIONS}
CALLBACK_IDS = {d: f"review_{d}_modal" for d in DECISIONS}
STYLES = {"approve": "primary", "reject": "danger"}


def review_metadata(number: str | None) -> dict[str, Any]:
    return {"event_type": REVIEW_EVENT, "event_payload": {"acceptance_number": number}}


def when(moment: str | None, lang: str) -> str:
    """An ISO timestamp as a reviewer reads it: date and minutes (Japan time)."""
    if not moment:
        return ""
    return f"{format_date(moment[:10], lang)} {moment[11:16]}".strip()


def card(app: Application, *, lang: str, renderer: Renderer,
         outcome: dict[str, Any] | None = None) -> dict[str, Any]:
    """The review card; ``outcome`` (an outbox review message) replaces the buttons with
    the decision, who and when."""
    number = app.acceptance_number or ""
    applicant = next((mention(k) for k in app.people if k.startswith("slack:")), "")
    blocks: list[dict[str, Any]] = [
        {"type": "header",
         "text": plain(renderer.block(REVIEW, "title", lang, acceptance_number=number), limits.HEADER)},
        *sections(renderer.block(REVIEW, "intro", lang, acceptance_number=escape(number))),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": renderer.block(
            REVIEW, "filed", lang, when=when(app.filed_at, lang), applicant=applicant)}]},
    ]
    # Each answer in plain_text beside our bold label: what the applicant wrote (line breaks,
    # "*審査結果*：承認済み" …) is shown as written and can never pose as a line of the card.
    blocks += labelled([(renderer.label(f.key, lang), renderer.show(f.key, app.answers.get(f.key), lang))
                        for f in F.applicable(app.answers)])
    if app.answers.get("fixed_settings"):
        blocks += sections(escape(renderer.render("fixed.j2", lang, fixed=app.answers["fixed_settings"])))
    text = renderer.block(REVIEW, "text", lang, acceptance_number=number)
    if outcome is None:
        blocks.append({"type": "actions", "block_id": "review_actions", "elements": [
            {"type": "button", "action_id": ACTION_IDS[d], "value": number,
             "text": plain(renderer.block(REVIEW, d, lang)), **({"style": STYLES[d]} if d in STYLES else {})}
            for d in DECISIONS]})
    else:
        result = outcome_text(outcome, lang=lang, renderer=renderer)
        blocks.append({"type": "section", "block_id": "review_result",
                       "text": {"type": "mrkdwn", "text": short(result, limits.SECTION_TEXT)}})
        text = result
    return {"text": short(escape(text) if outcome is None else text), "blocks": blocks,
            "metadata": review_metadata(number)}


def outcome_text(outcome: dict[str, Any], *, lang: str, renderer: Renderer) -> str:
    """How a card shows what became of the filing (mrkdwn, user text escaped)."""
    review = outcome.get("review") or {}
    if outcome.get("action") == "withdrawn" or not review:
        return renderer.block(REVIEW, "withdrawn", lang, when=when(outcome.get("created_at"), lang))
    return decided_text(review, lang=lang, renderer=renderer)


def decided_text(review: dict[str, Any], *, lang: str, renderer: Renderer) -> str:
    params = escape_all({"reason": review.get("reason") or "", "comment": review.get("comment") or ""})
    return renderer.block(REVIEW, "decided", lang, decision_label=renderer.block(REVIEW, review["decision"], lang),
                          who=mention(review.get("by")), when=when(review.get("at"), lang),
                          start_date=review.get("start_date"), **params)


def late_text(app: Application, *, lang: str, renderer: Renderer) -> str:
    """For a click on a filing that no longer waits for review: who decided, and when."""
    review = app.review or {}
    number = escape(app.acceptance_number or "")
    if review.get("decision") in DECISIONS:
        return renderer.block(REVIEW, "already_decided", lang, acceptance_number=number,
                              decision_label=renderer.block(REVIEW, review["decision"], lang),
                              who=mention(review.get("by")), when=when(review.get("at"), lang))
    return renderer.block(REVIEW, "not_under_review", lang, acceptance_number=number,
                          state_label=renderer.block(HOME, f"state_{app.state}", lang))


def decision_modal(app: Application, decision: str, *, lang: str, renderer: Renderer,
                   dates: list[date], channel: str | None, ts: str | None) -> dict[str, Any]:
    label = renderer.block(REVIEW, decision, lang)
    blocks = sections(renderer.block(REVIEW, "modal_intro", lang, decision_label=label,
                                     acceptance_number=escape(app.acceptance_number or ""),
                                     company_name=inert(str(app.answers.get("company_name") or ""))))
    can_submit = True
    if decision == "approve":
        if dates:
            options = [{"text": plain(format_date(d, lang)), "value": d.isoformat()} for d in dates]
            select: dict[str, Any] = {"type": "static_select", "action_id": "start_date", "options": options}
            desired = [o for o in options if o["value"] == app.answers.get("desired_start_date")]
            if desired:
                select["initial_option"] = desired[0]
            blocks.append({"type": "input", "block_id": "start_date", "element": select,
                           "label": plain(renderer.block(REVIEW, "start_date_label", lang), limits.LABEL),
                           "hint": plain(renderer.block(REVIEW, "start_date_hint", lang), limits.LABEL)})
        else:
            blocks += sections(renderer.block(REVIEW, "no_dates", lang))
            can_submit = False
        blocks.append({"type": "input", "block_id": "comment", "optional": True,
                       "element": {"type": "plain_text_input", "action_id": "comment", "multiline": True},
                       "label": plain(renderer.block(REVIEW, "comment_label", lang), limits.LABEL)})
    else:
        blocks.append({"type": "input", "block_id": "reason",
                       "element": {"type": "plain_text_input", "action_id": "reason", "multiline": True},
                       "label": plain(renderer.block(REVIEW, "reason_label", lang, decision_label=label), limits.LABEL),
                       "hint": plain(renderer.block(REVIEW, "reason_hint", lang), limits.LABEL)})
    view: dict[str, Any] = {
        "type": "modal", "callback_id": CALLBACK_IDS[decision],
        "title": plain(renderer.block(REVIEW, "modal_title", lang, decision_label=label), 24),
        "close": plain(renderer.block(REVIEW, "cancel", lang), 24), "notify_on_close": True,
        "private_metadata": json.dumps({"number": app.acceptance_number, "channel": channel, "ts": ts,
                                        "lang": lang}),
        "blocks": blocks}
    if can_submit:
        view["submit"] = plain(renderer.block(REVIEW, f"submit_{decision}", lang), 24)
    return view


def info_view(text: str, *, lang: str, renderer: Renderer) -> dict[str, Any]:
    """A modal that only tells something (the decision someone else made first)."""
    return {"type": "modal", "title": plain(renderer.block(REVIEW, "result_title", lang), 24),
            "close": plain(renderer.block(REVIEW, "close", lang), 24), "blocks": sections(text)}


def modal_input(view: dict[str, Any], block_id: str) -> str:
    """A submitted value: the text typed, or the value of the option selected."""
    entry = (((view.get("state") or {}).get("values") or {}).get(block_id) or {}).get(block_id) or {}
    if entry.get("selected_option"):
        return str(entry["selected_option"].get("value") or "")
    return str(entry.get("value") or "")
