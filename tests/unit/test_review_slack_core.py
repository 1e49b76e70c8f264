"""Core support for Slack buttons: a click answers only the question it was posted with."""

from __future__ import annotations

import pytest

from bot.service import Person


@pytest.fixture
def slack_person() -> Person:
    return Person(key="slack:U1", channel="slack", address="U1")


def test_a_click_on_the_current_question_is_handled_like_typed_text(service, slack_person):
    app = service.start(slack_person).app
    outcome = service.handle_if_asking(slack_person, "1", app_id=app.id, field="industry", key="a1")
    assert outcome is not None and outcome.app.answers["industry"] == "non_life"
    assert outcome.replies[-1].field == "company_name"
    again = service.handle_if_asking(slack_person, "1", app_id=app.id, field="company_name", key="a1")
    assert again is not None and again.duplicate  # the same click, delivered twice


def test_a_click_on_an_earlier_question_is_refused(service, slack_person):
    app = service.start(slack_person).app
    service.handle(slack_person, "損害保険会社")
    assert service.handle_if_asking(slack_person, "2", app_id=app.id, field="industry") is None
    assert service.load(app.id).answers == {"industry": "non_life"}
    assert service.handle_if_asking(slack_person, "はい", app_id=app.id, field=None,
                                    mode="confirm_cancel") is None  # nothing asked to confirm


def test_a_click_in_another_mode_or_by_someone_else_is_refused(service, slack_person):
    app = service.start(slack_person).app
    service.handle(slack_person, "損害保険会社")
    service.handle(slack_person, "修正")
    stranger = Person(key="slack:U2", channel="slack", address="U2")
    assert service.handle_if_asking(stranger, "industry", app_id=app.id, field=None, mode="pick_field") is None
    assert service.handle_if_asking(slack_person, "x", app_id=app.id, field="company_name") is None
    picked = service.handle_if_asking(slack_person, "industry", app_id=app.id, field=None, mode="pick_field")
    assert picked is not None and picked.replies[-1].field == "industry"


def test_a_click_for_a_closed_or_unknown_application_is_refused(service, slack_person):
    app = service.start(slack_person).app
    service.handle(slack_person, "その他")  # ends the draft
    assert service.handle_if_asking(slack_person, "1", app_id=app.id, field="industry") is None
    assert service.handle_if_asking(slack_person, "1", app_id="nope", field="industry") is None
