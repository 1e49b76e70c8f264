"""``webnaccs-bot outbox``: the operator's view of outgoing messages that are not sent yet.

Lists pending messages (with their tries, last error and next try) and failed ones (a relay's
5xx, a recipient refused, a template missing, a mail that came back undelivered — a bounce,
with the reason the receiving side gave), and puts a failed message back in the queue so the
running service delivers it again. A message is named ``APP_ID/MESSAGE_ID``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

from bot.ports import Store
from handlers.render import Renderer

SHOWN = ("pending", "failed")


@dataclass(frozen=True)
class Row:
    ref: str  # APP_ID/MESSAGE_ID
    status: str
    channel: str
    to: str
    what: str  # the notice kind, or the message kind
    acceptance_number: str | None
    attempts: int
    last_error: str
    created_at: str
    next_at: str
    bounced: str = ""  # when a bounce of it came back (its reason is in last_error), else ""


def rows(store: Store, *, statuses: tuple[str, ...] = SHOWN) -> list[Row]:
    """Every outbox message whose status is in ``statuses``, oldest first."""
    found: list[Row] = []
    for app_id in store.all_ids():
        for m in store.outbox(app_id):
            if status_of(m) in statuses:
                found.append(_row(app_id, m))
    return sorted(found, key=lambda r: (r.created_at, r.ref))


def status_of(m: dict[str, Any]) -> str:
    """A bounced message is failed, also when the bounce came back before the dispatcher had
    marked it sent (a relay that bounces at once): that mark keeps ``bounced``."""
    return "failed" if m.get("bounced") else str(m.get("status"))


def _row(app_id: str, m: dict[str, Any]) -> Row:
    return Row(ref=f"{app_id}/{m.get('id')}", status=status_of(m),
               channel=str(m.get("channel") or ""), to=str(m.get("to") or ""),
               what=str(m.get("notice") or m.get("kind") or ""),
               acceptance_number=m.get("acceptance_number"), attempts=int(m.get("attempts") or 0),
               last_error=str(m.get("last_error") or ""), created_at=str(m.get("created_at") or ""),
               next_at=str(m.get("next_at") or ""), bounced=str(m.get("bounced") or ""))


def retry(store: Store, ref: str) -> str:
    """Queue a failed message again; returns ``retried``, ``not_found`` or ``not_failed``."""
    app_id, _, message_id = unicodedata.normalize("NFKC", ref).strip().partition("/")
    if not app_id or not message_id:
        return "not_found"
    try:
        with store.locked():
            message = next((m for m in store.outbox(app_id) if m.get("id") == message_id), None)
            if message is None:
                return "not_found"
            if status_of(message) != "failed":
                return "not_failed"
            store.mark_outbox(app_id, message_id, "pending", next_at=None, bounced=None,
                              retried_after=message.get("last_error") or "")
    except ValueError:  # not a valid application id
        return "not_found"
    return "retried"


def render_list(renderer: Renderer, lang: str, store: Store) -> str:
    from handlers.cli.display import helpers

    return renderer.render("cli/outbox.j2", lang, rows=rows(store), **helpers(renderer, lang))


def as_json(store: Store) -> list[dict[str, Any]]:
    """The same rows for scripts (times as stored, ISO 8601 with their offset)."""
    return [asdict(r) for r in rows(store)]


def render_retry(renderer: Renderer, lang: str, ref: str, outcome: str) -> str:
    return renderer.render("cli/outbox_retry.j2", lang, ref=ref, outcome=outcome)
