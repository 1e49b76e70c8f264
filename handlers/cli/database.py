"""``webnaccs-bot db migrate`` and ``db import DATA_DIR``: PostgreSQL for several replicas."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.config import Config
from handlers import bootstrap
from handlers.cli import main
from handlers.cli.common import LANG, lang_of
from handlers.render import Renderer


@main.group()
def db() -> None:
    """The PostgreSQL database of WEBNACCS_DATABASE_URL."""


def _url(language: str) -> str:
    url = Config.from_env(bootstrap.load_env()).database_url
    if not url:
        click.echo(Renderer().block("cli/db.j2", "no_url", language), err=True)
        sys.exit(1)
    return url


@db.command()
@LANG
def migrate(lang: str | None) -> None:
    """Apply the schema migrations this release ships (safe to run on every replica)."""
    import psycopg

    from store.postgres import SchemaMismatch, schema

    language = lang_of(lang)
    with psycopg.connect(_url(language), autocommit=True) as conn:
        try:
            applied = schema.migrate(conn)
        except SchemaMismatch as e:
            click.echo(Renderer().block("cli/db.j2", "refused", language, reason=str(e)), err=True)
            sys.exit(1)
    click.echo(Renderer().block("cli/db.j2", "migrated", language, applied=applied, version=schema.latest()))


@db.command(name="import")
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--into-non-empty", is_flag=True, help="Import beside applications already in the database.")
@LANG
def import_(data_dir: Path, into_non_empty: bool, lang: str | None) -> None:
    """Copy a TinyDB data directory into the (migrated) database; running it again adds nothing."""
    from store.postgres import PgStore, SchemaMismatch, importer

    language = lang_of(lang)
    try:
        target = PgStore(_url(language), pool_size=2)
        done = importer.run(data_dir, target, into_non_empty=into_non_empty)
    except (SchemaMismatch, importer.NotEmpty) as e:
        click.echo(Renderer().block("cli/db.j2", "refused", language, reason=str(e)), err=True)
        sys.exit(1)
    target.close()
    click.echo(Renderer().block("cli/db.j2", "imported", language, source=str(data_dir), done=done))
