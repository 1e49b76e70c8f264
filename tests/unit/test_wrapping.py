"""Line breaking of plain-text mail (handlers/wrapping.py): the width, and where a break may fall."""

from __future__ import annotations

import pytest

from handlers.wrapping import MAIL_WIDTH, display_width, wrap

SENTENCE = ("申込受付番号 260001A の申込について、翌営業日の2026年12月3日（木）以降に回答いたします。"
            "詳しくは https://www.example.jp/naccs/webnaccs?x=1 をご覧いただくか、taro.yamada@example.co.jp "
            "までご連絡ください。申込担当者の山田 太郎 様には、WebNACCS処理方式のご案内をお送りします。")


def test_width_counts_full_width_characters_twice():
    assert display_width("申込ABC") == 7 and display_width("（水）") == 6 and display_width("") == 0


def test_a_long_line_is_broken_within_the_width_and_nothing_is_lost():
    lines = wrap(SENTENCE).split("\n")
    assert len(lines) > 2 and all(display_width(line) <= MAIL_WIDTH for line in lines)
    assert "".join(lines).replace(" ", "") == SENTENCE.replace(" ", "")  # (a break drops its space)


@pytest.mark.parametrize("whole", ["260001A", "2026年12月3日（木）", "https://www.example.jp/naccs/webnaccs?x=1",
                                   "taro.yamada@example.co.jp", "山田 太郎", "WebNACCS処理方式"])
def test_never_inside_a_number_a_date_a_url_an_address_or_a_name(whole):
    for width in range(30, MAIL_WIDTH + 1):
        assert any(whole in line for line in wrap(SENTENCE, "ja", width).split("\n")), (whole, width)


def test_no_line_starts_with_a_closing_mark_nor_ends_with_an_opening_one():
    text = "（" + "、".join(["「修正 項目名」と入力してください"] * 8) + "）。"
    for width in range(24, MAIL_WIDTH + 1):
        for line in wrap(text, "ja", width).split("\n")[1:]:
            assert line[0] not in "、。）」", (width, line)
        for line in wrap(text, "ja", width).split("\n"):
            assert line[-1] not in "（「", (width, line)
            assert "「修正" not in line or "「修正 項目名」" in line  # a short quote stays whole


def test_a_line_ends_after_a_sentence_rather_than_in_the_next_one():
    text = ("申込内容の確認が完了しました（審査終了）。"
            "利用開始日以降にパッケージソフトにログオンし、必要なU業務を実施してください。")
    assert wrap(text).split("\n")[0] == "申込内容の確認が完了しました（審査終了）。"


def test_an_item_goes_on_under_its_text():
    lines = wrap("・変更する理由：" + "本店の通関業務部門でWebNACCSを利用するため、端末を追加します。" * 2).split("\n")
    assert lines[0].startswith("・") and all(line.startswith("　") for line in lines[1:])
    numbered = wrap("12. " + "あいうえおかきくけこ" * 8, "en").split("\n")
    assert all(line.startswith("    ") for line in numbered[1:])


def test_english_is_broken_at_spaces_and_keeps_dates_and_asides_whole():
    text = ("Today, Mon 18 Jan 2027, is the start date of application 260001A. Please log on to the package "
            "software and carry out the U業務 (U transactions) you need.")
    for width in range(40, MAIL_WIDTH + 1):
        lines = wrap(text, "en", width).split("\n")
        assert " ".join(lines) == text
        assert any("Mon 18 Jan 2027" in line for line in lines) and any("(U transactions)" in ln for ln in lines)


def test_what_cannot_be_broken_stays_whole_and_short_lines_stay_as_they_are():
    url = "https://bot.example.jp/id/748fb5ba34114358/2027-01-19/31d252ea19a8fd4f4ed2b130fe567f3a"
    assert wrap(url) == url
    assert wrap(f"次のリンクを開いてください。{url}").split("\n") == ["次のリンクを開いてください。", url]
    short = "申込受付番号　：260001A\n\n利用開始日　　：2027年1月18日（月）"
    assert wrap(short) == short and wrap(SENTENCE, "ja", None) == SENTENCE


def test_a_very_long_line_is_broken_throughout():
    text = "変更する理由を具体的にご記入ください。" * 500  # what a person may paste
    lines = wrap(text).split("\n")
    assert "".join(lines) == text and all(display_width(line) <= MAIL_WIDTH for line in lines)
