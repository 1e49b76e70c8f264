"""Blocks without values are rendered once per process (handlers/render.py), and nothing else is kept."""

from __future__ import annotations

from handlers import render
from handlers.render import Renderer


def counting(renderer: Renderer, monkeypatch) -> list[tuple[str, str, str]]:
    calls: list[tuple[str, str, str]] = []
    real = renderer._block

    def block(name, block, lang, values):
        calls.append((name, block, lang))
        return real(name, block, lang, values)

    monkeypatch.setattr(renderer, "_block", block)
    return calls


def test_a_label_is_rendered_once_and_reads_the_same(monkeypatch):
    renderer = Renderer()
    calls = counting(renderer, monkeypatch)
    first = renderer.label("company_name", "ja")
    assert renderer.label("company_name", "ja") == first and first != "company_name"
    assert renderer.label("company_name", "en") != first
    assert calls == [("fields/company_name.j2", "label", "ja"), ("fields/company_name.j2", "label", "en")]


def test_a_block_with_values_is_rendered_every_time(monkeypatch):
    renderer = Renderer()
    calls = counting(renderer, monkeypatch)
    a = renderer.block("reasons.j2", "too_long", "ja", max=10, length=12)
    b = renderer.block("reasons.j2", "too_long", "ja", max=20, length=22)
    assert len(calls) == 2 and a != b and "10" in a and "20" in b


def test_what_is_kept_is_bounded(monkeypatch):
    monkeypatch.setattr(render, "PLAIN_BLOCKS", 1)
    renderer = Renderer()
    calls = counting(renderer, monkeypatch)
    for _ in range(2):
        renderer.label("company_name", "ja")
        renderer.label("office_name", "ja")
    assert calls.count(("fields/office_name.j2", "label", "ja")) == 2
    assert calls.count(("fields/company_name.j2", "label", "ja")) == 1
