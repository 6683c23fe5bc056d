"""The log of closed appeals: who may read it, whose appeals each reader sees, its filters
and links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reviews import services
from tests.oversight.logs_world import STATEMENT, signed_in

pytestmark = pytest.mark.django_db

URL = reverse("appeal-log")


def shown(user, query: str = "") -> list[int]:
    response = signed_in(user).get(URL + query)
    assert response.status_code == 200, response.status_code
    return [a.pk for a in response.context["page"].object_list]


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("kolesa.moderator", 403),
        ("kolesa.senior", 403),
        ("hub.senior", 403),
        ("kolesa.supervisor", 200),
        ("kolesa.admin", 200),
        ("krisha.supervisor", 200),
        ("hub.supervisor", 200),
    ],
)
def test_supervisors_and_administrators_read_it(logs, name, status):
    assert signed_in(logs.staff[name]).get(URL).status_code == status


def test_anonymous_is_sent_to_sign_in(client, logs):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_only_closed_appeals_each_partner_its_own(logs):
    a = logs.appeals
    # An appeal still waiting is not in the log.
    waiting = services.appeal_file(
        decision_id=logs.decisions["automated"].pk, statement=STATEMENT, consent=True
    )
    kolesa = shown(logs.staff["kolesa.supervisor"])
    assert set(kolesa) == {a["overturned"].pk, a["upheld"].pk}
    assert waiting.pk not in kolesa
    assert shown(logs.staff["krisha.supervisor"]) == [a["withdrawn"].pk]
    everyone = shown(logs.staff["hub.supervisor"])
    assert set(everyone) == {a["overturned"].pk, a["upheld"].pk, a["withdrawn"].pk}
    # The last closed first.
    assert everyone == [a["withdrawn"].pk, a["upheld"].pk, a["overturned"].pk]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?outcome=overturned", {"overturned"}),
        ("?outcome=upheld", {"upheld"}),
        ("?outcome=withdrawn", {"withdrawn"}),
        ("?reviewer=hub.senior", {"overturned"}),
        ("?reviewer=kolesa.senior", {"upheld"}),
        ("?policy=fake-rental", {"withdrawn"}),
        ("?partner=kolesa", {"overturned", "upheld"}),
        ("?partner=krisha&outcome=upheld", set()),
    ],
)
def test_filters(logs, query, expected):
    ids = {logs.appeals[name].pk for name in expected}
    assert set(shown(logs.staff["hub.supervisor"], query)) == ids


def test_date_range_is_over_when_the_appeal_closed(logs):
    supervisor = logs.staff["hub.supervisor"]
    today = timezone.localdate()
    assert len(shown(supervisor, f"?date_from={today}&date_to={today}")) == 3
    assert shown(supervisor, f"?date_to={today - timedelta(days=1)}") == []


def test_a_reviewer_of_another_partner_cannot_be_chosen(logs):
    response = signed_in(logs.staff["krisha.supervisor"]).get(URL + "?reviewer=kolesa.senior")
    assert "reviewer" in response.context["filter"].form.errors


def test_rows_link_to_the_appeal_the_case_and_the_story(logs):
    appeal = logs.appeals["upheld"]
    decision = appeal.decision
    text = signed_in(logs.staff["kolesa.supervisor"]).get(URL).content.decode()
    assert f'href="{reverse("appeal-review", args=[appeal.pk])}"' in text
    assert f'href="{reverse("case", args=[decision.case_id])}"' in text
    story = reverse("subject-story", kwargs={"subject_id": decision.subject_id})
    assert f'href="{story}"' in text
    # Supervisors see who decided and who reviewed.
    assert "kolesa.moderator" in text and "kolesa.senior" in text and "hub.senior" in text
