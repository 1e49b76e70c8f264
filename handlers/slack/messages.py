"""The core's replies as Slack messages: text, Block Kit, buttons and message metadata.

A button carries the option it chooses (``o``: a choice value, a date, ``keep``, ``submit``,
``edit:KEY``, ``yes``/``no``) with the question it belongs to, so a click on an old message cannot
answer a later question (``bot.commands.ChooseOption``); ``t`` says what a person would type for
the same answer, since a typed answer is accepted wherever a button is offered.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from bot import commands as C
from bot import fields as F
from bot.conversation import Reply
from bot.vocabulary import Mode
from handlers.render import Renderer
from handlers.slack import limits
from handlers.slack.mrkdwn import escape, labelled, neutral_all, plain, sections, short

MESSAGES = "slack/messages.j2"
ANSWER_PREFIX = "answer_"  # action ids of every answer button
FORM_OPEN = "form_open"
QUESTION_EVENT = "webnaccs_question"
# The conversation mode a reply's buttons answer (Application.conversation["mode"]).
MODES = {"question": Mode.ASK, "summary": Mode.ASK, "help_offer": Mode.ASK,
         "pick_field": Mode.PICK_FIELD, "cancel_confirm": Mode.CONFIRM_CANCEL,
         "withdraw_confirm": Mode.CONFIRM_WITHDRAW}
ASKING = frozenset({"question", "summary", "help_offer"})
TYPED = {"submit": "登録", "edit": "修正", "yes": "はい", "no": "いいえ"}
WITH_FORM_BUTTON = frozenset({"guidance", "resumed"})


def question_metadata(app_id: str, field: str) -> dict[str, Any]:
    return {"event_type": QUESTION_EVENT, "event_payload": {"application_id": app_id, "field": field}}


def reply_message(reply: Reply, *, lang: str, app_id: str, renderer: Renderer,
                  named: str | None = None) -> dict[str, Any]:
    """One reply as chat.postMessage arguments (without the channel). The person's own text
    in it (a current answer, a listing) cannot format the message (``mrkdwn.neutral``).
    Buttons name the record ``app_id`` that asks; a question's metadata names the application
    it is about (``named``: a new one, stored with its first answer, asked from another record)."""
    text = escape(renderer.reply(replace(reply, params=neutral_all(reply.params)), lang))
    if reply.kind == "summary":
        blocks = _summary(reply, lang, app_id, renderer)
    else:
        blocks = sections(text)
        buttons = _choice_buttons(reply, lang, app_id, renderer)
        if reply.kind in WITH_FORM_BUTTON:
            buttons.append(form_button(renderer.block(MESSAGES, "form_button", lang), app_id))
        if buttons:
            blocks.append({"type": "actions", "block_id": "answers", "elements": buttons[:limits.ACTIONS]})
    message: dict[str, Any] = {"text": short(text)}
    if blocks:
        message["blocks"] = blocks
    if reply.kind in ASKING and reply.field:
        message["metadata"] = question_metadata(named or app_id, reply.field)
    return message


def answer_button(label: str, *, action_id: str, app_id: str, field: str | None, mode: str,
                  option: str, typed: str, style: str | None = None) -> dict[str, Any]:
    value = json.dumps({"a": app_id, "f": field, "m": mode, "o": option, "t": typed},
                       ensure_ascii=False, separators=(",", ":"))
    button: dict[str, Any] = {"type": "button", "action_id": action_id, "text": plain(label),
                              "value": value}
    if style:
        button["style"] = style
    return button


def read_answer(value: str | None) -> dict[str, Any] | None:
    """The answer a button carries, or None when the value is not one of ours."""
    try:
        data = json.loads(value or "")
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("t"), str) \
            or not isinstance(data.get("a"), str) or data.get("m") not in set(Mode):
        return None
    if "o" in data and not isinstance(data["o"], str):
        return None
    return data


def form_button(label: str, app_id: str | None) -> dict[str, Any]:
    return {"type": "button", "action_id": FORM_OPEN, "text": plain(label), "value": app_id or "-"}


def typed_for(reply: Reply, choice: str, index: int) -> str:
    """What a person would type to pick ``choice``."""
    if reply.kind == "pick_field":
        return choice
    if reply.field and reply.field in F.BY_KEY and reply.kind in ("question", "help_offer"):
        return choice if F.BY_KEY[reply.field].kind == "date" else str(index + 1)
    return TYPED.get(choice, choice)


def _choice_buttons(reply: Reply, lang: str, app_id: str, renderer: Renderer) -> list[dict[str, Any]]:
    mode = MODES.get(reply.kind)
    if mode is None:
        return []
    labels = renderer.choice_labels(reply, lang) if reply.choices else []
    field = reply.field if mode == "ask" else None
    buttons = [answer_button(label, action_id=f"{ANSWER_PREFIX}{i}", app_id=app_id, field=field,
                             mode=mode, option=choice, typed=typed_for(reply, choice, i),
                             style="primary" if choice == "submit" else None)
               for i, (choice, label) in enumerate(zip(reply.choices, labels, strict=False))]
    if reply.kind == "question" and reply.params.get("current") not in (None, ""):
        buttons.append(answer_button(renderer.block(MESSAGES, "keep_button", lang),
                                     action_id=f"{ANSWER_PREFIX}keep", app_id=app_id, field=field,
                                     mode=mode, option=C.KEEP, typed="そのまま"))
    return buttons


def _summary(reply: Reply, lang: str, app_id: str, renderer: Renderer) -> list[dict[str, Any]]:
    params = reply.params
    blocks: list[dict[str, Any]] = []
    if params.get("error"):
        blocks += sections(escape(renderer.reason(params["error"], lang)))
    blocks += sections(renderer.block(MESSAGES, "summary_intro", lang))
    edit = renderer.block(MESSAGES, "edit_button", lang)
    for key, value in (params.get("answers") or {}).items():
        # our label in mrkdwn, the answer as plain_text: no line of it can pose as ours
        section = labelled([(renderer.label(key, lang), renderer.show(key, value, lang))])[0]
        blocks.append({**section, "block_id": f"field_{key}",
                       "accessory": answer_button(edit, action_id=f"{ANSWER_PREFIX}edit_{key}",
                                                  app_id=app_id, field="confirm", mode=Mode.ASK,
                                                  option=f"{C.EDIT_PREFIX}{key}", typed=f"修正 {key}")})
    if params.get("fixed"):
        blocks += sections(escape(renderer.render("fixed.j2", lang, fixed=params["fixed"])))
    blocks += sections(renderer.block(MESSAGES, "summary_outro", lang))
    blocks.append({"type": "actions", "block_id": "answers", "elements": [
        answer_button(renderer.block(MESSAGES, "submit_button", lang),
                      action_id=f"{ANSWER_PREFIX}submit", app_id=app_id, field="confirm",
                      mode=Mode.ASK, option=C.SUBMIT, typed="登録", style="primary"),
        form_button(renderer.block(MESSAGES, "form_edit_button", lang), app_id),
    ]})
    return blocks


def private_metadata(view: dict[str, Any]) -> dict[str, Any]:
    """The JSON a modal carries in ``private_metadata`` (empty when missing or mangled)."""
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
