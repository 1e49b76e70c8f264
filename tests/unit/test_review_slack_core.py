"""Core support for Slack buttons: a click answers only the question it was posted with."""

from __future__ import annotations

import pytest

from bot.commands import ChooseOption
from bot.service import Person
from bot.vocabulary import Mode


def click(service, person, option, *, app_id, field, mode=Mode.ASK, key=None):
    """A button press: the option it carries, for the question it was posted with."""
    outcome = service.dispatch(ChooseOption(person=person, key=key, app_id=app_id, field=field,
                                            mode=mode, option=option))
    return None if outcome.stale else outcome


@pytest.fixture
def slack_person() -> Person:
    return Person(key="slack:U1", channel="slack", address="U1")


def test_a_click_on_the_current_question_is_handled_like_typed_text(service, slack_person, store):
    app = service.start(slack_person).app
    [asked] = store.pending_outbox()  # the first question, from a record that is no application yet
    assert asked["app_id"] == app.id and store.get(app.id)["state"] == "contact"
    outcome = click(service, slack_person, "non_life", app_id=asked["app_id"], field="industry", key="a1")
    assert outcome is not None and outcome.app.answers["industry"] == "non_life"
    assert outcome.app.id == app.id and store.get(app.id)["state"] == "draft"  # the same record, now one
    assert outcome.replies[-1].field == "company_name"
    again = click(service, slack_person, "non_life", app_id=app.id, field="company_name", key="a1")
    assert again is not None and again.duplicate  # the same click, delivered twice


def test_a_click_on_an_earlier_question_is_refused(service, slack_person):
    app = service.start(slack_person).app
    service.handle(slack_person, "損害保険会社")
    assert click(service, slack_person, "other", app_id=app.id, field="industry") is None
    assert service.load(app.id).answers == {"industry": "non_life"}
    assert click(service, slack_person, "yes", app_id=app.id, field=None,
                 mode=Mode.CONFIRM_CANCEL) is None  # nothing asked to confirm


def test_a_click_in_another_mode_or_by_someone_else_is_refused(service, slack_person):
    app = service.start(slack_person).app
    service.handle(slack_person, "損害保険会社")
    service.handle(slack_person, "修正")
    stranger = Person(key="slack:U2", channel="slack", address="U2")
    assert click(service, stranger, "industry", app_id=app.id, field=None, mode=Mode.PICK_FIELD) is None
    assert click(service, slack_person, "x", app_id=app.id, field="company_name") is None
    picked = click(service, slack_person, "industry", app_id=app.id, field=None, mode=Mode.PICK_FIELD)
    assert picked is not None and picked.replies[-1].field == "industry"


def test_a_click_for_a_closed_or_unknown_application_is_refused(service, slack_person):
    app = service.start(slack_person).app
    service.handle(slack_person, "その他")  # ends the draft
    assert click(service, slack_person, "non_life", app_id=app.id, field="industry") is None
    assert click(service, slack_person, "non_life", app_id="nope", field="industry") is None
