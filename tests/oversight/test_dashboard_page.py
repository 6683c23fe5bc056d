"""The dashboard page: who sees what (a partner's supervisor its partner only, a moderator
their own line only), the period and partner filters, escaping, charts with their tables,
and a number of queries that does not grow with the data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Partner, User
from accounts.roles import Role
from tests.factories import UserFactory
from tests.oversight.dashboard_world import FIRST_DAY, LAST_DAY, World, build_world, double

pytestmark = pytest.mark.django_db

PERIOD = {"since": FIRST_DAY.isoformat(), "until": LAST_DAY.isoformat()}


@pytest.fixture
def world(kolesa, krisha) -> World:
    return build_world(kolesa, krisha)


def page(user: User, **query: str):
    client = Client()
    client.force_login(user)
    response = client.get(reverse("oversight"), {**PERIOD, **query})
    assert response.status_code == 200
    return response


def test_signed_out_goes_to_sign_in_and_no_role_is_refused(kolesa):
    client = Client()
    response = client.get(reverse("oversight"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    client.force_login(UserFactory(partner=kolesa))
    assert client.get(reverse("oversight")).status_code == 403


def test_the_hubs_supervisor_sees_every_section_and_who_decided(world):
    response = page(world.users["hub_supervisor"])
    board = response.context["board"]
    assert response.context.get("own") is None
    assert [(t.label, t.count) for t in board.decisions.by_partner] == [
        ("Kolesa.kz", 4),
        ("Krisha.kz", 2),
    ]
    content = response.content.decode()
    for heading in (
        "Open cases",
        "Open appeals",
        "Cases opened and decisions per day",
        "Per moderator",
        "Detection rules",
        "In shadow mode or off",
        "The lists",
        "Look-ups",
        "Partners flagged for walking through the numbers",
        "Deliveries to partners",
    ):
        assert f">{heading}<" in content, heading
    for name in ("kolesa.a", "kolesa.b", "krisha.c", "Demo Bank KZ"):
        assert name in content
    # The hub chooses any partner, or all.
    assert [c[0] for c in response.context["form"].fields["partner"].choices] == [
        "",
        "demo-bank",
        "kolesa",
        "krisha",
    ]


def test_the_hub_narrows_to_one_partner(world):
    board = page(world.users["hub_supervisor"], partner="krisha").context["board"]
    assert [(t.label, t.count) for t in board.decisions.by_partner] == [("Krisha.kz", 2)]
    assert [line.name for line in board.moderators] == ["krisha.c"]
    assert [line.partner.slug for line in board.deliveries] == ["krisha"]
    assert board.lookups.lines == [] and board.lookups.alerts == []


@pytest.mark.parametrize(
    ("who", "own", "other", "colleagues", "strangers"),
    [
        ("kolesa_supervisor", "Kolesa.kz", "Krisha.kz", ["kolesa.a", "kolesa.b"], ["krisha.c"]),
        ("krisha_supervisor", "Krisha.kz", "Kolesa.kz", ["krisha.c"], ["kolesa.a", "kolesa.b"]),
    ],
)
def test_a_partners_supervisor_sees_its_own_partner_only(
    world, who, own, other, colleagues, strangers
):
    response = page(world.users[who])
    board = response.context["board"]
    assert [t.label for t in board.decisions.by_partner] == [own]
    assert [line.name for line in board.moderators] == colleagues
    assert [line.partner.name for line in board.deliveries] == [own]
    # No alert and no slowed partner: they are the hub's.
    assert not board.lookups.shows_alerts
    content = response.content.decode()
    for name in [other, "Demo Bank KZ", *strangers]:
        assert name not in content, name
    # Only its own partner to choose; another's is refused, and nothing is counted.
    assert [c[1] for c in response.context["form"].fields["partner"].choices] == [own]
    refused = page(world.users[who], partner="kolesa" if own == "Krisha.kz" else "krisha")
    assert refused.context["form"].errors and "board" not in refused.context


def test_a_moderator_sees_their_own_line_and_no_colleague(world):
    response = page(world.users["mod_a"])
    assert "board" not in response.context
    own = response.context["own"]
    assert own.line.name == "kolesa.a" and own.line.rates.decisions == 2
    content = response.content.decode()
    assert ">Your decisions<" in content
    for hidden in ("kolesa.b", "krisha.c", ">Open cases<", ">Per moderator<", ">Look-ups<"):
        assert hidden not in content, hidden


def test_a_moderator_without_decisions_in_the_period(world):
    hub_moderator = UserFactory(username="hub.mod", partner=None, role=Role.MODERATOR)
    response = page(hub_moderator)
    assert response.context["own"].line is None
    assert "No decision in the period." in response.content.decode()


def test_senior_moderators_see_their_own_line_too(world):
    response = page(world.users["senior"])
    assert "board" not in response.context and response.context["own"].line is None


def test_the_period_defaults_to_the_last_seven_local_days(world):
    client = Client()
    client.force_login(world.users["hub_supervisor"])
    form = client.get(reverse("oversight")).context["form"]
    today = timezone.localdate()
    assert form.cleaned_data["since"] == today - timedelta(days=6)
    assert form.cleaned_data["until"] == today
    assert form.cleaned_data["partner"] == ""


@pytest.mark.parametrize(
    "query",
    [
        {"since": "2026-11-08", "until": "2026-11-02"},
        {"since": "2025-01-01", "until": "2026-11-02"},
        {"since": "1999-12-31", "until": "2026-11-02"},
        {"since": "yesterday"},
        {"partner": "no-such-partner"},
    ],
)
def test_a_bad_period_or_partner_is_a_form_error(world, query):
    response = page(world.users["hub_supervisor"], **query)
    assert response.context["form"].errors and "board" not in response.context
    assert "Correct the period to see the figures." in response.content.decode()


def test_charts_are_inline_svg_with_their_numbers_in_tables(world):
    content = page(world.users["hub_supervisor"]).content.decode()
    assert content.count("<svg") == 3  # open cases per queue, the days, decisions by action
    assert content.count('role="img"') == 3
    assert "<script" not in content.split("<main", 1)[1]
    assert 'style="' not in content
    # The days' numbers, the queues' and the actions' are in tables too.
    assert "<td>Mon 02.11.2026</td>" in content
    assert ">Kolesa.kz · Listing</a>" in content
    assert "<td>Remove listing</td>" in content


def test_names_from_partners_are_escaped_everywhere(world, kolesa):
    Partner.objects.filter(pk=kolesa.pk).update(name="Kolesa<script>alert(1)</script>")
    content = page(world.users["hub_supervisor"]).content.decode()
    assert "<script>alert(1)" not in content
    assert "Kolesa&lt;script&gt;alert(1)&lt;/script&gt;" in content


def test_the_nav_links_to_the_dashboard_for_those_it_lets_in(world, kolesa):
    client = Client()
    for who in ("hub_supervisor", "kolesa_supervisor", "mod_a", "senior"):
        client.force_login(world.users[who])
        assert f'href="{reverse("oversight")}"' in client.get(reverse("home")).content.decode()
    client.force_login(UserFactory(partner=kolesa))
    assert f'href="{reverse("oversight")}"' not in client.get(reverse("login")).content.decode()


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    client.get(reverse("oversight"), PERIOD)  # the session's first reads, once
    return client


def test_the_page_queries_do_not_grow_with_the_data(world, django_assert_max_num_queries):
    supervisor = signed_in(world.users["hub_supervisor"])
    moderator = signed_in(world.users["mod_a"])
    with django_assert_max_num_queries(30) as few:
        supervisor.get(reverse("oversight"), PERIOD)
    with django_assert_max_num_queries(10) as own:
        moderator.get(reverse("oversight"), PERIOD)
    double(world)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = supervisor.get(reverse("oversight"), PERIOD)
    assert response.context["board"].decisions.total == 12
    assert len(response.context["board"].moderators) == 6
    with django_assert_max_num_queries(len(own.captured_queries)):
        response = moderator.get(reverse("oversight"), PERIOD)
    assert response.context["own"].line.rates.decisions == 2
