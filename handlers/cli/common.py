"""Shared by the command-line modules: the bot built from the environment, the language."""

from __future__ import annotations

from dataclasses import replace

import click

from bot.config import Config
from handlers import bootstrap

LANG = click.option("--lang", type=click.Choice(["ja", "en"]), default=None,
                    help="Language of the output (default: WEBNACCS_LANG).")


def build(*, lang: str | None = None) -> bootstrap.Bot:
    """The bot on this environment's settings (``lang``: the language of new drafts)."""
    config = Config.from_env(bootstrap.load_env())
    return bootstrap.build(replace(config, lang=lang) if lang else config)


def lang_of(explicit: str | None) -> str:
    return explicit or Config.from_env(bootstrap.load_env()).lang
