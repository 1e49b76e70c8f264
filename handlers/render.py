"""Turns the core's replies (data) into text through one Jinja2 environment.

Layout of ``templates/<lang>/``: ``replies/<kind>.j2`` (one per reply kind), ``fields/<key>.j2``
(blocks ``label``, ``question``, ``hint`` and ``choice_<value>``), ``reasons.j2`` (one block per
rejection code), ``fixed.j2`` (the fixed user-code settings) and ``cli/`` (operator commands).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape

from bot.conversation import Reply
from bot.fields import BY_KEY
from handlers.wrapping import wrap

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
LANGS = ("ja", "en")
_WEEKDAYS = {"ja": "月火水木金土日", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
PLAIN_BLOCKS = 4096  # value-less blocks kept rendered (the templates have about 700)


@lru_cache(maxsize=4)
def environment(root: Path) -> Environment:
    """One Jinja environment per template folder and process: its compiled templates are shared
    by every renderer (the templates ship with the package and never change while it runs)."""
    env = Environment(loader=FileSystemLoader(str(root)),
                      autoescape=select_autoescape(["html"], default=False),
                      trim_blocks=True, lstrip_blocks=True, undefined=StrictUndefined,
                      keep_trailing_newline=False, auto_reload=False, cache_size=1024)
    env.filters["wrap"] = wrap  # {{ text | wrap(lang, width) }}: mail lines (handlers/wrapping.py)
    return env


class Renderer:
    def __init__(self, root: Path = TEMPLATES) -> None:
        self.env = environment(root)
        self._by_lang: dict[str, dict[str, Any]] = {}  # the helpers of each language, made once
        self._plain: dict[tuple[str, str, str], str] = {}  # blocks rendered without values

    # --- whole messages -----------------------------------------------------------------

    def reply(self, reply: Reply, lang: str) -> str:
        values = {"field": reply.field, "choices": reply.choices, "error": None, "editing": False,
                  **reply.params}
        return self.render(f"replies/{reply.kind}.j2", lang, **values)

    def render(self, name: str, lang: str, /, **values: Any) -> str:
        lang = lang if lang in LANGS else "ja"
        text = self.env.get_template(f"{lang}/{name}").render({**self._helpers(lang), **values})
        return text.strip()

    def choice_labels(self, reply: Reply, lang: str) -> list[str]:
        """What each offered choice says (for buttons and JSON front ends)."""
        if reply.field and reply.field != "confirm" and reply.kind in ("question", "help_offer"):
            return [self.choice(reply.field, c, lang) for c in reply.choices]
        if reply.kind == "pick_field":
            return [self.label(c, lang) for c in reply.choices]
        return [self.block("choices.j2", f"{reply.kind}_{c}", lang) or c
                for c in reply.choices]

    # --- pieces -------------------------------------------------------------------------

    def block(self, name: str, block: str, lang: str, /, **values: Any) -> str:
        if values:
            return self._block(name, block, lang, values)
        # Without values a block says the same every time (templates and helpers are fixed
        # while the process runs): a label, a marker, a subject. Bounded by the templates.
        key = (name, block, lang)
        text = self._plain.get(key)
        if text is None:
            text = self._block(name, block, lang, {})
            if len(self._plain) < PLAIN_BLOCKS:
                self._plain[key] = text
        return text

    def _block(self, name: str, block: str, lang: str, values: dict[str, Any]) -> str:
        template = self._template(f"{lang}/{name}")
        render = template.blocks.get(block)
        if render is None:
            return ""
        context = template.new_context({**self._helpers(lang), **values})
        return "".join(render(context)).strip()

    def label(self, key: str, lang: str) -> str:
        return self.block(f"fields/{key}.j2", "label", lang) or key

    def choice(self, key: str, value: str, lang: str) -> str:
        if key == "desired_start_date":
            return format_date(value, lang)
        return self.block(f"fields/{key}.j2", f"choice_{value}", lang) or value

    def show(self, key: str, value: Any, lang: str) -> str:
        """An answer as a person reads it in a summary."""
        if value is None:
            return self.block("reasons.j2", "unanswered", lang)
        if key == "desired_start_date":
            return format_date(value, lang)
        if isinstance(value, list):
            return ("、" if lang == "ja" else ", ").join(self.choice(key, v, lang) for v in value)
        if key in BY_KEY and BY_KEY[key].kind == "choice":
            return self.choice(key, value, lang)
        if value == "":
            return self.block("reasons.j2", "empty", lang)
        return str(value)

    def reason(self, error: dict[str, Any] | None, lang: str, field: str | None = None) -> str:
        if not error:
            return ""
        params = {k: v for k, v in error.items() if k != "code"}
        return self.block("reasons.j2", error["code"], lang, field=field, **params) or error["code"]

    def warm_up(self) -> int:
        """Compile every template now (at start), not during the first turns that use them."""
        names = [n for n in self.env.list_templates() if n.endswith((".j2", ".html"))]
        for name in names:
            self._template(name)
        return len(names)

    # --- internals ----------------------------------------------------------------------

    def _template(self, name: str) -> Template:
        return self.env.get_template(name)  # cached by the environment

    def _helpers(self, lang: str) -> dict[str, Any]:
        helpers = self._by_lang.get(lang)
        if helpers is None:
            helpers = self._by_lang[lang] = self._made_helpers(lang)
        return helpers

    def _made_helpers(self, lang: str) -> dict[str, Any]:
        return {
            "lang": lang,
            "label": lambda key: self.label(key, lang),
            "question": lambda key, **v: self.block(f"fields/{key}.j2", "question", lang, **v),
            "hint": lambda key: self.block(f"fields/{key}.j2", "hint", lang),
            "choice": lambda key, value: self.choice(key, value, lang),
            "show": lambda key, value: self.show(key, value, lang),
            "multiline": lambda key: key in BY_KEY and BY_KEY[key].multiline,
            "reason": lambda error, field=None: self.reason(error, lang, field),
            "fmt_date": lambda value: format_date(value, lang),
        }


def format_date(value: str | date | None, lang: str) -> str:
    if not value:
        return ""
    d = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    if lang == "en":
        return f"{_WEEKDAYS['en'][d.weekday()]} {d.day} {_MONTHS[d.month - 1]} {d.year}"
    return f"{d.year}年{d.month}月{d.day}日（{_WEEKDAYS['ja'][d.weekday()]}）"
