"""ID通知 (SPEC §6): per digital certificate a 論理端末名, a 端末アクセスキー and 認証コード1–3.

They are secrets: drawn from the operating system's cryptographic source (``secrets``), sealed by
the Vault port before they are stored, and never put in a notice's parameters.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Any

# No 0/O, 1/I/L: codes are copied by hand into the certificate request.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_DIGITS = "0123456789"


def _draw(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def issue(count: int, issued_on: date, user_code: str | None = None) -> list[dict[str, Any]]:
    """One set of codes per certificate."""
    prefix = (user_code or "W")[:5]
    return [{
        "logical_terminal": f"{prefix}{n:02d}{_draw(_ALPHABET, 3)}",
        "access_key": _draw(_ALPHABET, 16),
        "auth_codes": [_draw(_DIGITS, 8) for _ in range(3)],
        "issued_on": issued_on.isoformat(),
    } for n in range(1, count + 1)]


def link_expires_on(start_date: date) -> date:
    """The seed: note the codes between the review and the day after the start date."""
    return start_date + timedelta(days=1)
