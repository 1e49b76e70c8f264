"""Normalising a date text before it is read (``clean``; ``normalise`` gives just the text).

* Unicode NFKC (full-width digits, letters, ``／``, ``（）``, ideographic space...), trim,
  collapse whitespace; drop spaces next to Japanese characters and around ``/ . -`` between
  digits; dash look-alikes between digits (``ー``, ``−``, ``–``...) become ``-``.
* Hiragana units: ``2027ねん`` ``1がつ`` ``4にち`` and ``1がつ4か`` become ``年 月 日``; the
  readings ``いちがつ`` … ``じゅうにがつ`` and, right after a month, ``ついたち`` … ``さんじゅういちにち``
  (``よっか``, ``はつか``...) become digits.
* Kanji numerals directly before ``年 月 日 週 か月 ヶ月 営業日`` or after ``第`` become digits,
  positional (``二〇二六``) or with ``十 百 千`` (``二千二十六``, ``十二``, ``三十一``).
* Surrounding words are stripped, repeatedly, from both ends: leading ``利用開始日は``,
  ``開始日:``, ``できましたら``, ``starting``, ``from``, ``on``...; trailing ``。 . ! 、``,
  ``を希望します``, ``希望``, ``でお願いします``, ``から``, ``の``, ``頃``, ``予定``, ``使いたいです``,
  particles, ``please``..., and a time of day after a date (``10時``, ``午前10時半``, ``10:00``,
  ``午後``, ``10am``). ``以降`` is *not* stripped: "on or after" is not one date.
* A weekday attached to a date (``（火）``, ``(火曜)``, ``火曜日``, ``[火]``, ``(Tue)``, a leading
  ``Tue,``) is removed from the text and kept in ``Cleaned.weekday`` (0 = Monday), so the reader
  can check it against the date. ``第2火曜日`` keeps its weekday: that one is the date itself.
* Era years become Western years (:mod:`bot.dates.eras`), the era kept in ``Cleaned.era``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.dates import eras

WEEKDAYS_JA = "月火水木金土日"
LONGEST = 200  # characters; the longest polite answer with a date and a time is about 80
EN_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


@dataclass(frozen=True)
class Cleaned:
    text: str
    weekday: int | None = None  # a weekday written next to the date, 0 = Monday
    era: eras.EraMark | None = None  # the era year written, if any


# --------------------------------------------------------------------------- numerals

_DIGIT_KANJI = {
    "〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_UNIT_KANJI = {"十": 10, "百": 100, "千": 1000}
_KANJI_DIGITS = "[" + "".join(_DIGIT_KANJI) + "".join(_UNIT_KANJI) + "]+"
_KANJI_NUMBER = re.compile(f"(?<=第)({_KANJI_DIGITS})|({_KANJI_DIGITS})(?=[年月日週]|[かカヵヶケ箇]月|営業日)")


def _kanji_to_int(s: str) -> int:
    if not any(c in _UNIT_KANJI for c in s):
        return int("".join(str(_DIGIT_KANJI[c]) for c in s))
    total = current = 0
    for c in s:
        if c in _UNIT_KANJI:
            total += (current or 1) * _UNIT_KANJI[c]
            current = 0
        else:
            current = current * 10 + _DIGIT_KANJI[c]
    return total + current


# Hiragana readings. No maintained library reads ついたち or よっか, so they are listed here.
_KANA_ONES = {"いち": 1, "に": 2, "さん": 3, "よん": 4, "し": 4, "ご": 5, "ろく": 6, "なな": 7, "しち": 7,
              "はち": 8, "きゅう": 9, "く": 9}  # fmt: skip
_KANA_MONTHS = {f"{word}がつ": n for word, n in _KANA_ONES.items()}
_KANA_MONTHS |= {"じゅうがつ": 10, "じゅういちがつ": 11, "じゅうにがつ": 12}


def _kana_day_readings() -> dict[str, int]:
    days = {"ついたち": 1, "ふつか": 2, "みっか": 3, "よっか": 4, "いつか": 5, "むいか": 6, "なのか": 7,
            "ようか": 8, "ここのか": 9, "とおか": 10, "はつか": 20}  # fmt: skip
    for tens, value in (("じゅう", 10), ("にじゅう", 20), ("さんじゅう", 30)):
        days.setdefault(f"{tens}にち", value)
        days[f"{tens}よっか"] = value + 4
        days |= {f"{tens}{word}にち": value + n for word, n in _KANA_ONES.items() if value + n <= 31 and n != 4}
    return days


_KANA_DAYS = _kana_day_readings()


def _alternation(words: dict[str, int]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_KANA_MONTH = re.compile(f"({_alternation(_KANA_MONTHS)})")
_KANA_DAY = re.compile(f"(?<=月)({_alternation(_KANA_DAYS)})")
_KANA_UNITS = (
    (re.compile(r"(?<=\d)ねん"), "年"),
    (re.compile(r"(?<=\d)がつ"), "月"),
    (re.compile(r"(?<=\d)にち"), "日"),
    (re.compile(r"(?<=月)(\d{1,2})か(?![月げヶヵカケ箇\d])"), r"\1日"),  # 1月4か; not 4か5日
)


def _kana_units(s: str) -> str:
    if "がつ" in s:
        s = _KANA_MONTH.sub(lambda m: f"{_KANA_MONTHS[m.group(1)]}月", s)
    for pattern, unit in _KANA_UNITS:
        s = pattern.sub(unit, s)
    return _KANA_DAY.sub(lambda m: f"{_KANA_DAYS[m.group(1)]}日", s) if "月" in s else s


# --------------------------------------------------------------------------- surroundings

_SPACES = re.compile(r"\s+")
_DASHES_BETWEEN_DIGITS = re.compile(r"(?<=\d)[‐‑‒–—―−ー‐ｰ](?=\d)")
_SPACE_NEXT_TO_NON_ASCII = re.compile(r" (?=[^\x00-\x7f])|(?<=[^\x00-\x7f]) ")
_SPACE_AROUND_DATE_SEP = re.compile(r"(?<=\d) ?([/.-]) ?(?=\d)")
_QUOTES = re.compile(r"^[「『\"'“‘(\[【]+(.*?)[」』\"'”’)\]】]+$")

_OPEN = r"[(\[【〔<]"
_CLOSE = r"[)\]】〕>]"
_EN_WEEKDAY_ABBR = r"(?P<en>mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?"
# After a digit or 日/末/時, but not after 第N (第2火曜日 names the date by its weekday).
_WEEKDAY_SUFFIX = re.compile(
    r"(?:(?<=\d)(?<!第\d)(?<!第\d\d)|(?<=[日末時])) ?(?:"
    rf"{_OPEN} ?(?P<p>[{WEEKDAYS_JA}])(?:曜日?)? ?{_CLOSE}"
    rf"|{_OPEN} ?{_EN_WEEKDAY_ABBR} ?{_CLOSE}"
    rf"|(?P<ja>[{WEEKDAYS_JA}])曜日?"
    r")",
    re.IGNORECASE,
)
_EN_MONTH_START = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
_WEEKDAY_PREFIX = re.compile(rf"^{_EN_WEEKDAY_ABBR},? (?=\d|{_EN_MONTH_START}|the )", re.IGNORECASE)

_PREFIX = re.compile(
    r"^(?:"
    r"(?:ご|御)?(?:システム登録|利用開始|使用開始|開始|登録|スタート|希望|申込|申し込み)"
    r"(?:希望)?(?:日|日付)?(?:は|:|が|を)"
    r"|(?:ご|御)?(?:システム登録|利用開始|使用開始|開始|希望|申込|申し込み)(?:日|日付)"
    r"|(?:日付|日にち)(?:は|:)"
    r"|えっと|えーと|えー|では|じゃあ|それでは"
    r"|(?:でき|出来)(?:ましたら|ますれば|れば|たら)|可能(?:であれば|でしたら|なら)|できるだけ"
    r"|恐れ入りますが|恐縮ですが|すみませんが|お手数ですが|一応|とりあえず|希望としては"
    r"|(?:the |my )?(?:desired |preferred |requested )?start(?:ing)?(?: date)?(?: is| would be)?:?"
    r"|(?:date|start) ?:"
    r"|(?:from|on|by|starting) "
    r")[ 、,:]*",
    re.IGNORECASE,
)

_TIME = (
    r"(?:(?:(?<=[日)\]末])(?:の|に)?|(?<=[\d)]) )"
    r"(?:(?:午前|午後|朝|昼|夕方|夜)?\d{1,2}(?:時(?:\d{1,2}分|半)?|:\d{2})|午前中?|午後|朝一?|夕方)"
    r"|(?<=[\da-z)]) ?(?:at )?\d{1,2}(?::\d{2})? ?(?:am|pm|a\.m\.|p\.m\.)"
    r"|(?<=[\da-z)]) (?:at )?\d{1,2}:\d{2}"
    r"|(?<=\d)T\d{2}:\d{2}(?::\d{2})?)"
)

_SUFFIX_TAIL = 40  # each trailing word stripped is shorter than this
_SUFFIX = re.compile(
    r"(?:"
    r"[。.!?、,~〜 ♪]+"
    r"|(?:どうぞ)?よろしく(?:お願い(?:いた|致)?します)?"
    r"|お願い(?:いた|致)?します|お願い(?:いた|致)?したい(?:です)?|お願い(?:でき(?:ます|ません)か)?"
    r"|(?:を|で|に)?(?:希望|要望)(?:します|いたします|致します|です|でございます)?"
    r"|(?:利用|使用|開始|スタート|申込|申し込み|登録)+"
    r"(?:したい|します|する|希望|予定|可能|でき(?:れば|たら|ます))?"
    r"|したい(?:です)?|して(?:ください|下さい|ほしい|欲しい)(?:です)?"
    r"|(?:使|つか)(?:いたい|います|う|い始めたい|いはじめたい)|(?:始|はじ)め(?:たい|ます|る)"
    r"|(?:で|を)?(?:考えて|予定して|検討して)(?:います|おります)"
    r"|(?:で|が)?(?:大丈夫|問題ありません|OK|ok|結構|構いません|かまいません)"
    r"|でしょうか|ですか|ますか|可能"
    r"|から|より|頃|ごろ|くらい|ぐらい|予定|でした|です|になります|でございます"
    r"|[でにをはの]+"
    r"|\b(?:please|thanks|thank you|if possible)"
    r")$",
    re.IGNORECASE,
)
_TIME_AT_END = re.compile(f"{_TIME}$", re.IGNORECASE)
_TIME_LAST_CHARS = frozenset("0123456789時分半中前後朝一方mM.")  # how every _TIME ends (a cheap pre-check)
_HIRAGANA = re.compile("[ぁ-ゖ]")


def _trailing_words(s: str) -> re.Match[str] | None:
    """Polite words, punctuation or a time at the end of ``s`` (only its tail is searched)."""
    tail = max(0, len(s) - _SUFFIX_TAIL)
    if m := _SUFFIX.search(s, tail):
        return m
    return _TIME_AT_END.search(s, tail) if s and s[-1] in _TIME_LAST_CHARS else None


def _weekday_of(m: re.Match[str]) -> int:
    found = m.groupdict()
    if found.get("en"):
        return EN_WEEKDAYS[found["en"].lower()]
    return WEEKDAYS_JA.index(found.get("p") or found["ja"])


def clean(text: str) -> Cleaned:
    """The text the readers work on, the weekday written next to the date, the era written.

    A text longer than :data:`LONGEST` characters (spaces collapsed) is no date answer; it is
    not read (the text is ``""``), so the work per input stays bounded."""
    s = unicodedata.normalize("NFKC", text or "")
    s = _SPACES.sub(" ", s).strip()
    if len(s) > LONGEST:
        return Cleaned("")
    s = _DASHES_BETWEEN_DIGITS.sub("-", s)
    if " " in s:
        s = _SPACE_NEXT_TO_NON_ASCII.sub("", s)
        s = _SPACE_AROUND_DATE_SEP.sub(r"\1", s)
    if _HIRAGANA.search(s):
        s = _kana_units(s)
    s = _KANJI_NUMBER.sub(lambda m: str(_kanji_to_int(m.group(1) or m.group(2))), s)
    weekday: int | None = None
    previous = None
    while s != previous:
        previous = s
        quoted = _QUOTES.match(s)
        if quoted:
            s = quoted.group(1).strip()
        s = _PREFIX.sub("", s, count=1)
        if m := _trailing_words(s):
            s = s[: m.start()]
        if m := _WEEKDAY_SUFFIX.search(s) or _WEEKDAY_PREFIX.match(s):
            weekday = _weekday_of(m) if weekday is None else weekday
            s = (s[: m.start()] + s[m.end() :]).strip()
        s = s.strip()
    s, era = eras.mark(s)
    return Cleaned(s, weekday, era)


def normalise(text: str) -> str:
    """The cleaned-up text the parser works on (see the module docstring for the rules)."""
    return clean(text).text
