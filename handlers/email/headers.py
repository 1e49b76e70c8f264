"""The header fields of an inbound mail, each value capped before it is parsed.

The stdlib's structured header parser takes time growing faster than the value (a Subject of
20,000 encoded words took 11 s), so a value longer than ``policies.MAX_HEADER_CHARS`` is cut to
that length first, and the cut is remembered (``too_long``) for the reading to report.
"""

from __future__ import annotations

from email.message import Message

from handlers.email import policies


class Headers:
    def __init__(self, msg: Message) -> None:
        self._raw: dict[str, str] = {}
        for name, value in msg.raw_items():
            self._raw.setdefault(name.lower(), str(value))
        self.too_long: list[str] = []  # the names of the fields that were cut, in reading order

    def names(self) -> list[str]:
        return list(self._raw)

    def has(self, name: str) -> bool:
        return name.lower() in self._raw

    def raw(self, name: str) -> str:
        """The first field of that name as it came, not decoded (or ""): for values of ASCII
        tokens (Message-IDs), read past the cap by a linear scan."""
        return self._raw.get(name.lower(), "")

    def get(self, name: str) -> str:
        """The decoded value of the first field of that name, or "" (absent or malformed)."""
        raw = self._raw.get(name.lower())
        if raw is None:
            return ""
        if len(raw) > policies.MAX_HEADER_CHARS and name not in self.too_long:
            self.too_long.append(name)
        try:
            return str(policies.READING.header_fetch_parse(name, raw))
        except (IndexError, ValueError, TypeError):  # malformed headers must not stop the reading
            return ""
