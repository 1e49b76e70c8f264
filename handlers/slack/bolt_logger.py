"""Bolt's logger without the one warning it gives at every start for nothing.

We hand Bolt our own client (its retry handlers, SLACK_API_URL) and Bolt still reads
SLACK_BOT_TOKEN from the environment, then warns that the token will be unused: true (the
client carries the same token) and alarming in every start-up log. Only that line is dropped.
"""

from __future__ import annotations

import logging

from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped


class _DropTokenUnused(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


def without_token_warning(logger: logging.Logger) -> logging.Logger:
    if not any(isinstance(f, _DropTokenUnused) for f in logger.filters):
        logger.addFilter(_DropTokenUnused())
    return logger
