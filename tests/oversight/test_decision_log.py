"""The decision log: who may read it, whose decisions each reader sees, its filters, its
links and its cost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from antifraud.models import Subject
from tests.factories import listing_case
from tests.oversight.logs_world import decide, signed_in

pytestmark = pytest.mark.django_db

URL = reverse("decision-log")


def shown(user, query: str = "") -> list[int]:
    response = signed_in(user).get(URL + query)
    assert response.status_code == 200, response.status_code
    return [d.pk for d in response.context["page"].object_list]


def test_anonymous_is_sent_to_sign_in(client, logs):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("kolesa.moderator", 403),
        ("hub.moderator", 403),
        # Senior moderators review appeals without knowing who decided: not for them.
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


def test_each_partner_sees_its_own_decisions_and_the_hub_every_one(logs):
    d = logs.decisions
    kolesa = {d[k].pk for k in ("blocked", "removed", "cleared", "automated", "reversal")}
    assert set(shown(logs.staff["kolesa.supervisor"])) == kolesa
    assert shown(logs.staff["krisha.supervisor"]) == [d["foreign"].pk]
    hub = shown(logs.staff["hub.supervisor"])
    assert set(hub) == kolesa | {d["foreign"].pk}
    # Newest first.
    assert hub == sorted(hub, reverse=True)


def test_a_partner_filter_sent_by_partner_staff_changes_nothing(logs):
    supervisor = logs.staff["kolesa.supervisor"]
    response = signed_in(supervisor).get(URL + "?partner=krisha")
    assert "partner" not in response.context["filter"].form.fields
    assert logs.decisions["foreign"].pk not in shown(supervisor, "?partner=krisha")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?moderator=kolesa.moderator", {"blocked", "removed", "cleared"}),
        ("?moderator=hub.moderator", {"automated"}),
        ("?action=block_account", {"blocked", "foreign"}),
        ("?action=reverse", {"reversal"}),
        ("?policy=fake-photos", {"removed"}),
        ("?scheme=fake_rental", {"foreign"}),
        ("?partner=krisha", {"foreign"}),
        ("?automated=true", {"automated"}),
        ("?overturned=true", {"blocked"}),
        ("?overturned=true&partner=krisha", set()),
        ("?action=remove_listing&automated=false", {"removed"}),
    ],
)
def test_filters(logs, query, expected):
    ids = {logs.decisions[name].pk for name in expected}
    assert set(shown(logs.staff["hub.supervisor"], query)) == ids


def test_not_overturned_leaves_out_the_overturned(logs):
    ids = shown(logs.staff["hub.supervisor"], "?overturned=false")
    assert logs.decisions["blocked"].pk not in ids
    assert logs.decisions["removed"].pk in ids  # upheld


def test_date_range(logs):
    supervisor = logs.staff["hub.supervisor"]
    today = timezone.localdate()
    assert len(shown(supervisor, f"?date_from={today}&date_to={today}")) == 6
    yesterday = today - timedelta(days=1)
    assert shown(supervisor, f"?date_to={yesterday}") == []
    assert shown(supervisor, f"?date_from={today + timedelta(days=1)}") == []


@pytest.mark.parametrize(
    "query", ["?date_from=2026-12-05&date_to=2026-12-01", "?date_from=1000-01-01", "?action=x"]
)
def test_bad_filters_are_form_errors_and_list_nothing(logs, query):
    response = signed_in(logs.staff["hub.supervisor"]).get(URL + query)
    assert response.status_code == 200
    assert response.context["filter"].form.errors
    assert list(response.context["page"].object_list) == []


def test_rows_link_to_the_case_and_the_subjects_story(logs):
    decision = logs.decisions["removed"]
    text = signed_in(logs.staff["kolesa.supervisor"]).get(URL).content.decode()
    assert f'href="{reverse("case", args=[decision.case_id])}"' in text
    story = reverse("subject-story", kwargs={"subject_id": decision.subject_id})
    assert f'href="{story}"' in text
    assert "Overturned" in text  # the blocked decision, overturned on appeal
    assert "kolesa.moderator" in text and "hub.moderator" in text


def test_what_partners_wrote_is_escaped(logs):
    decision = logs.decisions["cleared"]
    Subject.objects.filter(pk=decision.subject_id).update(
        title='<script>alert("x")</script>', external_id="<img src=x onerror=alert(1)>"
    )
    text = signed_in(logs.staff["hub.supervisor"]).get(URL).content.decode()
    assert "<script>alert" not in text and "&lt;script&gt;" in text


def test_the_export_link_keeps_the_filters_and_is_for_who_may_export(logs):
    text = signed_in(logs.staff["kolesa.supervisor"]).get(URL + "?action=clear").content.decode()
    assert f'href="{reverse("decision-log-export")}?action=clear"' in text


def test_queries_do_not_grow_with_the_page(logs, kolesa, django_assert_max_num_queries):
    client = signed_in(logs.staff["hub.supervisor"])
    client.get(URL)
    with django_assert_max_num_queries(20) as few:
        client.get(URL)
    moderator = logs.staff["kolesa.moderator"]
    for n in range(30):
        decide(moderator, listing_case(kolesa).pk, "clear", "no-violation", f"Нарушений нет {n}.")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL)
    assert len(response.context["page"].object_list) == 36
