"""The core (bot/) stays free of I/O frameworks; only the composition root may see both sides."""

from __future__ import annotations

import ast
from pathlib import Path

FORBIDDEN = {"slack_bolt", "slack_sdk", "aiosmtpd", "smtplib", "aiohttp", "tinydb", "jinja2", "psycopg"}
ROOT = Path(__file__).resolve().parents[2]


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def core_modules() -> list[Path]:
    return sorted((ROOT / "bot").rglob("*.py"))


def test_core_imports_no_frameworks_or_adapters():
    offenders = {str(p.relative_to(ROOT)): sorted(imported(p) & (FORBIDDEN | {"handlers", "store"}))
                 for p in core_modules()}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_walk_sees_the_core():
    walked = {p.relative_to(ROOT / "bot").as_posix() for p in core_modules()}
    assert {"conversation.py", "service/drafting.py", "intents.py", "dates/__init__.py", "dates/english.py"} <= walked
    assert "tinydb" in imported(ROOT / "store" / "tiny" / "apps.py")  # the walker does find imports


def words_sent(path: Path) -> list[str]:
    """String literals an adapter hands to the core as if a person had typed them."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in {"handle", "read"}:
            args = [*node.args, *(k.value for k in node.keywords if k.arg == "text")]
            found += [a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return found


def test_no_adapter_sends_a_keyword_to_the_core():
    sent = {str(p.relative_to(ROOT)): words_sent(p) for p in sorted((ROOT / "handlers").rglob("*.py"))}
    assert {k: v for k, v in sent.items() if v} == {}
    assert "そのまま" in words_sent(ROOT / "tests" / "unit" / "test_conversation.py")  # the walk finds them
