"""Shared by the command-line modules: the bot built from the environment (in the right place
only), the language, dates read like the chat reads them, and JSON output."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from datetime import date
from typing import Any

import click

from bot import dates
from bot.config import Config
from handlers import bootstrap
from handlers.render import Renderer

LANG = click.option("--lang", type=click.Choice(["ja", "en"]), default=None,
                    help="Language of the output (default: WEBNACCS_LANG).")
JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text (for scripts).")


def config() -> Config:
    """The settings of this environment; a bad setting is one line on stderr and exit 1."""
    try:
        return Config.from_env(bootstrap.load_env())
    except ValueError as e:
        click.echo(f"webnaccs-bot: {e}", err=True)
        raise SystemExit(1) from None


CREATING = frozenset({"serve", "chat"})  # the commands that may start a new data directory


def build(*, lang: str | None = None, create: bool | None = None) -> bootstrap.Bot:
    """The bot on this environment's settings (``lang``: the language of new drafts).

    Only ``serve`` and ``chat`` may make a new data directory (``create`` None: whether the
    command being run is one of them); every other command refuses one that does not exist, or
    has no key when WEBNACCS_SECRET is not set, rather than making an empty one there and
    reporting that it holds nothing."""
    settings = config()
    if create is None:
        ctx = click.get_current_context(silent=True)
        create = ctx is not None and ctx.info_name in CREATING
    if not create:
        require_data_dir(settings)
    try:
        return bootstrap.build(replace(settings, lang=lang) if lang else settings)
    except (OSError, ValueError) as e:  # the schedule file missing, the data directory not ours to write …
        click.echo(Renderer().render("cli/serve_failed.j2", output_lang(), problem="setting", error=_said(e)), err=True)
        raise SystemExit(1) from None


def _said(error: BaseException) -> str:
    if isinstance(error, OSError) and error.filename:
        return f"{error.strerror or error}: {error.filename}"
    return str(error)


def data_dir_problem(settings: Config) -> str | None:
    """Why ``settings.data_dir`` is not a data directory to read (None: it is one, or the state
    is in PostgreSQL, where the replicas share it and its key)."""
    if settings.database_url:
        return None
    path = settings.data_dir
    if not path.exists():
        return "missing"
    if not path.is_dir():
        return "not_a_directory"
    if not settings.secret and not (path / "secret.key").is_file():
        return "no_key"
    return None


def require_data_dir(settings: Config) -> None:
    problem = data_dir_problem(settings)
    if problem is not None:
        click.echo(Renderer().render("cli/data_dir.j2", output_lang(), problem=problem,
                                     path=str(settings.data_dir.resolve())), err=True)
        raise SystemExit(1)


def output_lang(explicit: str | None = None) -> str:
    """``--lang`` of the command being run, else WEBNACCS_LANG."""
    if explicit:
        return explicit
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if ctx.params.get("lang"):
            return str(ctx.params["lang"])
        ctx = ctx.parent
    return config().lang


def lang_of(explicit: str | None) -> str:
    return output_lang(explicit)


def today() -> date:
    return bootstrap.SystemClock().now().date()


class DateText(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    """A date written any way the chat accepts (``20261216``, ``2026年12月16日``, full width …),
    read by ``bot.dates.parse_date``; an unreadable one is refused with the chat's reason."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return dates.parse_date(str(value), today=today())
        except dates.DateError as e:
            reason = Renderer().reason({"code": f"date_{e.code}", **e.params}, output_lang())
            option = param.opts[0] if param is not None and param.opts else ""
            click.echo(f"{option}: {reason}" if option else reason, err=True)
            raise SystemExit(1) from None


DATE = DateText()


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def fail(text: str) -> None:
    click.echo(text, err=True)
    sys.exit(1)
