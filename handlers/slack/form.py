"""The application as one modal: every field, prefilled with what is known, validated per field
by the core (``Service.fill``), errors shown beside the fields (``response_action: errors``)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot import fields as F
from handlers.render import Renderer, format_date
from handlers.slack import limits
from handlers.slack.mrkdwn import plain, short

CALLBACK = "application_form_modal"
FORM = "slack/form.j2"
ERROR_LIMIT = limits.FIELD_ERROR


def form_view(*, known: dict[str, Any], lang: str, renderer: Renderer, dates: list[date],
              app_id: str | None) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {
        "type": "mrkdwn", "text": renderer.block(FORM, "intro", lang)}}]
    blocks += [_input(f, known.get(f.key), lang, renderer, dates) for f in F.FIELDS]
    return {"type": "modal", "callback_id": CALLBACK,
            "title": plain(renderer.block(FORM, "title", lang), 24),
            "submit": plain(renderer.block(FORM, "submit", lang), 24),
            "close": plain(renderer.block(FORM, "close", lang), 24),
            "private_metadata": json.dumps({"app_id": app_id, "lang": lang}),
            "blocks": blocks}


def notice_view(block: str, *, lang: str, renderer: Renderer) -> dict[str, Any]:
    """The form's modal replaced by a message (``saving``: answered before the save finished;
    ``save_failed``)."""
    return {"type": "modal", "callback_id": f"{CALLBACK}_{block}",
            "title": plain(renderer.block(FORM, "title", lang), 24),
            "close": plain(renderer.block(FORM, "close", lang), 24),
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": renderer.block(FORM, block, lang)}}]}


def _input(f: F.Field, value: Any, lang: str, renderer: Renderer, dates: list[date]) -> dict[str, Any]:
    element: dict[str, Any]
    hint = renderer.block(f"fields/{f.key}.j2", "hint", lang)
    if f.kind == "choice":
        options = [_option(renderer.choice(f.key, c.value, lang), c.value) for c in f.choices]
        element = {"type": "static_select", "options": options}
        chosen = [o for o in options if o["value"] == value]
        if chosen:
            element["initial_option"] = chosen[0]
    elif f.kind == "multi":
        options = [_option(renderer.choice(f.key, c.value, lang), c.value) for c in f.choices]
        picked = set(value or ()) | {"webnaccs_terminals"}  # SPEC §3: always included
        element = {"type": "checkboxes", "options": options,
                   "initial_options": [o for o in options if o["value"] in picked]}
    elif f.kind == "date" and dates:
        options = [_option(format_date(d, lang), d.isoformat()) for d in dates]
        element = {"type": "static_select", "options": options}
        chosen = [o for o in options if o["value"] == value]
        if chosen:
            element["initial_option"] = chosen[0]
    else:
        element = {"type": "plain_text_input", "multiline": f.multiline}
        if value not in (None, ""):
            element["initial_value"] = str(value)
        if f.kind == "date":
            hint = renderer.block(FORM, "no_dates", lang)
    element["action_id"] = f.key
    block: dict[str, Any] = {"type": "input", "block_id": f.key, "element": element,
                             "label": plain(renderer.label(f.key, lang), limits.LABEL)}
    if f.needs_user_code:
        block["optional"] = True
        hint = renderer.block(FORM, "user_code_only", lang)
    elif f.kind == "optional":
        block["optional"] = True
        hint = renderer.block(FORM, "remarks_hint", lang)
    if hint:
        block["hint"] = plain(hint, limits.LABEL)
    return block


def _option(label: str, value: str) -> dict[str, Any]:
    return {"text": plain(label), "value": value}


def submitted(view: dict[str, Any]) -> dict[str, str]:
    """The raw value of every field in a submitted form (choices as their values)."""
    state = (view.get("state") or {}).get("values") or {}
    out: dict[str, str] = {}
    for f in F.FIELDS:
        entry = (state.get(f.key) or {}).get(f.key)
        if not isinstance(entry, dict):
            continue
        kind = entry.get("type")
        if kind in ("static_select", "radio_buttons"):
            option = entry.get("selected_option") or {}
            out[f.key] = str(option.get("value") or "")
        elif kind == "checkboxes":
            out[f.key] = ",".join(str(o.get("value")) for o in entry.get("selected_options") or [])
        else:
            out[f.key] = str(entry.get("value") or "")
    return out


def for_the_core(values: dict[str, str]) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """What to pass to ``Service.fill``, and the form's own errors (a required field left empty).

    The name tab counts only with a user code among the change items; an empty 備考 means none."""
    with_user_code = "user_code" in values.get("change_items", "").split(",")
    answers: dict[str, str] = {}
    errors: dict[str, dict[str, Any]] = {}
    for f in F.FIELDS:
        value = values.get(f.key, "")
        if f.needs_user_code and not with_user_code:
            continue
        if f.kind == "optional" or value.strip():
            answers[f.key] = value
        else:
            errors[f.key] = {"code": "required"}
    return answers, errors


def error_texts(errors: dict[str, dict[str, Any]], lang: str, renderer: Renderer) -> dict[str, str]:
    """Errors by block id, in the words of the conversation."""
    return {key: short(renderer.reason(error, lang, key), ERROR_LIMIT) for key, error in errors.items()}
