"""The form engine: one command in, replies out — as data, never as text.

The conversation state lives in ``Application.conversation`` so a draft resumes after a restart
at exactly the question it was on:

``field``     the question being asked (a field key, or ``"confirm"`` for the summary)
``mode``      a ``Mode``: ask | pick_field (after a bare 修正/edit) | confirm_cancel
``failures``  failed tries at the current question
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as default
from datetime import date
from typing import Any

from bot import commands as C
from bot import fields as F
from bot import intents
from bot.application import OPEN_FOR_ANSWERS, Application
from bot.text import squash
from bot.vocabulary import Mode, State

CONFIRM = "confirm"
MAX_FAILURES = 3  # the third failed try offers help instead of repeating the question


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
        app.conversation = {"field": self._first_open(app.answers) or CONFIRM, "mode": Mode.ASK,
                            "failures": 0}
        return [Reply("guidance"), self.prompt(app, today)]

    def apply(self, app: Application, command: C.Command, today: date) -> Turn:
        """A command from the person for the open draft (typed text already read by intents)."""
        if app.state not in OPEN_FOR_ANSWERS:
            return Turn([self.status(app)])
        conv = app.conversation
        if isinstance(command, C.SetLanguage):
            app.lang = command.lang
            conv["mode"] = Mode.ASK
            return Turn([Reply("language_changed", params={"language": app.lang}),
                         self.prompt(app, today)])
        if isinstance(command, C.Answer) and command.field and command.field != conv.get("field"):
            return Turn(self._earlier(app, command.field, command.text, today))
        if conv.get("mode") == Mode.CONFIRM_CANCEL:
            yes = isinstance(command, C.Cancel) or intents.is_yes(command.text)
            return Turn(self._on_cancel_answer(app, yes, today))
        if conv.get("mode") == Mode.PICK_FIELD:
            if isinstance(command, C.Back | C.Cancel):
                conv["mode"] = Mode.ASK
                return Turn([self.prompt(app, today)])
            return Turn(self._on_pick(app, command.text, today))
        match command:
            case C.Help():
                return Turn([Reply("help", field=conv["field"]), self.prompt(app, today)])
            case C.ShowStatus():
                return Turn([self.status(app), self.prompt(app, today)])
            case C.Cancel():
                conv["mode"] = Mode.CONFIRM_CANCEL
                return Turn([Reply("cancel_confirm", choices=["yes", "no"])])
            case C.Back():
                return Turn(self._back(app, today))
            case C.Example():
                kind = "examples" if conv["field"] == "change_reason" else "help"
                return Turn([Reply(kind, field=conv["field"]), self.prompt(app, today)])
            case C.Edit(target=None):
                return Turn(self._pick(app, today))
            case C.Edit(target=str(target)):
                found = F.find_field(target, F.applicable(app.answers))
                if found is not None:
                    return Turn(self._start_edit(app, found.key, today))
        if conv["field"] == CONFIRM:
            return self._on_confirm(app, isinstance(command, C.Submit), today)
        return Turn(self._on_answer(app, today, text=command.text))

    def choose(self, app: Application, command: C.ChooseOption, today: date) -> Turn:
        """A button, already checked to belong to what ``app`` waits for now."""
        option = command.option
        if command.mode == Mode.CONFIRM_CANCEL:
            return Turn(self._on_cancel_answer(app, option == C.YES, today))
        if command.mode == Mode.PICK_FIELD:
            return Turn(self._on_pick(app, option, today, by_key=True))
        if app.conversation.get("field") == CONFIRM:
            if option == C.EDIT:
                return Turn(self._pick(app, today))
            if option.startswith(C.EDIT_PREFIX):
                key = option.removeprefix(C.EDIT_PREFIX)
                if key in {f.key for f in F.applicable(app.answers)}:
                    return Turn(self._start_edit(app, key, today))
            return self._on_confirm(app, option == C.SUBMIT, today)
        return Turn(self._on_answer(app, today, option=option))

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
            app.state = State.CLOSED
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
            params["dates"] = self._offered(app, today)
            if app.conversation.get("near") and app.conversation.get("offer"):
                params["near"] = True
        choices = [c.value for c in f.choices] if f.choices else list(params.get("dates", []))
        params.update(self._progress(app, key))
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
            "acceptance_number": app.acceptance_number, "closed_reason": app.closed_reason,
            "reason": (app.review or {}).get("reason")})

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
            if e.params.get("alternatives"):
                app.conversation["offer"], app.conversation["near"] = list(e.params["alternatives"]), True
            return self.prompt(app, today, error={"code": e.code, **e.params})
        return None

    # --- steps -------------------------------------------------------------------------

    def _on_answer(self, app: Application, today: date, *, text: str | None = None,
                   option: str | None = None) -> list[Reply]:
        """Typed ``text``, or a button's ``option`` (a choice value, a date, or ``keep``)."""
        conv = app.conversation
        f = F.BY_KEY[conv["field"]]
        current = app.answers.get(f.key, app.prefill.get(f.key))
        has_current = current not in (None, "")
        ctx = F.Context(today=today, check_date=lambda t: self._check_date(t, today))
        try:
            offered = self._offered(app, today) if f.kind == "date" else []
            if option is not None:  # a choice value is checked like typed text: a date may have closed
                value = current if option == C.KEEP and has_current else f.read(option, ctx)
            elif text is not None and intents.is_keep(text) and has_current:
                value = current
            elif text is not None and (n := squash(text)).isdigit() and 1 <= int(n) <= len(offered):
                value = ctx.check_date(offered[int(n) - 1]) if ctx.check_date else ""  # "2": the second shown
            else:
                value = f.read(text or "", ctx)
        except F.Invalid as e:
            conv["failures"] = conv.get("failures", 0) + 1
            error = {"code": e.code, **e.params}
            if e.code == "date_weekday_mismatch":  # asked back: the two dates it may mean
                conv["offer"] = list(e.params["candidates"])
                conv.pop("near", None)
            elif e.params.get("alternatives"):  # refused: the open dates nearest to the one asked
                conv["offer"], conv["near"] = list(e.params["alternatives"]), True
            if conv["failures"] >= MAX_FAILURES:
                return [Reply("help_offer", field=f.key,
                              params={"error": error, "failures": conv["failures"]},
                              choices=self.prompt(app, today).choices)]
            return [self.prompt(app, today, error=error)]
        app.answers[f.key] = value
        if f.key == "industry" and value != "non_life":
            app.state = State.CLOSED
            app.closed_reason = "ineligible"
            conv["field"] = None
            return [Reply("ineligible")]
        self._goto(app, self._first_open(app.answers) or CONFIRM)
        return [self.prompt(app, today)]

    def _on_confirm(self, app: Application, submit: bool, today: date) -> Turn:
        if submit:
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

    def _pick(self, app: Application, today: date) -> list[Reply]:
        answered = self._answered(app)
        if not answered:
            return [Reply("nothing_to_edit"), self.prompt(app, today)]
        app.conversation["mode"] = Mode.PICK_FIELD
        return [self._pick_reply(app)]

    def _pick_reply(self, app: Application, **extra: Any) -> Reply:
        answered = self._answered(app)
        return Reply("pick_field", params={"fields": [f.key for f in answered],
                                           "answers": {f.key: app.answers[f.key] for f in answered}, **extra},
                     choices=[f.key for f in answered])

    def current(self, app: Application, today: date) -> Reply:
        """What the conversation waits for now: the question, the summary, the list of answers
        to pick from (after 修正) or the yes/no of 取消."""
        mode = app.conversation.get("mode")
        if mode == Mode.CONFIRM_CANCEL:
            return Reply("cancel_confirm", choices=["yes", "no"])
        if mode == Mode.PICK_FIELD:
            return self._pick_reply(app)
        return self.prompt(app, today)

    def _earlier(self, app: Application, key: str, text: str, today: date) -> list[Reply]:
        """An answer to an earlier question (``key``), while another one is asked: taken for
        that question if it may still be changed (as 修正 would), else the person is told which
        question is current, and it is quoted."""
        if app.conversation.get("mode") != Mode.ASK or key not in {f.key for f in F.applicable(app.answers)}:
            return [Reply("not_current", params={"asked": key}), self.current(app, today)]
        self._goto(app, key)
        replies = self._on_answer(app, today, text=text)
        if app.conversation.get("field") == key:  # refused: that question again, with the reason
            return replies
        return [Reply("earlier_answer", field=key, params={"value": app.answers.get(key)}), *replies]

    def _on_pick(self, app: Application, text: str, today: date, *, by_key: bool = False) -> list[Reply]:
        """The field to change: named or numbered as in the list shown (``by_key``: a button)."""
        answered = self._answered(app)
        if by_key:
            target = next((f for f in F.applicable(app.answers) if f.key == text), None)
        else:
            target = F.find_field(text, answered)
            if target is None and not squash(text).isdigit():  # numbers refer to the list shown
                target = F.find_field(text, F.applicable(app.answers))
        if target is None:
            return [self._pick_reply(app, error={"code": "unknown_field"})]
        return self._start_edit(app, target.key, today)

    def _start_edit(self, app: Application, key: str, today: date) -> list[Reply]:
        self._goto(app, key)
        return [self.prompt(app, today, editing=True)]

    def _on_cancel_answer(self, app: Application, yes: bool, today: date) -> list[Reply]:
        app.conversation["mode"] = Mode.ASK
        if yes:
            app.state = State.CLOSED
            app.closed_reason = "cancelled"
            app.conversation["field"] = None
            return [Reply("cancelled")]
        return [Reply("cancel_kept"), self.prompt(app, today)]

    # --- helpers -----------------------------------------------------------------------

    def _offered(self, app: Application, today: date) -> list[str]:
        """The dates a date question shows (and "1", "2" … pick): the next open ones, or the
        candidates of an answer that was asked back."""
        return list(app.conversation.get("offer") or [d.isoformat() for d in self._next_dates(today)])

    @staticmethod
    def _goto(app: Application, key: str) -> None:
        app.conversation.update({"field": key, "mode": Mode.ASK, "failures": 0})
        app.conversation.pop("offer", None)
        app.conversation.pop("near", None)

    @staticmethod
    def _first_open(answers: dict[str, Any]) -> str | None:
        return next((f.key for f in F.applicable(answers) if f.key not in answers), None)

    @staticmethod
    def _answered(app: Application) -> list[F.Field]:
        return [f for f in F.applicable(app.answers) if f.key in app.answers]

    @staticmethod
    def _progress(app: Application, key: str) -> dict[str, int]:
        """Where the question stands: its ``number`` among those asked and their ``total``. Until
        the change items are known, the name tab may still be added: ``total_max`` says how many
        questions there are then, so the count announced at the start is never exceeded."""
        keys = [f.key for f in F.applicable(app.answers)]
        progress = {"number": keys.index(key) + 1 if key in keys else 0, "total": len(keys)}
        if "change_items" not in app.answers:
            most = len(F.applicable({**app.answers, "change_items": ["user_code"]}))
            if most != len(keys):
                progress["total_max"] = most
        return progress
