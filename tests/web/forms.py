"""Reading the bot's pages the way a browser does: the form's fields, the links, the text."""

from __future__ import annotations

from html.parser import HTMLParser


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.selected: dict[str, str] = {}
        self.options: dict[str, list[str]] = {}
        self.links: list[str] = []
        self.forms = 0
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms += 1
        elif tag == "input" and a.get("name"):
            self.fields[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a.get("name")
            self.options[self._select or ""] = []
        elif tag == "option" and self._select is not None:
            self.options[self._select].append(a.get("value", ""))
            if "selected" in a:
                self.selected[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.fields.setdefault(self._textarea or "", "")
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data


def read(html: str) -> _Form:
    parser = _Form()
    parser.feed(html)
    return parser


def form_fields(html: str) -> dict[str, str]:
    """What the page's form would post as it stands: inputs, textareas, the selected options."""
    page = read(html)
    return {**page.fields, **page.selected}
