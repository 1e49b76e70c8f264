"""A notice to an administrator address that the applicant typed and no channel verified
(issue 15.8): anyone can type any address, so the mail must not let them send their words from
the bot's trusted address to it.

Such a mail (its outbox message has ``requested_by``, bot/notices.py) says plainly that the named
applicant asked for it, with the identity a channel verified (their mail address or Slack user);
of what the applicant typed it carries only names — company, office, people — with anything
shaped like a link, a domain or an address in them defused (``example[.]com``); no free text
(変更する理由, 備考); and no document that holds free text (the application form, 申込書, which
the applicant gets). The approval notice holds names, codes, dates and counts only, so it stays.
"""

from __future__ import annotations

import re
from typing import Any

from bot import fields as F
from handlers.notice_values import PEOPLE

FREE_TEXT_DOCUMENTS = frozenset({"form"})  # documents.kind_for: the form has change_reason, remarks
_LINKISH = re.compile(
    r"[A-Za-z][A-Za-z0-9+.-]*://\S*"  # a URL with a scheme
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # an address
    r"|(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}\b",  # a domain, www.… included
)


def applies(message: dict[str, Any]) -> bool:
    return message.get("role") == "admin" and "requested_by" in message


def defused(text: str) -> str:
    """``text`` with every link-shaped part broken so that no mail program makes it a link."""
    def defuse(m: re.Match[str]) -> str:
        return m.group(0).replace("://", "[:]//").replace("@", "[at]").replace(".", "[.]")

    return _LINKISH.sub(defuse, text)


def requested_by(message: dict[str, Any]) -> dict[str, str] | None:
    """Who asked for the mail (names defused), when it goes to an unverified administrator."""
    if not applies(message):
        return None
    return {k: defused(str(v)) if k in ("applicant_name", "company_name") else str(v)
            for k, v in (message.get("requested_by") or {}).items() if v}


def values(values: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    """A notice's template values for the unverified administrator: names defused, no free
    text, and who asked for the mail."""
    kept = {k: v for k, v in values.items() if not (k in F.BY_KEY and F.BY_KEY[k].multiline)}
    for key in PEOPLE:
        if isinstance(kept.get(key), str):
            kept[key] = defused(kept[key])
    return {**kept, "requested_by": requested_by(message), "unverified": True}
