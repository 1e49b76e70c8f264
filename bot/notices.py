"""Notices the procedure sends (SPEC §5), built as outbox messages — data, not text.

One message per recipient and channel: email to the applicant and the administrator, and a
Slack DM to the applicant when the application was made in Slack. The dispatcher renders each
one through the templates of its language and delivers it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.application import Application
from bot.business_days import next_business_day
from bot.conversation import Reply
from bot.vocabulary import Decision, OutboxMessage


def addressed(app: Application) -> dict[str, Any]:
    """Who a notice is addressed to, as the NACCS mails do: company, office, department, name;
    and the administrator by name."""
    return {key: app.answers.get(key) for key in (
        "company_name", "office_name", "applicant_department", "applicant_name", "admin_name")}


def acknowledgment_params(app: Application, now: datetime) -> dict[str, Any]:
    return {
        **addressed(app),
        "acceptance_number": app.acceptance_number,
        "filed_at": app.filed_at,
        "filed_on": now.date().isoformat(),
        "answer_from": next_business_day(now.date()).isoformat(),
        "desired_start_date": app.answers.get("desired_start_date"),
    }


def verified(app: Application, address: str) -> bool:
    """Whether a channel has shown that ``address`` belongs to someone who took part in the
    application: the applicant wrote from it (replies are accepted only from the address their
    reply address was given to) or it is their Slack profile's."""
    return f"email:{address.strip().lower()}" in {key.lower() for key in app.people}


def requested_by(app: Application) -> dict[str, str]:
    """Who asked the bot to mail an unverified administrator address: the applicant's names as
    given, and the identity a channel verified (their mail address, or their Slack user)."""
    emails = [k.split(":", 1)[1] for k in app.people if k.startswith("email:")]
    slack = [k.split(":", 1)[1] for k in app.people if k.startswith("slack:")]
    found = {"applicant_name": app.answers.get("applicant_name"), "company_name": app.answers.get("company_name"),
             "email": emails[0] if emails else None, "slack_user": slack[0] if slack else None}
    return {k: str(v) for k, v in found.items() if v}


def recipients(app: Application, *, applicant_only: bool = False) -> list[dict[str, str]]:
    """Where a notice goes: (role, channel, address) for each person and channel."""
    out = [{"role": "applicant", "channel": "email", "to": app.answers["applicant_email"]}]
    slack = [k.split(":", 1)[1] for k in app.people if k.startswith("slack:")]
    if slack:
        out.append({"role": "applicant", "channel": "slack", "to": slack[0]})
    admin = app.answers.get("admin_email")
    if not applicant_only and admin and admin != app.answers["applicant_email"]:
        out.append({"role": "admin", "channel": "email", "to": admin})
    return out


def build(kind: str, app: Application, now: datetime, params: dict[str, Any], *,
          applicant_only: bool = False) -> list[OutboxMessage]:
    """The notice to every recipient. An administrator address that no channel verified gets
    ``requested_by``: its mail says who asked for it and carries nothing else they wrote."""
    out: list[OutboxMessage] = []
    for r in recipients(app, applicant_only=applicant_only):
        message: OutboxMessage = {
            "id": f"{kind}-{params.get('reminder', '')}{app.version}-{r['role']}-{r['channel']}",
            "kind": "notice", "notice": kind, "lang": app.lang, "created_at": now.isoformat(),
            "acceptance_number": app.acceptance_number, "params": params,
            "role": r["role"], "channel": r["channel"], "to": r["to"]}
        if r["role"] == "admin" and not verified(app, r["to"]):
            message["requested_by"] = requested_by(app)
        out.append(message)
    return out


def to_people(app: Application, kind: str, now: datetime, params: dict[str, Any]
              ) -> list[OutboxMessage]:
    """A notice about a draft, to the person where they talk to us (a draft may have no email
    answer yet): their Slack DM and/or the address they mailed from."""
    out: list[OutboxMessage] = []
    for key in app.people:
        channel, _, address = key.partition(":")
        if channel in ("slack", "email") and all(m["channel"] != channel for m in out):
            out.append({"id": f"{kind}-{app.version}-{channel}", "kind": "notice", "notice": kind,
                        "lang": app.lang, "created_at": now.isoformat(), "role": "applicant",
                        "channel": channel, "to": address, "acceptance_number": app.acceptance_number,
                        "params": params})
    return out


def acknowledgment(app: Application, now: datetime) -> list[OutboxMessage]:
    """受付完了: acceptance number, date, and when an answer may come."""
    return build("acknowledgment", app, now, acknowledgment_params(app, now))


def decision_params(app: Application, now: datetime) -> dict[str, Any]:
    review = app.review or {}
    return {
        **addressed(app),
        "acceptance_number": app.acceptance_number,
        "filed_on": (app.filed_at or now.isoformat())[:10],
        "desired_start_date": app.answers.get("desired_start_date"),
        "start_date": review.get("start_date"),
        "start_date_differs": bool(review.get("start_date"))
        and review.get("start_date") != app.answers.get("desired_start_date"),
        "reason": review.get("reason") or "",
        "comment": review.get("comment") or "",
    }


def decision(app: Application, now: datetime) -> list[OutboxMessage]:
    """The notice that follows a reviewer's decision: confirmation, returned or rejected."""
    kind = {Decision.APPROVE: "confirmation", Decision.RETURN: "returned",
            Decision.REJECT: "rejected"}[Decision((app.review or {})["decision"])]
    return build(kind, app, now, decision_params(app, now))


def id_notification(app: Application, now: datetime) -> list[OutboxMessage]:
    """ID通知: to the applicant only. No secret travels in the message: the Slack DM is filled
    from the sealed codes when it is posted, and the mail carries only a link to the page."""
    params = {**decision_params(app, now), **{k: v for k, v in (app.id_notice or {}).items()
                                               if k != "sealed"}}
    return build("id_notification", app, now, params, applicant_only=True)


def replies(app: Application, channel: str, address: str | None, replies: list[Reply],
            now: datetime, *, thread: str | None = None, hosting: str | None = None) -> list[OutboxMessage]:
    """One turn's replies for a person reached through a channel, as ONE outbox message
    (a mail holds the whole turn; Slack posts each reply in order); ``thread`` is where in
    the channel the person wrote (``Person.thread``), kept so the replies go there too.
    ``hosting``: the id of the new application whose questions ``app``'s record asks (it is
    stored with its first answer), which the questions name rather than ``app``."""
    if not address or not replies:
        return []
    message: OutboxMessage = {
        "id": f"reply-{app.version}", "kind": "reply", "channel": channel, "to": address,
        "lang": app.lang, "created_at": now.isoformat(), "acceptance_number": app.acceptance_number,
        "replies": [{"kind": r.kind, "field": r.field, "params": r.params, "choices": r.choices}
                    for r in replies],
    }
    if thread:
        message["thread"] = thread
    if hosting and hosting != app.id:
        message["application_id"] = hosting
    return [message]


def review(app: Application, now: datetime, action: str,
           channels: tuple[str, ...] = ("review",)) -> list[OutboxMessage]:
    """For the reviewers: ``request`` a decision on a filing, or show it ``decided`` or
    ``withdrawn``. ``channels`` are the configured ones (``Core.review_channels``): ``review``
    is the Slack review channel (one card); ``email:ADDRESS`` a reviewer by mail, who gets the
    request, and what became of it unless they decided it themselves. A channel not
    configured gets nothing queued at all."""
    base: OutboxMessage = {
        "id": f"review-{action}-{app.version}", "kind": "review", "channel": "review",
        "action": action, "lang": app.lang, "created_at": now.isoformat(),
        "acceptance_number": app.acceptance_number, "review": app.review,
    }
    decider = (app.review or {}).get("by") if action == "decided" else None
    out: list[OutboxMessage] = []
    for n, channel in enumerate(channels):
        if channel == "review":
            out.append(base)
        elif channel.startswith("email:") and channel != decider:
            out.append({**base, "id": f"{base['id']}-mail{n}", "channel": "email",
                        "to": channel.removeprefix("email:"), "role": "reviewer"})
    return out
