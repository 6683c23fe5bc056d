"""The detection rules page: anonymous, wrong role, supervisors read it with figures,
administrators change a rule through it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from antifraud.detection import rules
from antifraud.detection.base import settings_of
from antifraud.models import AuditEvent, DetectionRule, Signal
from reviews.models import Case, Decision, Policy
from tests.factories import CaseFactory, SignalFactory, SubjectFactory, UserFactory

pytestmark = pytest.mark.django_db

RULE = "lists.match"
PAGE = "/detection/rules/"
CHANGE = f"/detection/rules/{RULE}/"


@pytest.fixture
def supervisor(kolesa):
    return UserFactory(username="kolesa.supervisor", partner=kolesa, role=Role.SUPERVISOR)


@pytest.fixture
def admin(kolesa):
    return UserFactory(username="hub.admin", partner=None, role=Role.ADMIN)


class Cases:
    def __init__(self, partner) -> None:
        self.partner = partner
        self.moderator = UserFactory(partner=partner, role=Role.MODERATOR)
        self.policy = Policy.objects.get(code="fake-contacts", is_current=True)

    def make(self, action: str | None, *, shadow: bool = False, days_ago: int = 3) -> Case:
        subject = SubjectFactory(partner=self.partner, kind="account")
        case = CaseFactory(subject=subject, opened_at=timezone.now() - timedelta(days=days_ago))
        case.signals.add(
            SignalFactory(
                subject=subject,
                source=Signal.Source.LIST_MATCH,
                rule=RULE,
                rule_version=1,
                shadow=shadow,
            )
        )
        if action:
            Decision.objects.create(
                case=case,
                subject=subject,
                action=action,
                policy=self.policy,
                statement_of_reasons="Телефон в чёрном списке.",
                decided_by=self.moderator,
                decided_at=case.opened_at + timedelta(hours=1),
            )
        return case


@pytest.fixture
def cases(kolesa, krisha) -> Cases:
    made = Cases(kolesa)
    made.make("block_account")
    made.make("block_account")
    made.make("clear", shadow=True)
    made.make(None)
    made.make("block_account", days_ago=200)  # before the default 90 days
    Cases(krisha).make("clear")  # another partner's
    return made


def form_data(mode: str = "live", **thresholds: str) -> dict[str, str]:
    values = {"black_score": "90", "gray_score": "60"} | thresholds
    return {f"{RULE}-mode": mode} | {f"{RULE}-threshold-{k}": v for k, v in values.items()}


def test_the_addresses():
    assert reverse("detection-rules") == PAGE
    assert reverse("detection-rule-change", args=[RULE]) == CHANGE


def test_anonymous_is_sent_to_sign_in(client):
    for response in (client.get(PAGE), client.post(CHANGE, form_data("off"))):
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert not DetectionRule.objects.exists()


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.SENIOR_MODERATOR])
def test_moderators_are_forbidden(client, kolesa, role):
    client.force_login(UserFactory(partner=kolesa, role=role))
    assert client.get(PAGE).status_code == 403
    assert client.post(CHANGE, form_data("off")).status_code == 403
    assert not DetectionRule.objects.exists()


def test_a_supervisor_reads_every_rule_with_its_figures(client, supervisor, cases):
    client.force_login(supervisor)
    response = client.get(PAGE)

    assert response.status_code == 200
    rows = {row.rule.code: row for row in response.context["rows"]}
    assert set(rows) == {rule.code for rule in rules()}
    row = rows[RULE]
    assert (row.setting.mode, row.setting.version) == ("live", 1)
    figures = row.figures
    # Kolesa's cases of the last 90 days: two blocked, one cleared, one undecided.
    assert (figures.cases, figures.live_cases, figures.shadow_cases) == (4, 3, 1)
    assert figures.decided == 3
    assert (figures.blocked.count, figures.blocked.of) == (2, 3)
    assert (figures.cleared.count, figures.cleared.of) == (1, 3)
    assert (figures.overturned.count, figures.overturned.of) == (0, 2)
    assert row.form is None

    page = response.content.decode()
    assert "On the black or gray list" in page and "black_score" in page
    assert "Only the cases of Kolesa.kz are counted." in page
    assert "67%" in page  # two of three decided cases blocked
    assert CHANGE not in page  # no change form for supervisors
    assert client.post(CHANGE, form_data("off")).status_code == 403


def test_the_period_is_chosen_with_dates(client, supervisor, cases):
    client.force_login(supervisor)
    today = timezone.localdate()
    response = client.get(PAGE, {"since": (today - timedelta(days=365)).isoformat()})
    [row] = [r for r in response.context["rows"] if r.rule.code == RULE]
    assert row.figures.cases == 5

    response = client.get(PAGE, {"since": today.isoformat(), "until": today.isoformat()})
    [row] = [r for r in response.context["rows"] if r.rule.code == RULE]
    assert row.figures is None
    assert "No case in the period." in response.content.decode()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"since": "2026-13-45"}, "since"),
        ({"until": "yesterday"}, "until"),
        ({"since": "2026-12-01", "until": "2026-11-01"}, "until"),
        ({"since": "0001-01-01"}, "since"),
        ({"until": "9999-12-31"}, "until"),
    ],
)
def test_bad_dates_are_a_form_error(client, supervisor, cases, query, field):
    client.force_login(supervisor)
    response = client.get(PAGE, query)
    assert response.status_code == 200
    assert field in response.context["period"].errors
    assert all(row.figures is None for row in response.context["rows"])
    assert "Correct the period to see the figures." in response.content.decode()


def test_an_admin_changes_a_rule_through_the_form(client, admin, cases):
    client.force_login(admin)
    page = client.get(PAGE).content.decode()
    assert f'action="{CHANGE}"' in page and "csrfmiddlewaretoken" in page

    since = (timezone.localdate() - timedelta(days=30)).isoformat()
    until = timezone.localdate().isoformat()
    response = client.post(
        CHANGE, form_data("shadow", gray_score="55.5") | {"since": since, "until": until}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{PAGE}?since={since}&until={until}#rule-{RULE}"
    setting = settings_of(rules())[RULE]
    assert (setting.mode, setting.version) == ("shadow", 2)
    assert setting.thresholds == {"black_score": 90.0, "gray_score": 55.5}
    [event] = AuditEvent.objects.filter(action="detection_rule.changed")
    assert event.actor == admin and event.payload["new"]["mode"] == "shadow"

    shown = client.get(response["Location"]).content.decode()
    assert "lists.match is now Shadow (stored, not counted), version 2." in shown

    again = client.post(CHANGE, form_data("shadow", gray_score="55.5"), follow=True)
    assert "lists.match: nothing changed." in again.content.decode()
    assert DetectionRule.objects.get(code=RULE).version == 2


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (form_data("live", black_score="-1"), "must be a finite number, zero or more"),
        (form_data("live", black_score="lots"), "Enter a number."),
        (form_data("live", gray_score=""), "This field is required."),
        (form_data("sometimes"), "Select a valid choice."),
    ],
)
def test_bad_input_is_shown_on_the_form(client, admin, cases, data, says):
    client.force_login(admin)
    response = client.post(CHANGE, data)

    assert response.status_code == 422
    [row] = [r for r in response.context["rows"] if r.rule.code == RULE]
    assert row.form is not None and not row.form.is_valid()
    assert says in response.content.decode()
    assert row.figures is not None  # the page is whole around the refused form
    assert not DetectionRule.objects.exists()
    assert not AuditEvent.objects.filter(action="detection_rule.changed").exists()


def test_an_unknown_rule_is_not_found(client, admin):
    client.force_login(admin)
    assert client.post("/detection/rules/prices.magic/", form_data("off")).status_code == 404
    assert client.get(CHANGE).status_code == 405


def test_the_form_needs_its_csrf_token(admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    assert client.post(CHANGE, form_data("off")).status_code == 403
    assert not DetectionRule.objects.exists()


def test_the_page_has_no_inline_script_or_style(client, admin, cases):
    client.force_login(admin)
    page = client.get(PAGE).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert "<style" not in page and " style=" not in page and " on" + "click=" not in page


def test_the_page_queries_do_not_grow_with_the_cases(
    client, admin, cases, django_assert_max_num_queries
):
    client.force_login(admin)
    client.get(PAGE)
    with django_assert_max_num_queries(12) as few:
        client.get(PAGE)
    for index in range(30):
        cases.make("block_account" if index % 2 else "clear", shadow=index % 3 == 0)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(PAGE)
    [row] = [r for r in response.context["rows"] if r.rule.code == RULE]
    assert row.figures.cases == 35  # the hub sees every partner's cases, Krisha's one too
