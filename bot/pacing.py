"""How often the bot answers mail that gets nowhere: the brake on mail loops (RFC 3834's spirit).

An out-of-office responder that sets none of the headers that mark it (``Auto-Submitted`` …)
answers every mail the bot sends, and the bot would answer every one of those. A person's
answers move the application on — an answer accepted, a field to change picked, the language
switched, the application filed — and a responder's do not: the same text is refused again, or
the state of the filed application is sent back again. So only mail turns that change nothing
are counted: at most ``limit`` of them are answered in ``window`` seconds, then one short notice
says the bot pauses, then nothing until the window has passed. A turn that moves the
application on is always answered, also during a pause.

The counts live in the application's record (``Application.pacing``) and are saved in the write
of the turn they count, so they survive a restart and are the same for every replica, at no cost
of their own. They are per application and, within it, per sender address; a sender's mail
always lands on one of their applications (a new mail to the bot on the open draft, or the latest
application), so a loop is held on the application it runs through.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.application import Application


@dataclass(frozen=True)
class Pace:
    """At most ``limit`` answers to mail turns that change nothing, per ``window`` seconds."""

    limit: int = 5
    window: int = 600


class Verdict(StrEnum):
    ANSWER = "answer"  # send the replies as they are
    PAUSE = "pause"  # send only the notice that the bot pauses
    QUIET = "quiet"  # send nothing


def fingerprint(app: Application) -> str:
    """What a turn that gets somewhere changes: the state, the answers, the question, the
    language (not the count of failed tries)."""
    conv = app.conversation
    material = [str(app.state), app.answers, conv.get("field"), str(conv.get("mode") or ""), app.lang]
    data = json.dumps(material, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


def remember(app: Application) -> None:
    """A mail turn that sends no reply (a notice answers it): the next one is compared with it."""
    app.pacing["seen"] = fingerprint(app)


def judge(app: Application, address: str, now: datetime, pace: Pace) -> Verdict:
    """Whether the replies of this mail turn go out; records the turn in ``app.pacing`` (the
    caller saves the application in the turn's write). ``app`` is as the turn left it."""
    sender = address.strip().lower()
    state = app.pacing
    seen, state["seen"] = state.get("seen"), fingerprint(app)
    since = now - timedelta(seconds=pace.window)
    sent = {a: [t for t in times if datetime.fromisoformat(t) > since]
            for a, times in (state.get("sent") or {}).items()}
    paused = {a: t for a, t in (state.get("paused") or {}).items() if datetime.fromisoformat(t) > since}
    if seen is None or seen != state["seen"]:
        verdict = Verdict.ANSWER  # the application moved on: a person's answer
    elif sender in paused:
        verdict = Verdict.QUIET
    elif len(sent.get(sender, [])) >= pace.limit or sum(len(t) for t in sent.values()) >= pace.limit:
        paused[sender] = now.isoformat()
        verdict = Verdict.PAUSE
    else:
        sent.setdefault(sender, []).append(now.isoformat())
        verdict = Verdict.ANSWER
    state["sent"] = {a: t for a, t in sent.items() if t}
    state["paused"] = paused
    return verdict


def resumes_at(app: Application, address: str, pace: Pace) -> datetime | None:
    """When the pause of ``address`` on this application ends."""
    started = (app.pacing.get("paused") or {}).get(address.strip().lower())
    return datetime.fromisoformat(started) + timedelta(seconds=pace.window) if started else None
