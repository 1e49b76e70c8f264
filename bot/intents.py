"""Typed text → command: the one place the core's words are recognised.

Every channel sends what a person typed through ``read``; buttons, forms and mail fill-in
blocks build their commands directly. Words are compared after NFKC, case folding and
dropping spaces and polite tails (``bot.text.squash``), so full-width and ``です`` forms work.
"""

from __future__ import annotations

import re
from typing import Any

from bot import commands as C
from bot.text import nfkc, squash
from bot.vocabulary import Document


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
NEW = _words("新規", "新規申込", "新規申込み", "新規申し込み", "新しい申込", "新しい申込み", "新しい申し込み",
             "新しく申し込む", "新しく申し込みたい", "別の申込", "new", "start", "開始", "new application",
             "start a new application", "a new application")
YES = _words("はい", "yes", "y", "ok", "お願いします", "取り消す", "取り消します")
KEEP = _words("はい", "そのまま", "このまま", "変更なし", "keep", "same", "yes", "ok")
FORM = _words("form", "フォーム", "まとめて入力")  # Slack: all questions in one modal

_EDIT_PREFIX = re.compile(r"^(修正|訂正|edit|modify)\s*[:：]?\s*(.+)$", re.IGNORECASE | re.DOTALL)

_SIMPLE: tuple[tuple[frozenset[str], type[C.Command]], ...] = (
    (BACK, C.Back), (EDIT, C.Edit), (STATUS, C.ShowStatus), (CANCEL, C.Cancel), (HELP, C.Help),
    (EXAMPLE, C.Example), (SUBMIT, C.Submit), (WITHDRAW, C.Withdraw), (NEW, C.Start),
)


def read(text: str, *, person: C.Person, key: str | None = None, replayable: bool = False) -> C.Command:
    """What ``text`` asks for. Anything that is not one of the words is an ``Answer``; each
    command keeps ``text``, so a handler can take a word as an ordinary answer where the
    question expects text (a company called 登録, say). ``key`` and ``replayable`` are the
    inbound message's (see ``bot.commands.Command``)."""
    word = squash(text)
    said: dict[str, Any] = {"person": person, "key": key, "text": text, "replayable": replayable}
    if word in ENGLISH or word in JAPANESE:
        return C.SetLanguage(**said, lang="en" if word in ENGLISH else "ja")
    for words, kind in _SIMPLE:
        if word in words:
            return kind(**said)
    if word in FORM_PDF or word in NOTICE_PDF:
        return C.RequestDocument(**said, document=Document.FORM if word in FORM_PDF else Document.NOTICE)
    edit = _EDIT_PREFIX.match(nfkc(text))
    if edit:
        return C.Edit(**said, target=edit.group(2))
    return C.Answer(**said)


def is_yes(text: str) -> bool:
    """An answer to a yes/no question (取消 / 取下げ are asked that way)."""
    return squash(text) in YES


def is_keep(text: str) -> bool:
    """"Keep what is there" at a question that shows a current (prefilled) value."""
    return squash(text) in KEEP


def is_form_request(text: str) -> bool:
    return squash(text) in FORM
