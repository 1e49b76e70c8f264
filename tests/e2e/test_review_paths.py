"""The other ways a filing goes, end to end over both channels: returned, edited by mail and
refiled under the same number; rejected; withdrawn by the applicant (取下げ); and two reviewers
approving at the same moment (one decision, one of each notice)."""

from __future__ import annotations

import asyncio
import json

from tests.e2e.conftest import (
    HANAKO,
    TARO,
    World,
    attachments,
    leaks,
    one_notice_each,
    pdf_text,
    secrets_of,
)
from tests.email.mailer import gmail_reply, send, text_of
from tests.slack.conftest import APPLICANT, DM, REVIEW_CHANNEL, card_ts, file_application, until
from tests.slack.test_reviewers import open_modal, select, typed

NEW_REASON = "本店の通関業務部門でWebNACCSを利用するため、端末2台を追加します。"


async def filed(world: World) -> str:
    """A filing from the Slack applicant (answers given at once), everything delivered."""
    number = await file_application(world.slack)
    await world.settled()
    one_notice_each(world, "acknowledgment", number)
    return number


def transitions(world: World, number: str) -> list[tuple[str, str, str]]:
    app = world.bot.service.find(number)
    return [(e["from"], e["to"], e["actor"]) for e in world.bot.store.audit(app.id) if e["action"] == "transition"]


def card_updates(world: World) -> list[str]:
    return [json.dumps(u["blocks"], ensure_ascii=False) for u in world.api.to("chat.update", channel=REVIEW_CHANNEL)]


async def reply_by_mail(world: World, original, answer: str) -> None:
    """The applicant answers a mail of the bot from their mail program, over SMTP."""
    await send(world.email.port, gmail_reply(original, answer, sender=TARO), sender=TARO,
               to=str(original["Reply-To"]))
    await world.settled()


def last_mail_asking(world: World, field: str):
    mails = [m for m in world.mails(TARO) if m["X-WebNACCS-Field"] == field]
    assert mails, f"no mail asks for {field}"
    return mails[-1]


async def test_returned_then_edited_by_mail_and_refiled_under_the_same_number(world: World):
    number = await filed(world)
    view = await open_modal(world.slack, "return", number, user="UREV2")
    reason = "変更する理由をもう少し具体的にご記入ください"
    assert await world.slack.submit(view, {"reason": {"reason": typed(reason)}}, user="UREV2") == (200, "")
    await world.settled()
    assert world.bot.service.find(number).state == "returned"
    returned = one_notice_each(world, "returned", number)
    for text in (json.dumps(returned["dm"]["blocks"], ensure_ascii=False), text_of(returned[TARO]),
                 text_of(returned[HANAKO])):
        assert reason in text and number in text
    assert "差戻し" in card_updates(world)[-1]

    # the applicant continues by mail (the same person: the Slack profile's address)
    await reply_by_mail(world, returned[TARO], "修正 変更する理由")
    await reply_by_mail(world, last_mail_asking(world, "change_reason"), NEW_REASON)
    summary = last_mail_asking(world, "confirm")
    assert NEW_REASON in text_of(summary)
    await reply_by_mail(world, summary, "登録")

    app = world.bot.service.find(number)
    assert app.state == "under_review" and app.acceptance_number == number  # the same number
    assert app.answers["change_reason"] == NEW_REASON
    assert transitions(world, number) == [("draft", "under_review", f"slack:{APPLICANT}"),
                                          ("under_review", "returned", "slack:UREV2"),
                                          ("returned", "under_review", f"email:{TARO}")]
    ack = one_notice_each(world, "acknowledgment", number, times=2)  # 受付 again, to everyone
    assert number in text_of(ack[HANAKO])
    assert len(world.slack.posts(REVIEW_CHANNEL)) == 2  # a new card for the refiling
    assert NEW_REASON in json.dumps(world.slack.posts(REVIEW_CHANNEL)[-1]["blocks"], ensure_ascii=False)

    # and the refiled application can be approved from its new card
    view = await open_modal(world.slack, "approve", number, user="UREV1")
    assert await world.slack.submit(view, {"start_date": {"start_date": select("2027-01-04")}},
                                    user="UREV1") == (200, "")
    await world.settled()
    confirmation = one_notice_each(world, "confirmation", number)
    assert "異なります" not in text_of(confirmation[TARO])  # the desired date was confirmed
    form = pdf_text(attachments(confirmation[TARO])[f"{number}-application-form.pdf"])
    assert NEW_REASON in "".join(form.split())  # (the cell wraps the long line)


async def test_rejected_with_the_reason_on_both_channels(world: World):
    number = await filed(world)
    view = await open_modal(world.slack, "reject", number, user="UREV1")
    reason = "同一内容の申込が既に受け付けられているため"
    assert await world.slack.submit(view, {"reason": {"reason": typed(reason)}}, user="UREV1") == (200, "")
    await world.settled()
    app = world.bot.service.find(number)
    assert app.state == "rejected" and app.id_notice is None
    rejected = one_notice_each(world, "rejected", number)
    for text in (json.dumps(rejected["dm"]["blocks"], ensure_ascii=False), text_of(rejected[TARO]),
                 text_of(rejected[HANAKO])):
        assert reason in text and number in text
    assert "却下" in card_updates(world)[-1]
    assert world.dm_notices("confirmation") == [] and world.mails(notice="id_notification") == []
    assert world.api.files() == []
    assert transitions(world, number)[-1] == ("under_review", "rejected", "slack:UREV1")


async def test_withdrawn_by_the_applicant_in_the_dm(world: World):
    number = await filed(world)
    await world.slack.dm("取下げ")
    assert "取り下げ" in world.slack.posts(APPLICANT)[-1]["text"]  # asked first
    assert world.bot.service.find(number).state == "under_review"
    await world.slack.dm("はい")
    await world.settled()
    assert world.bot.service.find(number).state == "withdrawn"
    withdrawn = one_notice_each(world, "withdrawn", number)
    assert number in text_of(withdrawn[HANAKO]) and "取り下げられました" in text_of(withdrawn[TARO])
    assert "取下げ" in card_updates(world)[-1]
    assert transitions(world, number)[-1] == ("under_review", "withdrawn", f"slack:{APPLICANT}")

    # a reviewer who clicks the old card is told, and nothing opens
    await world.slack.click("review_approve", number, user="UREV1", channel=REVIEW_CHANNEL,
                            message_ts=card_ts(world.slack, number))
    told = await until(lambda: world.api.to("chat.postEphemeral", user="UREV1"))
    assert number in told[-1]["text"] and world.api.to("views.open") == []


async def test_two_reviewers_approving_at_once_make_one_decision_and_one_of_each_notice(world: World):
    number = await filed(world)
    first = await open_modal(world.slack, "approve", number, user="UREV1")
    second = await open_modal(world.slack, "approve", number, user="UREV2")
    results = await asyncio.gather(
        world.slack.submit(first, {"start_date": {"start_date": select("2027-01-04")}}, user="UREV1"),
        world.slack.submit(second, {"start_date": {"start_date": select("2027-01-18")}}, user="UREV2"))
    assert sorted(body == "" for _, body in results) == [False, True]  # one applied, one told
    await world.settled()
    app = world.bot.service.find(number)
    winner = app.review["by"].removeprefix("slack:")
    [told] = [json.loads(body) for _, body in results if body]
    assert told["response_action"] == "update" and f"<@{winner}>" in json.dumps(told["view"], ensure_ascii=False)
    assert [t for t in transitions(world, number) if t[1] == "approved"] == [("under_review", "approved",
                                                                                f"slack:{winner}")]

    one_notice_each(world, "confirmation", number)
    one_notice_each(world, "id_notification", number, mail_to=(TARO,))
    assert len(world.api.files(DM)) == 1
    assert len(card_updates(world)) == 1
    codes = world.bot.service.id_codes(app)
    [dm] = world.dm_notices("id_notification")
    assert all(secret in json.dumps(dm["blocks"]) for secret in secrets_of(codes))
    assert leaks(world, secrets_of(codes)) == []
