"""Dates: parses per second of our reader against plain dateparser on the same corpus."""

from __future__ import annotations

import contextlib
import time
from datetime import date, datetime

import dateparser

from bench.common import Figure
from bot import dates

TODAY = date(2026, 11, 26)
VALID = ["2026年12月1日", "２０２６年１２月１日", "20261201", "12月1日", "12/1", "令和8年12月1日", "R8.12.1",
         "来月1日", "来週の火曜日", "明日", "1月4日", "Dec 1, 2026", "next Tuesday", "12月16日（水）を希望します",
         "2027/1/18", "tomorrow"]
INVALID = ["2026年12月", "2月30日", "よろしく", "abc", "12345", "未定です", "December 2026", "13/45",
           "foo 12 bar", "来月"]
# Forms read (or refused with a reason) since issue 14; a separate figure, so the two above
# stay comparable with earlier runs.
ADDED = ["再来月の第2火曜日", "1月の第5木曜日", "今月末", "3か月後", "5営業日後", "来々週の木曜", "3週間後の金曜日",
         "令和9.1.4", "平成40年1月4日", "1月4日（月）10時から", "できましたら1月4日からの利用を希望いたします。",
         "1がつ4か", "4th January", "1/18/2027", "Tuesday after next", "end of next month", "1月4日（火）",
         "2月29日"]
SETTINGS = {"PREFER_DATES_FROM": "future", "RELATIVE_BASE": datetime(2026, 11, 26),
            "TIMEZONE": "Asia/Tokyo", "RETURN_AS_TIMEZONE_AWARE": False}


def ours(text: str) -> None:
    with contextlib.suppress(dates.DateError):
        dates.parse_date(text, today=TODAY)


def plain(text: str) -> None:
    dateparser.parse(text, languages=["ja", "en"], settings=SETTINGS)


def rate(fn, corpus: list[str], seconds: float) -> list[float]:
    """Parses per second, one sample per pass over the corpus, for about ``seconds``."""
    samples = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(samples) < 5:
        start = time.perf_counter()
        for text in corpus:
            fn(text)
        samples.append(len(corpus) / (time.perf_counter() - start))
    return samples


def run(quick: bool = False) -> list[Figure]:
    dates.warm_up()
    plain("明日")
    seconds = 0.5 if quick else 3.0
    figures = []
    for name, corpus in (("dates: valid inputs", VALID), ("dates: invalid inputs", INVALID),
                         ("dates: forms added in issue 14", ADDED)):
        a = rate(ours, corpus, seconds)
        b = rate(plain, corpus, seconds)
        a.sort()
        b.sort()
        # For rates, higher is better: report the median and the 1st percentile (slow tail).
        figures.append(Figure(name, "parses/s", a[len(a) // 2], a[max(0, len(a) // 100)],
                              b[len(b) // 2], b[max(0, len(b) // 100)], len(a),
                              note="ratio > 1 means faster than plain dateparser"))
    return figures
