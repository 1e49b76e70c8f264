"""A reply's posts are rendered on the loop while its turn's thread syncs the journal
(bot.ports.Ahead → OutboxSignal.ahead → ApplicantSender.prepare), then posted as rendered."""

from __future__ import annotations

from handlers.slack import senders
from handlers.slack.senders import ApplicantSender
from tests.slack.conftest import Slack


async def test_a_reply_is_rendered_before_its_turn_is_synced_and_posted_once(slack: Slack, monkeypatch):
    order: list[str] = []
    journal = slack.bot.store._journal
    real_sync, real_prepare, real_render = journal.sync_to, ApplicantSender.prepare, senders.reply_message
    real_send = ApplicantSender.send

    def sync_to(position):
        order.append("sync")
        return real_sync(position)

    def prepare(self, message):
        order.append("prepare")
        return real_prepare(self, message)

    def render(*args, **kwargs):
        order.append("render")
        return real_render(*args, **kwargs)

    async def send(self, message):
        order.append("send")
        return await real_send(self, message)

    monkeypatch.setattr(ApplicantSender, "send", send)
    monkeypatch.setattr(journal, "sync_to", sync_to)
    monkeypatch.setattr(ApplicantSender, "prepare", prepare)
    monkeypatch.setattr(senders, "reply_message", render)
    await slack.dm("こんにちは")
    await slack.delivered()
    posts = slack.posts()
    assert posts and slack.questions()
    assert "prepare" in order
    rendered = order.count("render")
    assert rendered == len(posts)  # each post rendered once: ahead, not again when sent
    assert "sync" in order and order.index("prepare") < order.index("send")  # ready before it may go
    kept = slack.channel.senders["slack"]
    assert len(getattr(kept, "sender", kept)._ready) == 0  # taken by its send


async def test_a_reply_nobody_prepared_is_rendered_when_sent(slack: Slack, monkeypatch):
    monkeypatch.setattr(ApplicantSender, "prepare", lambda self, message: None)
    await slack.dm("こんにちは")
    await slack.delivered()
    assert slack.questions()
