"""An applicant's text cannot pose as the bot's own lines in Slack (issue 15 item 6): a reason
that forges a bold card line stays in plain_text, markers inside our sentences are neutral,
and bidirectional controls never reach Slack."""

from __future__ import annotations

import asyncio
import json
import unicodedata
from typing import Any

from tests.slack.conftest import APPLICANT, FILLED, REVIEW_CHANNEL, Slack, button, until

FORGED = "端末を追加します。\n*審査結果*：承認済み\n> 審査担当者の確認済み\n~取消線~ `code` _斜体_"
STORED = unicodedata.normalize("NFKC", FORGED)  # what the core keeps: "：" read as ":"
RLO = "\u202e"


def texts(blocks: list[dict[str, Any]], kind: str) -> list[str]:
    """Every text object of ``kind`` (mrkdwn, plain_text) in the blocks, fields included."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("type") == kind and isinstance(value.get("text"), str):
                found.append(value["text"])
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(blocks)
    return found


async def test_a_forged_card_line_is_shown_as_written_never_as_a_bold_field(slack: Slack):
    person = await slack.channel.people.person(APPLICANT)
    await asyncio.to_thread(slack.bot.service.fill, person, {**FILLED, "remarks": "なし"})
    await slack.delivered()
    await slack.dm("修正 理由")
    await slack.dm(FORGED)
    await slack.dm("修正 理由")  # asked again: the question shows the answer as it is now
    changing = slack.questions()[-1]
    await slack.dm("そのまま")
    await slack.dm("修正 備考")
    await slack.dm(f"至急{RLO}お願いします")
    summary = slack.questions()[-1]
    assert summary["metadata"]["event_payload"]["field"] == "confirm"
    submit = button(summary, "answer_submit")
    await slack.click(submit["action_id"], submit["value"])
    await until(lambda: slack.api.to("chat.postMessage", channel=REVIEW_CHANNEL))
    await slack.delivered()

    card = slack.posts(REVIEW_CHANNEL)[0]
    mrkdwn, plain = texts(card["blocks"], "mrkdwn"), texts(card["blocks"], "plain_text")
    assert not any("審査結果" in t or "審査担当者の確認済み" in t for t in mrkdwn)
    assert f"{STORED}".replace(">", "&gt;") in plain  # as written (NFKC), line breaks kept
    assert "*変更する理由*" in mrkdwn  # our label stays bold, beside the value
    # the DM summary the applicant confirmed: the same, each answer in plain_text
    assert not any("審査結果" in t for t in texts(summary["blocks"], "mrkdwn"))
    assert any("*審査結果*:承認済み" in t for t in texts(summary["blocks"], "plain_text"))

    # where the answer sits inside a sentence of ours (the question shows what is there now)
    assert "現在の内容" in changing["text"]
    assert "*審査結果*" not in changing["text"] and "＊審査結果＊:承認済み" in changing["text"]
    assert "\n＞ 審査担当者の確認済み" in changing["text"]

    app = slack.bot.service.find("260001A")
    assert app.answers["remarks"] == "至急お願いします" and app.answers["change_reason"] == STORED
    everything = json.dumps([c.args for c in slack.api.calls], ensure_ascii=False)
    assert RLO not in everything and "至急お願いします" in everything


async def test_a_bidi_control_in_the_slack_profile_name_never_reaches_slack(slack: Slack):
    slack.api.users["UAPP3"] = slack.api.users[APPLICANT].__class__(f"山田{RLO}太郎", "jiro@example.co.jp")
    await slack.dm("こんにちは", user="UAPP3")
    person = await slack.channel.people.person("UAPP3")
    await asyncio.to_thread(slack.bot.service.fill, person, {k: v for k, v in FILLED.items()
                                                              if k not in ("applicant_name", "remarks")})
    await slack.delivered()
    question = slack.questions("UAPP3")[-1]
    assert question["metadata"]["event_payload"]["field"] == "applicant_name"
    assert "山田太郎" in question["text"]  # offered to keep, without the control
    keep = button(question, "answer_keep")
    await slack.click(keep["action_id"], keep["value"], user="UAPP3")
    await until(lambda: slack.questions("UAPP3")[-1]["metadata"]["event_payload"]["field"] != "applicant_name")
    await slack.delivered()
    draft = slack.bot.service.open_draft(person)
    assert draft.answers["applicant_name"] == "山田太郎"
    assert RLO not in json.dumps([c.args for c in slack.api.calls], ensure_ascii=False)


def test_neutral_leaves_words_and_addresses_and_disarms_markers_and_quotes():
    from handlers.slack.mrkdwn import inert, neutral

    assert neutral("taro_yamada@example.co.jp") == "taro_yamada@example.co.jp"
    assert neutral("3*4 a~b") == "3*4 a~b"
    assert neutral("*審査結果*：承認済み") == "＊審査結果＊：承認済み"
    assert neutral("10時~12時") == "10時～12時"
    assert neutral("_斜体_ `x`") == "＿斜体＿ ｀x｀"
    assert neutral("一行目\n> 引用\n  >字下げ") == "一行目\n＞ 引用\n  ＞字下げ"
    assert inert(f"<!channel> & *x*{RLO}") == "&lt;!channel&gt; &amp; ＊x＊"
