"""An applicant in a DM with the app: the whole conversation to filing, over signed HTTP."""

from __future__ import annotations

import json

from tests.conftest import BOTH
from tests.slack.conftest import APPLICANT, REVIEW_CHANNEL, Slack, button

pytestmark = BOTH  # on TinyDB files and on PostgreSQL

# (what the applicant sends, the field the next question asks)
ANSWERS = [
    ("ＡＢＣ損害保険株式会社", "office_name"),
    ("本店", "user_code"),
    ("abc12", "netnaccs_terminals"),
    ("3", "change_items"),
    ("1", "desired_start_date"),
]
LATER = [
    ("WebNACCSを利用するため端末を追加します。", "applicant_name"),
    ("そのまま", "applicant_department"),  # the name came from the Slack profile
    ("業務部", "applicant_email"),
    ("そのまま", "applicant_phone"),  # and the email too
    ("03-1234-5678", "admin_name"),
    ("鈴木 花子", "admin_email"),
    ("hanako@example.co.jp", "certificate_count"),
    ("2", "remarks"),
    ("なし", "confirm"),
]


def metadata_field(post: dict) -> str:
    meta = post["metadata"]
    assert meta["event_type"] == "webnaccs_question"
    assert meta["event_payload"]["application_id"]
    return meta["event_payload"]["field"]


async def test_a_whole_application_in_a_dm_is_filed_with_metadata_at_every_question(slack: Slack):
    await slack.dm("WebNACCSの申込をしたいです")
    guidance, first = slack.posts()[:2]
    assert "申込 → 受付 → 内容確認中 → 審査終了 → 利用開始" in guidance["text"]
    assert guidance["metadata"]["event_type"] == "webnaccs_reply"  # no question: only its outbox id
    assert button(guidance, "form_open")
    assert metadata_field(first) == "industry"
    app_id = first["metadata"]["event_payload"]["application_id"]

    # a choice is a button that sends what a person would type (the choice number)
    industry = button(first, typed="1")
    status, _ = await slack.click(industry["action_id"], industry["value"])
    assert status == 200
    await slack.delivered()
    await until_questions(slack, 2)
    assert metadata_field(slack.questions()[-1]) == "company_name"

    for text, field in ANSWERS:
        await slack.dm(text)
        assert metadata_field(slack.questions()[-1]) == field, text

    date_question = slack.questions()[-1]
    dates = [json.loads(b["value"])["t"] for b in date_question["blocks"][-1]["elements"]]
    assert dates == ["2026-12-16", "2027-01-04", "2027-01-18"]  # the next valid dates, as buttons
    second = button(date_question, typed="2027-01-04")
    await slack.click(second["action_id"], second["value"])
    await until_questions(slack, 2 + len(ANSWERS) + 1)
    assert metadata_field(slack.questions()[-1]) == "change_reason"

    for text, field in LATER:
        question = slack.questions()[-1]
        if text == "そのまま":  # prefilled from the profile: one tap keeps it
            keep, asked = button(question, "answer_keep"), len(slack.questions())
            await slack.click(keep["action_id"], keep["value"])
            await until_questions(slack, asked + 1)
        else:
            await slack.dm(text)
        assert metadata_field(slack.questions()[-1]) == field, text

    summary = slack.questions()[-1]
    assert all(q["metadata"]["event_payload"]["application_id"] == app_id for q in slack.questions())
    assert "山田 太郎" in json.dumps(summary["blocks"], ensure_ascii=False)
    assert "taro@example.co.jp" in json.dumps(summary["blocks"])
    edit = button(summary, "answer_edit_applicant_phone")
    assert json.loads(edit["value"])["t"] == "修正 applicant_phone"
    submit = button(summary, "answer_submit")
    await slack.click(submit["action_id"], submit["value"])

    filed = await until_text(slack, "申込受付番号：260001A")
    assert filed["metadata"]["event_type"] == "webnaccs_reply"
    await until_review_card(slack)
    await slack.delivered()  # the acknowledgment DM follows the reply that announces it
    card = slack.posts(REVIEW_CHANNEL)[0]
    assert card["metadata"]["event_type"] == "webnaccs_review"
    assert card["metadata"]["event_payload"]["acceptance_number"] == "260001A"
    assert card["metadata"]["event_payload"]["outbox_id"].startswith(f"{app_id}/")
    actions = next(b for b in card["blocks"] if b.get("block_id") == "review_actions")["elements"]
    assert [(a["action_id"], a["value"]) for a in actions] == [
        ("review_approve", "260001A"), ("review_return", "260001A"), ("review_reject", "260001A")]
    app = slack.bot.service.find("260001A")
    assert app.state == "under_review" and app.answers["applicant_name"] == "山田 太郎"
    assert "slack:UAPP1" in app.people and "email:taro@example.co.jp" in app.people
    notices = [p for p in slack.posts() if (p.get("metadata") or {}).get("event_type") == "webnaccs_notice"]
    assert [n["metadata"]["event_payload"]["notice"] for n in notices] == ["acknowledgment"]


async def until_questions(slack: Slack, count: int) -> None:
    from tests.slack.conftest import until

    await until(lambda: len(slack.questions()) >= count)
    await slack.delivered()


async def until_text(slack: Slack, text: str, user: str = APPLICANT) -> dict:
    from tests.slack.conftest import until

    return await until(lambda: next((p for p in slack.posts(user) if text in p.get("text", "")), None))


async def until_review_card(slack: Slack) -> None:
    from tests.slack.conftest import until

    await until(lambda: slack.posts(REVIEW_CHANNEL))
