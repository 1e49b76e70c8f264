"""The rest of the applicant's side: /webnaccs, App Home, the form modal, old buttons, and
what must never happen (events handled twice, broadcasts, other people's messages)."""

from __future__ import annotations

import json

from bot.service import Person
from tests.slack.conftest import APPLICANT, DM, Slack, button, file_application, until


def apps_of(slack: Slack, user: str = APPLICANT):
    return slack.bot.service.applications_of(Person(key=f"slack:{user}", channel="slack"))


async def test_webnaccs_starts_in_the_dm_and_answers_status_and_help(slack: Slack):
    status, body = await slack.command("")
    assert status == 200 and "DMでお送りしました" in json.loads(body)["text"]
    await until(lambda: slack.questions())
    await slack.delivered()
    assert slack.questions()[0]["metadata"]["event_payload"]["field"] == "industry"

    status, body = await slack.command("new")  # the question asked continues, nothing new is stored
    await until(lambda: any("続きからお伺いします" in p["text"] for p in slack.posts()))
    await slack.delivered()
    assert apps_of(slack) == [] and [r.state for r in slack.records()] == ["contact"]
    assert slack.questions()[-1]["metadata"]["event_payload"]["field"] == "industry"

    status, body = await slack.command("status")
    assert (status, body) == (200, "")
    answer = await until(lambda: slack.api.responses)
    assert answer[0]["response_type"] == "ephemeral"
    assert "最初の質問にお答えいただくと、申込が始まります" in answer[0]["text"]  # asked: no application yet
    await slack.dm("損害保険会社")
    await slack.command("status")
    answer = await until(lambda: slack.api.responses[1:])
    assert "入力中の申込" in answer[0]["text"] and "▶ *申込* → 受付" in answer[0]["text"]

    for word in ("help", "ヘルプ", "what?"):
        status, body = await slack.command(word)
        assert status == 200 and "/webnaccs status" in json.loads(body)["text"]

    status, body = await slack.command("form")
    assert (status, body) == (200, "")
    opened = await until(lambda: slack.api.to("views.open"))
    assert opened[0]["view"]["callback_id"] == "application_form_modal"


async def test_app_home_shows_each_application_with_its_progress(slack: Slack):
    status, _ = await slack.event({"type": "app_home_opened", "user": "UAPP2", "channel": "DX", "tab": "home"})
    assert status == 200
    empty = await until(lambda: slack.api.to("views.publish", user_id="UAPP2"))
    assert "まだ申込はありません" in json.dumps(empty[-1]["view"], ensure_ascii=False)

    number = await file_application(slack)
    # filing refreshed the home in the background (the outbox delivered to the applicant)
    home = await until(lambda: slack.api.to("views.publish", user_id=APPLICANT))
    shown = json.dumps(home[-1]["view"], ensure_ascii=False)
    assert home[-1]["view"]["type"] == "home"
    assert f"*申込受付番号 {number}*　内容確認中" in shown
    assert "✅ 申込 → ✅ 受付 → ▶ *内容確認中* → 審査終了 → 利用開始" in shown
    assert "結果のお知らせをお待ちください" in shown

    before = len(slack.api.to("views.publish", user_id=APPLICANT))
    await slack.event({"type": "app_home_opened", "user": APPLICANT, "channel": DM, "tab": "home"})
    await until(lambda: len(slack.api.to("views.publish", user_id=APPLICANT)) > before)


async def test_the_form_modal_validates_each_field_and_continues_in_the_dm(slack: Slack):
    await slack.dm("こんにちは")
    guidance = slack.posts()[0]
    form_button = button(guidance, "form_open")
    await slack.click("form_open", form_button["value"])
    view = (await until(lambda: slack.api.to("views.open")))[-1]["view"]
    assert view["callback_id"] == "application_form_modal"
    blocks = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert blocks["applicant_name"]["element"]["initial_value"] == "山田 太郎"  # from the profile
    assert blocks["applicant_email"]["element"]["initial_value"] == "taro@example.co.jp"
    assert [o["value"] for o in blocks["desired_start_date"]["element"]["options"]][:2] == [
        "2026-12-16", "2027-01-04"]
    assert blocks["name_kana"].get("optional") is True

    values = {
        "industry": {"type": "static_select", "selected_option": {"value": "non_life"}},
        "company_name": "ABC損害保険株式会社", "office_name": "本店", "user_code": "abc12",
        "netnaccs_terminals": "3",
        "change_items": {"type": "checkboxes", "selected_options": [{"value": "webnaccs_terminals"},
                                                                   {"value": "user_code"}]},
        "desired_start_date": {"type": "static_select", "selected_option": {"value": "2027-01-04"}},
        "change_reason": "WebNACCSを利用するため端末を追加します。", "applicant_name": "山田 太郎",
        "applicant_department": "業務部", "applicant_email": "taro@", "applicant_phone": "12",
        "admin_name": "鈴木 花子", "admin_email": "hanako@example.co.jp", "name_kanji": "ABC損保",
        "name_kana": "", "name_english": "ABC Fire", "certificate_count": "2", "remarks": "",
    }

    def state(v: dict) -> dict:
        return {k: {k: x if isinstance(x, dict) else {"type": "plain_text_input", "value": x}}
                for k, x in v.items()}

    status, body = await slack.submit(view, state(values))
    errors = json.loads(body)
    assert status == 200 and errors["response_action"] == "errors"
    assert set(errors["errors"]) == {"applicant_email", "applicant_phone", "name_kana"}
    assert "メールアドレスの形式" in errors["errors"]["applicant_email"]
    draft = apps_of(slack)[-1]
    assert draft.answers["company_name"] == "ABC損害保険株式会社"  # what was right is kept

    values.update(applicant_email="taro@example.co.jp", applicant_phone="03-1234-5678",
                  name_kana="えーびーしー")
    asked = len(slack.questions())
    status, body = await slack.submit(view, state(values))
    assert (status, body) == (200, "")
    await until(lambda: len(slack.questions()) > asked)
    await slack.delivered()
    summary = slack.questions()[-1]
    assert summary["metadata"]["event_payload"]["field"] == "confirm"
    assert "エービーシー" in json.dumps(summary["blocks"], ensure_ascii=False)


async def test_an_old_button_does_not_answer_a_later_question(slack: Slack):
    await slack.dm("こんにちは")
    industry = slack.questions()[-1]
    await slack.dm("損害保険会社")
    old = button(industry, typed="2")  # その他: would end the application if it were taken
    await slack.click(old["action_id"], old["value"])
    stale = await until(lambda: slack.api.to("chat.postEphemeral", user=APPLICANT))
    assert stale[0]["channel"] == DM and "すでにお答えいただいている" in stale[0]["text"]
    draft = apps_of(slack)[-1]
    assert draft.state == "draft" and draft.answers["industry"] == "non_life"
    assert draft.conversation["field"] == "company_name"


async def test_the_same_event_delivered_twice_is_handled_once(slack: Slack):
    await slack.dm("こんにちは", event_id="EvFIRST")
    await slack.dm("損害保険会社", event_id="EvTWICE")
    posts = len(slack.posts())
    status, _ = await slack.event({"type": "message", "channel": DM, "channel_type": "im", "user": APPLICANT,
                                   "text": "損害保険会社", "ts": "2.0"}, event_id="EvTWICE",
                                  headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert status == 200
    await slack.dm("ABC損害保険株式会社")  # handled after the redelivery (one person, in order)
    assert len(slack.posts()) == posts + 1
    draft = apps_of(slack)[-1]
    assert draft.inbound.count("slack-event:EvTWICE") == 1
    assert draft.answers["company_name"] == "ABC損害保険株式会社" and "office_name" not in draft.answers


async def test_a_broadcast_or_link_in_an_answer_is_shown_never_sent(slack: Slack):
    await slack.dm("こんにちは")
    await slack.dm("損害保険会社")
    # what Slack sends when someone types "@channel" and "&<b>": a broadcast and escaped characters
    await slack.dm("<!channel> ＡＢＣ損保&amp;&lt;b&gt; <https://evil.example|公式サイト>")
    draft = apps_of(slack)[-1]
    assert draft.answers["company_name"] == "<!channel> ABC損保&<b> 公式サイト"
    await slack.dm("修正")  # lists the answers, the company among them
    listing = slack.posts()[-1]
    everything = json.dumps(listing, ensure_ascii=False)
    assert "&lt;!channel&gt; ABC損保&amp;&lt;b&gt;" in listing["text"]
    assert "<!channel>" not in everything and "<https://" not in everything
    for post in slack.posts():
        assert "<!channel>" not in json.dumps(post, ensure_ascii=False)


async def test_bot_messages_edits_and_other_channels_are_ignored(slack: Slack):
    ignored = [
        {"type": "message", "channel": DM, "channel_type": "im", "bot_id": "BBOT", "user": "UBOT", "text": "echo"},
        {"type": "message", "channel": DM, "channel_type": "im", "subtype": "message_changed",
         "message": {"user": APPLICANT, "text": "損害保険会社"}},
        {"type": "message", "channel": "CGENERAL", "channel_type": "channel", "user": APPLICANT, "text": "hi"},
        {"type": "message", "channel": DM, "channel_type": "im", "subtype": "channel_join", "user": APPLICANT,
         "text": "joined"},
    ]
    for event in ignored:
        status, _ = await slack.event({"ts": "3.0", **event})
        assert status == 200
    await slack.dm("こんにちは")  # handled after the ones above
    assert [r.state for r in slack.records()] == ["contact"]  # asked, nothing stored as an application
    assert len(slack.posts()) == 2  # guidance and the first question, for the one real message


async def test_returned_application_is_corrected_in_the_dm_and_filed_again(slack: Slack):
    number = await file_application(slack)
    decision = slack.bot.service.decide(number, decision="return", actor="slack:UREV1",
                                        reason="電話番号をご確認ください")
    assert decision.applied
    await slack.delivered()
    notice = [p for p in slack.posts()
              if (p.get("metadata") or {}).get("event_payload", {}).get("notice") == "returned"]
    assert notice and "電話番号をご確認ください" in notice[0]["blocks"][0]["text"]["text"]
    await slack.dm("修正 電話番号")
    await slack.dm("090-1234-5678")
    summary = slack.questions()[-1]
    await slack.click("answer_submit", button(summary, "answer_submit")["value"])
    await until(lambda: slack.bot.service.find(number).state == "under_review")
    await slack.delivered()
    cards = await until(lambda: len(slack.posts("CREVIEW")) == 2 and slack.posts("CREVIEW"))
    assert [c["metadata"]["event_payload"]["acceptance_number"] for c in cards] == [number, number]


async def test_withdrawing_with_the_buttons_updates_the_review_card(slack: Slack):
    number = await file_application(slack)
    await slack.dm("取下げ")
    asked = slack.posts()[-1]
    yes = button(asked, typed="はい")
    assert json.loads(yes["value"])["m"] == "confirm_withdraw"
    await slack.click(yes["action_id"], yes["value"])
    await until(lambda: slack.bot.service.find(number).state == "withdrawn")
    await slack.click(yes["action_id"], yes["value"])  # a second click: nothing more happens
    await until(lambda: slack.api.to("chat.postEphemeral", user=APPLICANT))
    await slack.delivered()
    [update] = slack.api.to("chat.update", channel="CREVIEW")
    assert "*取下げ*：申込者が申込を取り下げました" in json.dumps(update["blocks"], ensure_ascii=False)
    assert not [a for a in apps_of(slack) if a.state == "draft"]  # and no new application was started
