"""A DM as people really write one: with a file attached, an edit of an earlier answer, a
reply in a thread — each answered (issue 12 item 6); deletions, joins and bots still not."""

from __future__ import annotations

import time

from bot.service import Person
from tests.slack.conftest import APPLICANT, DM, Slack

FILE = {"id": "F1", "name": "申込書.pdf", "mimetype": "application/pdf", "filetype": "pdf", "size": 1234}


def draft_of(slack: Slack):
    return slack.bot.service.open_draft(Person(key=f"slack:{APPLICANT}", channel="slack"))


def asked(slack: Slack) -> str:
    return slack.questions()[-1]["metadata"]["event_payload"]["field"]


async def test_a_file_shared_with_text_answers_with_the_text_and_says_the_file_is_not_read(slack: Slack):
    await slack.dm("こんにちは")
    await slack.dm("1")  # 損害保険会社
    assert asked(slack) == "company_name"
    before = len(slack.posts())
    await slack.dm("ABC損害保険株式会社", subtype="file_share", files=[FILE])
    assert draft_of(slack).answers["company_name"] == "ABC損害保険株式会社"
    new = slack.posts()[before:]
    assert "添付ファイルは読み取ることができません" in new[0]["text"]
    assert asked(slack) == "office_name"


async def test_a_file_without_text_is_answered_with_the_question_again(slack: Slack):
    await slack.dm("こんにちは")
    await slack.dm("1")
    before = len(slack.posts())
    await slack.dm("", subtype="file_share", files=[FILE])
    new = slack.posts()[before:]
    assert len(new) == 2
    assert "添付ファイルは読み取ることができません" in new[0]["text"] and "文字で入力" in new[0]["text"]
    assert new[1]["metadata"]["event_payload"]["field"] == "company_name"
    assert "company_name" not in draft_of(slack).answers


async def test_an_edited_answer_points_to_shuusei_and_changes_nothing(slack: Slack):
    await slack.dm("こんにちは")
    await slack.dm("1")
    await slack.dm("ABC損害保険株式会社")
    before = len(slack.posts())
    status, _ = await slack.event({
        "type": "message", "channel": DM, "channel_type": "im", "subtype": "message_changed",
        "hidden": True, "ts": f"{time.time():.6f}",
        "message": {"type": "message", "user": APPLICANT, "text": "XYZ損保", "ts": "1.000100",
                    "edited": {"user": APPLICANT, "ts": f"{time.time():.6f}"}},
        "previous_message": {"type": "message", "user": APPLICANT, "text": "ABC損害保険株式会社",
                             "ts": "1.000100"}}, event_id="EvEDIT1")
    assert status == 200
    await slack.handled("slack-event:EvEDIT1")
    await slack.delivered()
    new = slack.posts()[before:]
    assert "修正 項目名" in new[0]["text"] and "編集" in new[0]["text"]
    assert new[1]["metadata"]["event_payload"]["field"] == "office_name"  # the question again
    assert draft_of(slack).answers["company_name"] == "ABC損害保険株式会社"

    # Slack sends the same event again (a retry): answered once
    await slack.event({"type": "message", "channel": DM, "channel_type": "im", "subtype": "message_changed",
                       "message": {"user": APPLICANT, "text": "XYZ損保", "edited": {"user": APPLICANT}}},
                      event_id="EvEDIT1")
    await slack.dm("本店")  # handled after the retry
    assert sum("修正 項目名" in p["text"] for p in slack.posts()) == 1


async def test_a_reply_in_a_thread_is_answered_in_that_thread(slack: Slack):
    await slack.dm("こんにちは")
    await slack.dm("1")
    parent = slack.questions()[-1]
    before = len(slack.posts())
    await slack.dm("ABC損害保険株式会社", thread_ts="1700000000.000200")
    new = slack.posts()[before:]
    assert new and all(p.get("thread_ts") == "1700000000.000200" for p in new)
    assert new[-1]["metadata"]["event_payload"]["field"] == "office_name"
    assert "thread_ts" not in parent
    # and back in the main DM, the replies are there again
    before = len(slack.posts())
    await slack.dm("本店")
    assert all("thread_ts" not in p for p in slack.posts()[before:])


async def test_deletions_joins_bot_messages_and_slack_made_changes_stay_ignored(slack: Slack):
    ignored = [
        {"subtype": "message_deleted", "hidden": True, "deleted_ts": "1.0",
         "previous_message": {"user": APPLICANT, "text": "1"}},
        {"subtype": "channel_join", "user": APPLICANT, "text": "joined"},
        {"subtype": "bot_message", "bot_id": "BBOT", "text": "echo"},
        {"subtype": "file_share", "bot_id": "BBOT", "user": "UBOT", "text": "申込書", "files": [FILE]},
        # our own PDF shared into the DM (files.completeUploadExternal): our user, no bot_id
        {"subtype": "file_share", "user": "UBOT", "text": "", "files": [FILE]},
        {"subtype": "message_changed", "message": {"user": "UBOT", "text": "q", "edited": {"user": "UBOT"}}},
        # an unfurl or a thread's reply count: Slack changed the message, the person did not edit it
        {"subtype": "message_changed", "message": {"user": APPLICANT, "text": "1", "attachments": [{}]}},
        {"subtype": "message_changed", "message": {"user": "UBOT", "bot_id": "BBOT", "text": "q",
                                                   "edited": {"user": "UBOT"}}},
    ]
    for event in ignored:
        status, _ = await slack.event({"type": "message", "channel": DM, "channel_type": "im", "ts": "3.0", **event})
        assert status == 200
    await slack.dm("こんにちは")  # handled after the ones above
    assert len(slack.posts()) == 2  # guidance and the first question, for the one real message
