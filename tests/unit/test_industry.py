"""業種 in a person's own words: which answers continue, which end politely, which are asked again."""

from __future__ import annotations

import pytest

from bot import fields as F
from bot.industry import classify

NON_LIFE = ["損保", "損保です", "損害保険", "損害保険会社です", "損害保険株式会社", "ＡＢＣ損害保険株式会社",
            "損保ジャパン", "東京海上日動火災保険株式会社", "東京海上", "三井住友海上", "日新火災",
            "あいおいニッセイ同和損害保険", "外資系損保", "損害保険業", "非生命保険会社", "non-life",
            "Non-Life Insurance Company", "a nonlife insurer", "P&C insurer", "property and casualty insurance",
            "general insurance company", "fire and marine insurance", "損保で間違いありません"]
OTHER = ["銀行", "みずほ銀行", "信託銀行", "信用金庫です", "信金", "生命保険会社", "日本生命", "第一生命保険株式会社",
         "生保", "通関業", "通関業者", "倉庫", "倉庫業", "航空会社", "ABC航空株式会社", "証券会社", "商社", "運送業",
         "物流", "海運", "メーカー", "製造業", "共済", "少額短期保険", "保険代理業", "損害保険代理店", "損保の代理店",
         "日本損害保険協会", "損保ではありません", "損害保険会社ではない", "損害保険会社以外", "その他の業種",
         "a bank", "life insurer", "customs broker", "a freight forwarder", "logistics", "airline",
         "trading company", "warehousing", "not a non-life insurer", "others"]
ASKED_AGAIN = ["", "こんにちは", "あいうえお", "はい", "いいえ", "保険会社", "保険業", "insurance company",
               "insurance carrier", "株式会社ABC", "ABC Corporation", "営業", "企業", "損保の子会社",
               "SOMPOホールディングス", "3", "x" * 200]


@pytest.mark.parametrize("text", NON_LIFE)
def test_non_life_insurers_in_their_own_words(text):
    assert classify(text) == "non_life"


@pytest.mark.parametrize("text", OTHER)
def test_other_industries_are_recognised_by_their_kind(text):
    assert classify(text) == "other"


@pytest.mark.parametrize("text", ASKED_AGAIN)
def test_what_names_no_industry_is_asked_again(text):
    assert classify(text) is None


def test_the_question_reads_numbers_and_labels_first_then_words():
    industry = F.BY_KEY["industry"]
    ctx = F.Context(today=__import__("datetime").date(2026, 11, 26))
    assert industry.read("1", ctx) == "non_life" and industry.read("２", ctx) == "other"
    assert industry.read("銀行です", ctx) == "other" and industry.read("損保", ctx) == "non_life"
    with pytest.raises(F.Invalid) as refused:
        industry.read("よろしくお願いします", ctx)
    assert refused.value.code == "unknown_choice"
