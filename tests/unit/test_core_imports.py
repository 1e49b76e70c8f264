"""The core (bot/) stays free of I/O frameworks; only the composition root may see both sides."""

from __future__ import annotations

import ast
from pathlib import Path

FORBIDDEN = {"slack_bolt", "slack_sdk", "aiosmtpd", "smtplib", "aiohttp", "tinydb", "jinja2"}
ROOT = Path(__file__).resolve().parents[2]
WIRING = {"bootstrap.py", "cli.py"}  # the composition root and the command line


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def core_modules() -> list[Path]:
    return [p for p in sorted((ROOT / "bot").rglob("*.py")) if p.name not in WIRING]  # packages too (bot/dates/)


def test_core_imports_no_frameworks_or_adapters():
    offenders = {p.relative_to(ROOT).as_posix(): sorted(imported(p) & (FORBIDDEN | {"handlers", "store"}))
                 for p in core_modules()}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_walk_sees_the_core():
    walked = {p.relative_to(ROOT / "bot").as_posix() for p in core_modules()}
    assert {"conversation.py", "service.py", "fields.py", "dates/__init__.py", "dates/english.py"} <= walked
    assert "tinydb" in imported(ROOT / "store" / "tiny.py")  # the walker does find imports
