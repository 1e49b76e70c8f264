"""The crash drill's verdict, once the last service has stopped: what was lost (judged from the
store's state, read through the store's code) and what was delivered more than once (counted
at the Slack mock and the relay sink).

Lost: an acknowledged Slack event id or Message-ID that is not in its application's
``inbound``; a filing the applicant was told of that is not stored under that number; a decision
the CLI acknowledged (exit 0) that is not applied; a notice those imply that never arrived.

Delivered more than once:

* Slack: ``chat.postMessage`` calls answered 200 that carry the same outbox message (an
  ``outbox_id`` in the message metadata, when the service puts one there) and the same text, or
  else the same text to the same channel for the same step (the same question of the same
  application, the same notice of the same number, the same review card, or a reply without
  metadata posted again word for word).
* Mail, two figures: the same Message-ID to the same recipient more than once (raw resends: a
  kill between the relay's 250 and the mark sends the mail again, and a client that threads by
  Message-ID shows it once), and the same notice (or the same question of the same
  application) to the same person under different Message-IDs (effective duplicates: the
  person reads it twice).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from email.parser import BytesHeaderParser
from typing import Any

from bench.applicants import MailApplicant, SlackApplicant
from bench.crash_state import Record, View
from tests.slack.mock_slack import Call

Applicant = SlackApplicant | MailApplicant
NOTICE_OF = {"approve": "confirmation", "reject": "rejected", "return": "returned"}
STATES = {"approve": {"approved", "active"}, "reject": {"rejected"}, "return": {"returned"}}


def person(a: Applicant) -> str:
    return f"slack:{a.user}" if isinstance(a, SlackApplicant) else f"email:{a.address}"


def recipients(a: Applicant) -> tuple[str | None, str, str]:
    """(Slack user or None, applicant's mail, administrator's mail), as the applicant answered."""
    if isinstance(a, SlackApplicant):
        email = f"{a.user.lower()}@example.co.jp"
        return a.user, email, f"admin-{a.user.lower()}@example.co.jp"
    local = a.address.split("@")[0]
    return None, a.address, f"admin-{local}@example.co.jp"


def applications(view: View, applicants: list[Applicant]) -> tuple[dict[str, Record], int]:
    """Each person's (last) application started by them, and how many people have more than one."""
    apps: dict[str, Record] = {}
    many = 0
    for a in applicants:
        key = person(a)
        found = [r for r in view.records_of(key)
                 if (r.get("people") or [None])[0] == key and r.get("state") != "contact"]
        many += len(found) > 1
        if found:
            apps[key] = found[-1]
    return apps, many


def lost(applicants: list[Applicant], view: View) -> dict[str, Any]:
    acked = {"slack": 0, "mail": 0}
    missing = {"slack": 0, "mail": 0}
    where: Counter[str] = Counter()
    typed_again = 0
    for a in applicants:
        kind = "slack" if isinstance(a, SlackApplicant) else "mail"
        inbound = {k for r in view.records_of(person(a)) for k in r.get("inbound") or []}  # a contact's too
        for step in a.steps:
            typed_again += step.resent_as is not None
            if step.acked is None:
                continue
            acked[kind] += 1
            if step.key not in inbound:
                missing[kind] += 1
                where[step.text[:12]] += 1
    return {"acked_slack_events": acked["slack"], "acked_mails": acked["mail"], "lost_slack_events": missing["slack"],
            "lost_mails": missing["mail"], "lost_at": dict(where.most_common(8)), "typed_again": typed_again}


def decisions(drill: Any, applicants: list[Applicant], apps: dict[str, Record]) -> dict[str, Any]:
    told = [(a, a.acceptance_number) for a in applicants if a.acceptance_number]
    by_number = {n: a for a, n in told}
    filing_missing = 0
    for a, n in told:
        app = apps.get(person(a))
        filing_missing += not (app and app.get("acceptance_number") == n and app.get("state") != "draft")
    numbers = Counter(app.get("acceptance_number") for app in apps.values() if app.get("acceptance_number"))
    decided = [d for d in drill.decisions if d["exit"] == 0]
    decision_missing = 0
    for d in decided:
        app = apps.get(person(by_number[d["number"]])) or {}
        review = app.get("review") or {}
        decision_missing += app.get("state") not in STATES[d["decision"]] or review.get("decision") != d["decision"]
    return {"filings_told": len(told), "filings_missing": filing_missing,
            "numbers_given_twice": sum(1 for c in numbers.values() if c > 1),
            "decisions_acked": len(decided), "decisions_refused": len(drill.decisions) - len(decided),
            "decisions_missing": decision_missing, "told": told, "decided": decided}


def expected_notices(told: list[tuple[Applicant, str]], decided: list[dict[str, Any]]) -> Counter[tuple[str, ...]]:
    """(channel, recipient, notice, number) → how many the acknowledged filings and decisions imply."""
    expected: Counter[tuple[str, ...]] = Counter()
    by_number = {d["number"]: d for d in decided}
    for a, n in told:
        user, email, admin = recipients(a)
        kinds = [("acknowledgment", True)]
        d = by_number.get(n)
        if d:
            kinds.append((NOTICE_OF[d["decision"]], True))
            if d["decision"] == "approve":
                kinds.append(("id_notification", False))  # the applicant only
        for notice, to_admin in kinds:
            if user:
                expected[("slack", user, notice, n)] += 1
            expected[("email", email, notice, n)] += 1
            if to_admin:
                expected[("email", admin, notice, n)] += 1
    return expected


def slack_posts(calls: list[Call]) -> tuple[Counter[tuple[str, ...]], dict[str, int], int, list[str]]:
    """(notices delivered by (channel, recipient, notice, number), duplicates by kind, posts,
    a few of the duplicates: channel and the start of the text)."""
    delivered: Counter[tuple[str, ...]] = Counter()
    same: Counter[tuple[str, ...]] = Counter()
    kind_of: dict[tuple[str, ...], str] = {}
    texts: dict[tuple[str, ...], str] = {}
    posts = 0
    for call in calls:
        if call.method != "chat.postMessage" or call.status != 200:
            continue
        posts += 1
        channel, text = str(call.args.get("channel")), str(call.args.get("text") or "")
        meta = call.args.get("metadata") or {}
        payload = meta.get("event_payload") or {}
        kind = {"webnaccs_notice": "notices", "webnaccs_review": "review cards",
                "webnaccs_question": "questions"}.get(str(meta.get("event_type")), "other replies")
        outbox_id = payload.get("outbox_id") or payload.get("message_id")
        if kind == "notices":
            delivered[("slack", channel, str(payload.get("notice")), str(payload.get("acceptance_number")))] += 1
        if outbox_id:
            key: tuple[str, ...] = ("outbox", channel, str(outbox_id), text)
        elif kind == "questions":
            key = ("question", channel, str(payload.get("application_id")), str(payload.get("field")))
        elif kind == "notices":
            key = ("notice", channel, str(payload.get("notice")), str(payload.get("acceptance_number")))
        elif kind == "review cards":
            key = ("card", channel, str(payload.get("acceptance_number")))
        else:
            key = ("text", channel, text)
        same[key] += 1
        kind_of[key] = kind
        texts[key] = text
    twice: dict[str, int] = defaultdict(int)
    examples: list[str] = []
    for key, c in same.items():
        if c > 1:
            twice[kind_of[key]] += c - 1
            examples.append(f"{c}× {kind_of[key]} {key[1]}: {texts[key][:60]!r}")
    return delivered, dict(twice), posts, examples[:8]


def sink_mails(received: list[tuple[str, list[str], bytes]]) -> tuple[Counter[tuple[str, ...]], dict[str, Any]]:
    """(notices delivered by (channel, recipient, notice, number), the mail duplicate counts)."""
    delivered: Counter[tuple[str, ...]] = Counter()
    same_id: Counter[tuple[str, str]] = Counter()
    ids_of: defaultdict[tuple[str, ...], set[str]] = defaultdict(set)
    mails = 0
    for _, rcpts, raw in received:
        h = BytesHeaderParser().parsebytes(raw)
        message_id = str(h.get("Message-ID"))
        notice, field = h.get("X-WebNACCS-Notice"), h.get("X-WebNACCS-Field")
        number = str(h.get("X-WebNACCS-Acceptance-Number"))
        thread = str(h.get("References") or "").split(" ")[0]  # the application's thread root
        for r in (x.lower() for x in rcpts):
            mails += 1
            same_id[(r, message_id)] += 1
            if notice:
                delivered[("email", r, str(notice), number)] += 1
                ids_of[("notice", r, str(notice), number)].add(message_id)
            elif field:
                ids_of[("question", r, thread, str(field))].add(message_id)
    distinct = {k: len(v) - 1 for k, v in ids_of.items() if len(v) > 1}
    return delivered, {
        "mails_received": mails,
        "mail_resends_same_message_id": sum(c - 1 for c in same_id.values() if c > 1),
        "mail_duplicates_distinct_message_id": sum(distinct.values()),
        "mail_duplicates_notices": sum(v for k, v in distinct.items() if k[0] == "notice"),
        "mail_duplicates_questions": sum(v for k, v in distinct.items() if k[0] == "question"),
        "mail_duplicates_examples": [" ".join(k) for k in list(distinct)[:5]],
    }


def check(drill: Any, view: View) -> dict[str, Any]:
    applicants: list[Applicant] = [*drill.slack, *drill.mail]
    apps, many = applications(view, applicants)
    result: dict[str, Any] = {"applicants": len(applicants), "more_than_one_application": many,
                              **lost(applicants, view)}
    d = decisions(drill, applicants, apps)
    told, decided = d.pop("told"), d.pop("decided")
    result.update(d)
    expected = expected_notices(told, decided)
    slack_delivered, slack_twice, posts, slack_examples = slack_posts(drill.mock.calls)
    mail_delivered, mail = sink_mails(drill.sink.received)
    delivered = slack_delivered + mail_delivered
    result.update({
        "notices_expected": sum(expected.values()),
        "notices_missing": sum(max(0, c - delivered[k]) for k, c in expected.items()),
        "notices_unexpected": sum(c for k, c in delivered.items() if k not in expected),
        "slack_posts": posts, "slack_duplicates": sum(slack_twice.values()), "slack_duplicates_by_kind": slack_twice,
        "slack_duplicates_examples": slack_examples,
        **mail,
        "walk_failures": drill.failures[:5], "walk_failure_count": len(drill.failures),
    })
    return result
