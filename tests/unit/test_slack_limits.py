"""Slack's Block Kit limits are named once, in handlers/slack/limits.py (issue 9 item 6)."""

import ast
from pathlib import Path

from handlers.slack import limits

SLACK = Path(__file__).resolve().parents[2] / "handlers" / "slack"


def test_no_slack_module_repeats_a_block_kit_limit_as_a_bare_number():
    named = {value for name, value in vars(limits).items() if name.isupper()}
    assert {3000, 2000, 150, 50, 25} <= named
    found = []
    for path in sorted(SLACK.glob("*.py")):
        if path.name == "limits.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and type(node.value) is int and node.value in named:
                found.append(f"{path.name}:{node.lineno}: {node.value}")
    assert found == []
