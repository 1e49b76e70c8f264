"""Slack: applicants in DMs and ``/webnaccs``, reviewers deciding with buttons, App Home."""

from handlers.slack.channel import SlackChannel

__all__ = ["SlackChannel"]
