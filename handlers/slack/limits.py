"""Slack's Block Kit limits, named once (https://api.slack.com/reference/block-kit)."""

SECTION_TEXT = 3000  # characters in a section block's text
FIELD_TEXT = 2000  # characters in one of a section's fields
LABEL = 2000  # characters in an input block's label or hint (plain_text)
HEADER = 150  # characters in a header block's text
MESSAGE_TEXT = 3900  # a message's top-level text, kept short for notifications (Slack cuts at 4000)
MESSAGE_BLOCKS = 50  # blocks in one message (chat.postMessage)
ACTIONS = 25  # elements in one actions block
FIELD_ERROR = 150  # characters of a view_submission error shown under one input
