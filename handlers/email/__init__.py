"""The email channel (SPEC §1, §7, §8): start by mail, continue by replying, notices by mail."""

from handlers.email.channel import MAX_SIZE, EmailChannel

__all__ = ["MAX_SIZE", "EmailChannel"]
