"""The form engine: one typed message in, replies out — as data, never as text.

The conversation state lives in ``Application.conversation`` so a draft resumes after a restart
at exactly the question it was on:

``field``     the question being asked (a field key, or ``"confirm"`` for the summary)
``mode``      ``ask`` | ``pick_field`` (after a bare 修正/edit) | ``confirm_cancel``
``failures``  failed tries at the current question
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as default
from datetime import date
from typing import Any

from bot import fields as F
from bot.application import CLOSED, OPEN_FOR_ANSWERS, Application
from bot.text import nfkc, squash

CONFIRM = "confirm"
MAX_FAILURES = 3  # the third failed try offers help instead of repeating the question


def _words(*words: str) -> frozenset[str]:
    return frozenset(squash(w) for w in words)


BACK = _words("戻る", "もどる", "前へ", "前に戻る", "ひとつ前", "back", "previous", "prev")
EDIT = _words("修正", "訂正", "edit", "modify")
STATUS = _words("状況", "状態", "ステータス", "進捗", "status")
CANCEL = _words("取消", "取り消し", "取消し", "とりけし", "キャンセル", "中止", "cancel")
HELP = _words("ヘルプ", "help", "使い方", "?", "へるぷ")
EXAMPLE = _words("例", "記載例", "例文", "example", "examples", "sample")
ENGLISH = _words("English", "英語", "en")
JAPANESE = _words("日本語", "Japanese", "ja", "にほんご")
SUBMIT = _words("登録", "登録する", "申込内容を登録する", "申込", "申し込む", "submit", "file", "apply")
FORM_PDF = _words("申込書", "申込書PDF", "利用契約変更申込書", "application form", "form pdf")
NOTICE_PDF = _words("承認通知", "承認通知書", "利用契約変更承認通知", "approval notice")
WITHDRAW = _words("取下げ", "取り下げ", "取下", "取り下げます", "申込を取り下げる", "withdraw")
YES = _words("はい", "yes", "y", "ok", "お願いします", "取り消す", "取り消します")
KEEP = _words("はい", "そのまま", "このまま", "変更なし", "keep", "same", "yes", "ok")

_EDIT_PREFIX = re.compile(r"^(修正|訂正|edit|modify)\s*[:：]?\s*(.+)$", re.IGNORECASE | re.DOTALL)


@dataclass
class Reply:
    """Something to tell the person; a handler renders it through the templates."""

    kind: str
    field: str | None = None
    params: dict[str, Any] = default(default_factory=dict)
    choices: list[str] = default(default_factory=list)


@dataclass
class Turn:
    replies: list[Reply]
    submit: bool = False  # the person said 登録/submit on a complete, valid summary


class Engine:
    """Walks a draft through the fields in the seed's order."""

    def __init__(self, *, check_date: Callable[[str, date], str],
                 next_dates: Callable[[date], tuple[date, ...]]) -> None:
        self._check_date = check_date  # (text, today) -> ISO date, raises fields.Invalid
        self._next_dates = next_dates

    # --- entry points -------------------------------------------------------------------

    def begin(self, app: Application, today: date) -> list[Reply]:
        """The guidance of seed step ③, then the first question."""
        app.conversation = {"field": self._first_open(app.answers) or CONFIRM, "mode": "ask",
                            "failures": 0}
        return [Reply("guidance"), self.prompt(app, today)]

    def respond(self, app: Application, text: str, today: date) -> Turn:
        if app.state not in OPEN_FOR_ANSWERS:
            return Turn([self.status(app)])
        conv = app.conversation
        word = squash(text)
        if word in ENGLISH or word in JAPANESE:
            app.lang = "en" if word in ENGLISH else "ja"
            conv["mode"] = "ask"
            return Turn([Reply("language_changed", params={"language": app.lang}),
                         self.prompt(app, today)])
        if conv.get("mode") == "confirm_cancel":
            return Turn(self._on_cancel_answer(app, word, today))
        if conv.get("mode") == "pick_field":
            return Turn(self._on_pick(app, text, word, today))
        if word in HELP:
            return Turn([Reply("help", field=conv["field"]), self.prompt(app, today)])
        if word in STATUS:
            return Turn([self.status(app), self.prompt(app, today)])
        if word in CANCEL:
            conv["mode"] = "confirm_cancel"
            return Turn([Reply("cancel_confirm", choices=["yes", "no"])])
        if word in BACK:
            return Turn(self._back(app, today))
        if word in EXAMPLE:
            kind = "examples" if conv["field"] == "change_reason" else "help"
            return Turn([Reply(kind, field=conv["field"]), self.prompt(app, today)])
        edit = self._edit_request(app, text, word)
        if edit is not None:
            return Turn(edit(today))
        if conv["field"] == CONFIRM:
            return self._on_confirm(app, word, today)
        return Turn(self._on_answer(app, text, word, today))

    def fill(self, app: Application, values: dict[str, str], today: date) -> list[Reply]:
        """Several answers at once (a form, or "label: value" lines in a mail), each validated.

        Accepted answers are kept, rejected ones are reported with their reasons, and the
        conversation moves on to the first question still open (or the summary)."""
        if app.state not in OPEN_FOR_ANSWERS:
            return [self.status(app)]
        accepted: list[str] = []
        errors: dict[str, dict[str, Any]] = {}
        ctx = F.Context(today=today, check_date=lambda t: self._check_date(t, today))
        for f in F.FIELDS:  # the seed's order: change_items is known before the name tab
            if f.key not in values:
                continue
            if not F.applies(f, app.answers):
                errors[f.key] = {"code": "not_applicable"}
                continue
            try:
                app.answers[f.key] = f.read(values[f.key], ctx)
                accepted.append(f.key)
            except F.Invalid as e:
                errors[f.key] = {"code": e.code, **e.params}
        if app.answers.get("industry") == "other":
            app.state = CLOSED
            app.closed_reason = "ineligible"
            app.conversation["field"] = None
            return [Reply("ineligible")]
        if app.conversation.get("field") not in errors:
            self._goto(app, next(iter(errors), None) or self._first_open(app.answers) or CONFIRM)
        filled = Reply("filled", params={"accepted": accepted, "errors": errors})
        return [filled, self.prompt(app, today)]

    def prompt(self, app: Application, today: date, **extra: Any) -> Reply:
        """The current question (or the summary), with what the person needs to answer it."""
        key = app.conversation.get("field") or CONFIRM
        if key == CONFIRM:
            return self.summary(app, **extra)
        f = F.BY_KEY[key]
        params: dict[str, Any] = dict(extra)
        current = app.answers.get(key, app.prefill.get(key))
        if current is not None and current != "":
            params["current"] = current
        if f.kind == "date":
            params["dates"] = [d.isoformat() for d in self._next_dates(today)]
        choices = [c.value for c in f.choices] if f.choices else list(params.get("dates", []))
        params["number"] = self._position(app, key)
        params["total"] = len(F.applicable(app.answers))
        return Reply("question", field=key, params=params, choices=choices)

    def summary(self, app: Application, **extra: Any) -> Reply:
        answers = {f.key: app.answers.get(f.key) for f in F.applicable(app.answers)}
        return Reply("summary", field=CONFIRM,
                     params={"answers": answers, "fixed": F.fixed_settings(app.answers), **extra},
                     choices=["submit", "edit"])

    def status(self, app: Application) -> Reply:
        applicable = F.applicable(app.answers)
        done = sum(1 for f in applicable if f.key in app.answers)
        return Reply("status", field=None, params={
            "state": app.state, "field": app.conversation.get("field"),
            "answered": done, "total": len(applicable),
            "acceptance_number": app.acceptance_number, "closed_reason": app.closed_reason})

    def ready_to_file(self, app: Application, today: date) -> Reply | None:
        """None when every applicable answer is present and still valid; else the question."""
        missing = self._first_open(app.answers)
        if missing:
            self._goto(app, missing)
            return self.prompt(app, today)
        try:
            self._check_date(app.answers["desired_start_date"], today)
        except F.Invalid as e:
            app.answers.pop("desired_start_date", None)
            self._goto(app, "desired_start_date")
            return self.prompt(app, today, error={"code": e.code, **e.params})
        return None

    # --- steps -------------------------------------------------------------------------

    def _on_answer(self, app: Application, text: str, word: str, today: date) -> list[Reply]:
        conv = app.conversation
        f = F.BY_KEY[conv["field"]]
        current = app.answers.get(f.key, app.prefill.get(f.key))
        try:
            offered = self._next_dates(today) if f.kind == "date" else ()
            if word in KEEP and current not in (None, ""):
                value = current
            elif word.isdigit() and 1 <= int(word) <= len(offered):
                value = offered[int(word) - 1].isoformat()  # "2" picks the second offered date
            else:
                ctx = F.Context(today=today, check_date=lambda t: self._check_date(t, today))
                value = f.read(text, ctx)
        except F.Invalid as e:
            conv["failures"] = conv.get("failures", 0) + 1
            error = {"code": e.code, **e.params}
            if conv["failures"] >= MAX_FAILURES:
                return [Reply("help_offer", field=f.key,
                              params={"error": error, "failures": conv["failures"]},
                              choices=self.prompt(app, today).choices)]
            return [self.prompt(app, today, error=error)]
        app.answers[f.key] = value
        if f.key == "industry" and value != "non_life":
            app.state = CLOSED
            app.closed_reason = "ineligible"
            conv["field"] = None
            return [Reply("ineligible")]
        self._goto(app, self._first_open(app.answers) or CONFIRM)
        return [self.prompt(app, today)]

    def _on_confirm(self, app: Application, word: str, today: date) -> Turn:
        if word in SUBMIT:
            problem = self.ready_to_file(app, today)
            if problem is not None:
                return Turn([problem])
            return Turn([], submit=True)
        conv = app.conversation
        conv["failures"] = conv.get("failures", 0) + 1
        error = {"code": "confirm_expected"}
        if conv["failures"] >= MAX_FAILURES:
            return Turn([Reply("help_offer", field=CONFIRM, params={"error": error},
                               choices=["submit", "edit"])])
        return Turn([self.summary(app, error=error)])

    def _back(self, app: Application, today: date) -> list[Reply]:
        keys = [f.key for f in F.applicable(app.answers)]
        current = app.conversation["field"]
        index = len(keys) if current == CONFIRM else keys.index(current)
        if index == 0:
            return [Reply("no_previous"), self.prompt(app, today)]
        self._goto(app, keys[index - 1])
        return [self.prompt(app, today)]

    def _edit_request(self, app: Application, text: str, word: str
                      ) -> Callable[[date], list[Reply]] | None:
        """修正 / edit, alone (pick a field) or followed by the field to change."""
        if word in EDIT:
            return lambda today: self._pick(app, today)
        m = _EDIT_PREFIX.match(nfkc(text))
        if m:
            target = F.find_field(m.group(2), F.applicable(app.answers))
            if target is not None:
                return lambda today: self._start_edit(app, target.key, today)
        return None

    def _pick(self, app: Application, today: date) -> list[Reply]:
        answered = self._answered(app)
        if not answered:
            return [Reply("nothing_to_edit"), self.prompt(app, today)]
        app.conversation["mode"] = "pick_field"
        return [Reply("pick_field", params={"fields": [f.key for f in answered],
                                            "answers": {f.key: app.answers[f.key]
                                                        for f in answered}},
                      choices=[f.key for f in answered])]

    def _on_pick(self, app: Application, text: str, word: str, today: date) -> list[Reply]:
        conv = app.conversation
        if word in BACK or word in CANCEL:
            conv["mode"] = "ask"
            return [self.prompt(app, today)]
        target = F.find_field(text, self._answered(app))
        if target is None and not word.isdigit():  # numbers refer to the list shown
            target = F.find_field(text, F.applicable(app.answers))
        if target is None:
            return [Reply("pick_field", params={
                "fields": [f.key for f in self._answered(app)],
                "answers": {f.key: app.answers[f.key] for f in self._answered(app)},
                "error": {"code": "unknown_field"}},
                choices=[f.key for f in self._answered(app)])]
        return self._start_edit(app, target.key, today)

    def _start_edit(self, app: Application, key: str, today: date) -> list[Reply]:
        self._goto(app, key)
        return [self.prompt(app, today, editing=True)]

    def _on_cancel_answer(self, app: Application, word: str, today: date) -> list[Reply]:
        app.conversation["mode"] = "ask"
        if word in YES or word in CANCEL:
            app.state = CLOSED
            app.closed_reason = "cancelled"
            app.conversation["field"] = None
            return [Reply("cancelled")]
        return [Reply("cancel_kept"), self.prompt(app, today)]

    # --- helpers -----------------------------------------------------------------------

    @staticmethod
    def _goto(app: Application, key: str) -> None:
        app.conversation.update({"field": key, "mode": "ask", "failures": 0})

    @staticmethod
    def _first_open(answers: dict[str, Any]) -> str | None:
        return next((f.key for f in F.applicable(answers) if f.key not in answers), None)

    @staticmethod
    def _answered(app: Application) -> list[F.Field]:
        return [f for f in F.applicable(app.answers) if f.key in app.answers]

    @staticmethod
    def _position(app: Application, key: str) -> int:
        keys = [f.key for f in F.applicable(app.answers)]
        return keys.index(key) + 1 if key in keys else 0
