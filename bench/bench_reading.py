"""Reading hostile mail: seconds to read (``reading.read``) and cut (``quotes.answer_text``) each.

    python -m bench.bench_reading

Standalone (not a suite of ``bench.run``). Each mail is read three times, the best time printed;
before the linear reader every one of the first five took over 200 s (measured on the 2-core
test machine, killed at 200 s), the nested one failed with RecursionError.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from handlers.email.quotes import answer_text
from handlers.email.reading import html_to_text, read

HEAD = b"From: taro@example.co.jp\r\nTo: webnaccs@localhost\r\nMessage-ID: <1@example.co.jp>\r\n"


def _mail(body: bytes, headers: bytes = b"") -> Callable[[], object]:
    raw = HEAD + headers + b"\r\n" + body
    return lambda: answer_text(read(raw, envelope_sender="t@x").text)


CASES: dict[str, Callable[[], object]] = {
    "answer_text of 300,000 short lines (0.9 MB)": lambda: answer_text("ab\n" * 300_000),
    "answer_text of 100,000 blank lines": lambda: answer_text("\n" * 100_000 + "ABC"),
    "HTML of 300,000 '</'": lambda: html_to_text("</" * 300_000),
    "mail with a Subject of 80,000 encoded words": _mail(
        b"x\r\n", b"Subject: " + b" ".join([b"=?utf-8?b?5pel?="] * 80_000) + b"\r\n"),
    "mail of 300,000 short lines": _mail(b"ab\r\n" * 300_000),
    "mail nested 5,000 multiparts deep": _mail(
        b"".join(b'--b%d\r\nContent-Type: multipart/mixed; boundary="b%d"\r\n\r\n' % (i, i + 1)
                 for i in range(5_000)) + b"x\r\n" * 200_000,
        b'Content-Type: multipart/mixed; boundary="b0"\r\n'),
    "mail of 100,000 parts": _mail(
        b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n" for _ in range(100_000)) + b"--b--\r\n",
        b'Content-Type: multipart/mixed; boundary="b"\r\n'),
    "mail of 10 MB in one line": _mail(b"a" * 10_000_000),
    "an ordinary reply": _mail("お世話になっております。\r\n\r\nABC損保\r\n\r\nよろしくお願いいたします。\r\n山田\r\n"
                               .encode() + b"> quoted\r\n" * 60),
}


def main() -> None:
    print("| mail | seconds (best of 3) |\n|---|---|")
    for name, case in CASES.items():
        best = min(_timed(case) for _ in range(3))
        print(f"| {name} | {best:.3f} |")


def _timed(case: Callable[[], object]) -> float:
    start = time.perf_counter()
    case()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
