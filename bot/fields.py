"""The fields of the application (SPEC §3): order, validation and normalisation.

Each rule returns the normalised value or raises :class:`Invalid` with a reason *code* and its
parameters; the words shown to people live in the templates.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import jaconv
import phonenumbers
from email_validator import EmailNotValidError, validate_email

from bot import industry
from bot.text import nfkc, one_line, squash


class Invalid(ValueError):
    """An answer that cannot be accepted; ``code`` names the reason for the templates."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Choice:
    value: str
    words: tuple[str, ...]  # typed forms that select it, Japanese and English


@dataclass(frozen=True)
class Context:
    """What a rule may need besides the text: today in Japan and the date checker."""

    today: date
    check_date: Callable[[str], str] | None = None  # text -> ISO date, raises Invalid


@dataclass(frozen=True)
class Field:
    key: str
    kind: str  # text, choice, multi, integer, date, email, phone, code, kana, ascii, optional
    names: tuple[str, ...]  # how a person may refer to it in "修正 …" / "edit …"
    min_len: int = 1
    max_len: int = 100
    low: int = 0
    high: int = 0
    choices: tuple[Choice, ...] = ()
    multiline: bool = False
    needs_user_code: bool = False
    extras: dict[str, Any] = field(default_factory=dict)
    # A choice answered in the person's own words, when no option matches: the value, or None.
    words: Callable[[str], str | None] | None = None

    def read(self, text: str, ctx: Context) -> Any:
        """Normalise and validate one typed answer."""
        return _READERS[self.kind](self, text, ctx)


INDUSTRY = (
    Choice("non_life", ("損害保険会社", "損害保険", "損保", "non-life insurance company",
                        "non-life insurer", "non-life insurance", "non-life")),
    Choice("other", ("その他", "そのほか", "その他の業種", "損害保険会社以外", "other", "others")),
)
CHANGE_ITEMS = (
    Choice("webnaccs_terminals", ("webNACCS端末の登録情報（追加・削除）", "webNACCS端末の登録情報",
                                  "webNACCS端末", "端末", "端末の登録情報", "webnaccs terminals",
                                  "webnaccs terminal", "terminals", "terminal")),
    Choice("user_code", ("利用者コード（追加・削除）", "利用者コード", "利用者ID", "ID", "user code",
                         "user codes", "usercode", "user id")),
)
SKIP_WORDS = frozenset(squash(w) for w in ("なし", "無し", "特になし", "特に無し", "ありません",
                                           "skip", "none", "no", "n/a", "-", "ー", "スキップ"))

FIELDS: tuple[Field, ...] = (
    Field("industry", "choice", ("業種", "industry"), choices=INDUSTRY, words=industry.classify),
    Field("company_name", "text", ("企業名", "会社名", "company", "company name")),
    Field("office_name", "text", ("事業所名", "事業所", "office", "office name")),
    Field("user_code", "code", ("利用者コード", "利用者コード（現在）", "user code")),
    Field("netnaccs_terminals", "integer", ("netNACCS台数", "現在のnetNACCS台数", "netnaccs",
                                            "netnaccs terminals"), low=0, high=999),
    Field("change_items", "multi", ("変更内容", "change items", "changes"), choices=CHANGE_ITEMS),
    Field("desired_start_date", "date", ("利用開始希望日", "開始希望日", "希望日", "start date",
                                         "desired start date")),
    Field("change_reason", "text", ("変更する理由", "理由", "変更理由", "reason", "change reason"),
          min_len=5, max_len=400, multiline=True),
    Field("applicant_name", "text", ("申込担当者氏名", "氏名", "担当者", "name", "applicant name")),
    Field("applicant_department", "text", ("部署", "申込担当者部署", "department")),
    Field("applicant_email", "email", ("メール", "メールアドレス", "申込担当者メール", "email",
                                       "e-mail", "applicant email")),
    Field("applicant_phone", "phone", ("電話", "電話番号", "申込担当者電話", "phone", "telephone")),
    Field("admin_name", "text", ("管理責任者", "管理責任者氏名", "administrator",
                                 "administrator name", "admin name")),
    Field("admin_email", "email", ("管理責任者メール", "管理責任者メールアドレス",
                                   "administrator email", "admin email")),
    Field("name_kanji", "text", ("名称（漢字）", "名称漢字", "漢字", "name kanji", "kanji name"),
          needs_user_code=True),
    Field("name_kana", "kana", ("名称（カナ）", "名称カナ", "カナ", "name kana", "kana name"),
          needs_user_code=True),
    Field("name_english", "ascii", ("名称（英字）", "名称英字", "英字", "name english",
                                    "english name"), needs_user_code=True),
    Field("certificate_count", "integer", ("デジタル証明書数", "証明書数", "証明書", "certificates",
                                           "certificate count"), low=1, high=99),
    Field("remarks", "optional", ("備考", "remarks", "notes"), min_len=0, max_len=400,
          multiline=True),
)
BY_KEY = {f.key: f for f in FIELDS}
ORDER = tuple(f.key for f in FIELDS)

# Seed steps ⑥–⑨: fixed settings of a new user code, filled in and shown, never asked.
FIXED_USER_CODE_SETTINGS: dict[str, Any] = {
    "system_type": "shared",          # システム区分: 共用
    "single_sign_on": False,          # シングルサインオン: 否
    "industry": "non_life",           # 業種: 損害保険会社
    "processing_method": "netnaccs",  # netNACCS処理方式
    "identifier_count": 1,            # 識別番号数: 1
    "options": [False, False, False],  # the three options: 否
}


def applies(f: Field, answers: dict[str, Any]) -> bool:
    """The name tab is asked only when a user code is among the change items."""
    return not f.needs_user_code or "user_code" in (answers.get("change_items") or ())


def applicable(answers: dict[str, Any]) -> list[Field]:
    return [f for f in FIELDS if applies(f, answers)]


def fixed_settings(answers: dict[str, Any]) -> dict[str, Any] | None:
    if "user_code" in (answers.get("change_items") or ()):
        return dict(FIXED_USER_CODE_SETTINGS)
    return None


def find_field(text: str, candidates: Sequence[Field] = FIELDS) -> Field | None:
    """A field named by its key, a Japanese or English label, or its number in ``candidates``."""
    key = squash(text)
    if key.isdigit() and 1 <= int(key) <= len(candidates):
        return candidates[int(key) - 1]
    for f in candidates:
        if key in (squash(f.key), *(squash(n) for n in f.names)):
            return f
    return None


def match_choice(text: str, choices: Sequence[Choice]) -> Choice | None:
    key = squash(text)
    if key.isdigit() and 1 <= int(key) <= len(choices):
        return choices[int(key) - 1]
    for c in choices:
        if key in (squash(c.value), *(squash(w) for w in c.words)):
            return c
    return None


# --- readers -----------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(f: Field, text: str, ctx: Context) -> str:
    s = nfkc(text)
    s = _CONTROL.sub("", s)
    if not f.multiline:
        s = one_line(s)
    if not s:
        raise Invalid("required")
    if len(s) < f.min_len:
        raise Invalid("too_short", min=f.min_len, length=len(s))
    if len(s) > f.max_len:
        raise Invalid("too_long", max=f.max_len, length=len(s))
    return s


def _optional(f: Field, text: str, ctx: Context) -> str:
    if not nfkc(text) or squash(text) in SKIP_WORDS:
        return ""
    return _text(f, text, ctx)


def _choice(f: Field, text: str, ctx: Context) -> str:
    if not nfkc(text):
        raise Invalid("required")
    c = match_choice(text, f.choices)
    if c is not None:
        return c.value
    value = f.words(text) if f.words is not None else None
    if value is None:
        raise Invalid("unknown_choice", count=len(f.choices))
    return value


_LIST_SPLIT = re.compile(r"[,、，;；/+]|と|\band\b")


def _multi(f: Field, text: str, ctx: Context) -> list[str]:
    if not nfkc(text):
        raise Invalid("required")
    whole = match_choice(text, f.choices)
    parts = [whole] if whole else [c for p in _LIST_SPLIT.split(nfkc(text)) for c in _pick(p, f)]
    if not parts or any(p is None for p in parts):
        raise Invalid("unknown_choice", count=len(f.choices))
    picked = {p.value for p in parts if p}
    picked.add("webnaccs_terminals")  # SPEC §3: always included
    return [c.value for c in f.choices if c.value in picked]


def _pick(part: str, f: Field) -> list[Choice | None]:
    """One list item: a choice as a whole, or several separated by spaces ("1 2")."""
    if not part.strip():
        return []
    whole = match_choice(part, f.choices)
    return [whole] if whole else [match_choice(w, f.choices) for w in part.split()]


_INT_TAIL = re.compile(r"(台|枚|個|件|つ|units?|pcs?|pieces?|certificates?|terminals?)$")


def _integer(f: Field, text: str, ctx: Context) -> int:
    s = nfkc(text).replace(",", "").replace(" ", "")
    s = _INT_TAIL.sub("", s.casefold())
    if not s:
        raise Invalid("required")
    if not re.fullmatch(r"[+-]?\d+", s):
        raise Invalid("not_integer")
    n = int(s)
    if not f.low <= n <= f.high:
        raise Invalid("out_of_range", low=f.low, high=f.high, value=n)
    return n


def _code(f: Field, text: str, ctx: Context) -> str:
    s = nfkc(text).replace(" ", "").upper()
    if not s:
        raise Invalid("required")
    if not re.fullmatch(r"[A-Z0-9]{5}", s):
        raise Invalid("user_code_format", length=len(s))
    return s


def _email(f: Field, text: str, ctx: Context) -> str:
    s = nfkc(text)
    m = re.search(r"<([^<>]+)>\s*$", s)  # "山田 太郎 <taro@example.co.jp>"
    if m:
        s = m.group(1)
    s = s.replace("mailto:", "").strip()
    if not s:
        raise Invalid("required")
    try:
        return validate_email(s, check_deliverability=False).normalized
    except EmailNotValidError as e:
        raise Invalid("email_invalid", detail=str(e)) from None


def _phone(f: Field, text: str, ctx: Context) -> str:
    s = nfkc(text)
    if not s:
        raise Invalid("required")
    compact = re.sub(r"[\s\-()‐―ー−]", "", s)
    if compact.startswith("+81"):
        compact = "0" + compact[3:]
    if not compact.isdigit():
        raise Invalid("phone_format")
    if not (compact.startswith("0") and 10 <= len(compact) <= 11):
        raise Invalid("phone_digits", length=len(compact))
    number = phonenumbers.parse(compact, "JP")
    if not phonenumbers.is_valid_number(number):
        raise Invalid("phone_invalid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


_KATAKANA = re.compile(r"[\u30A0-\u30FF\u3000 ・ー()（）]+")


def _kana(f: Field, text: str, ctx: Context) -> str:
    s = _text(f, text, ctx)  # NFKC turns half-width kana into full-width
    s = jaconv.hira2kata(s)
    if not _KATAKANA.fullmatch(s):
        raise Invalid("kana_only")
    return s


def _ascii(f: Field, text: str, ctx: Context) -> str:
    s = _text(f, text, ctx)
    if not all(" " <= ch <= "~" for ch in s):
        raise Invalid("ascii_only")
    return s


def _date(f: Field, text: str, ctx: Context) -> str:
    if not nfkc(text):
        raise Invalid("required")
    if ctx.check_date is None:
        raise RuntimeError("date field read without a date checker")
    return ctx.check_date(text)


_READERS: dict[str, Callable[[Field, str, Context], Any]] = {
    "text": _text,
    "optional": _optional,
    "choice": _choice,
    "multi": _multi,
    "integer": _integer,
    "code": _code,
    "email": _email,
    "phone": _phone,
    "kana": _kana,
    "ascii": _ascii,
    "date": _date,
}
