"""The lists page: who may read it, the filters (every state), the search in any writing,
what a partner's staff see, and a query count that does not grow with the page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from antifraud.models import Indicator
from tests.factories import UserFactory
from tests.lists.conftest import CARD, propose, signed_in

pytestmark = pytest.mark.django_db


def listed(client, **query) -> list[Indicator]:
    response = client.get(reverse("lists"), query)
    assert response.status_code == 200
    return [row.indicator for row in response.context["rows"]]


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("lists"))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_staff_without_the_permission_get_403(kolesa):
    nobody = UserFactory(username="no.role", partner=kolesa)
    assert signed_in(nobody).get(reverse("lists")).status_code == 403


def test_posting_to_the_page_is_refused(staff):
    assert signed_in(staff["hub.moderator"]).post(reverse("lists")).status_code == 405


def test_hub_staff_see_every_entry_newest_first(staff, entries):
    shown = listed(signed_in(staff["hub.moderator"]))
    assert set(shown) == set(entries.values())
    assert [e.listed_at for e in shown] == sorted((e.listed_at for e in shown), reverse=True)


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("in_force", {"in_force", "awaiting", "disputed", "card"}),
        ("awaiting_promotion", {"awaiting"}),
        ("disputed", {"disputed"}),
        ("quarantined", {"quarantined"}),
        ("expired", {"expired", "krisha_expired"}),
        ("ended", {"withdrawn", "revoked"}),
    ],
)
def test_the_state_filter_finds_each_state(staff, entries, state, expected):
    shown = listed(signed_in(staff["hub.moderator"]), state=state)
    assert set(shown) == {entries[name] for name in expected}


def test_each_row_shows_its_state(staff, entries):
    response = signed_in(staff["hub.moderator"]).get(reverse("lists"))
    states = {row.indicator: row.state for row in response.context["rows"]}
    assert states[entries["awaiting"]] == Indicator.State.AWAITING_PROMOTION
    assert states[entries["quarantined"]] == Indicator.State.QUARANTINED
    assert states[entries["expired"]] == Indicator.State.EXPIRED
    assert states[entries["revoked"]] == Indicator.State.ENDED
    assert "Awaiting promotion" in response.content.decode()


def test_filters_by_kind_list_scheme_partner_and_dates(staff, entries, krisha, halyk):
    client = signed_in(staff["hub.moderator"])
    assert listed(client, kind="card") == [entries["card"]]
    assert listed(client, scheme="prepaid_delivery") == [entries["awaiting"]]
    assert listed(client, partner="krisha") == [entries["krisha_expired"]]
    assert entries["in_force"] in listed(client, list="gray")
    assert listed(client, list="black") == []
    today = timezone.localdate()
    recent = listed(client, listed_from=(today - timedelta(days=1)).isoformat())
    assert entries["expired"] not in recent and entries["in_force"] in recent
    old = listed(client, listed_to=(today - timedelta(days=2)).isoformat())
    assert set(old) == {entries["expired"], entries["krisha_expired"]}


def test_a_bad_filter_is_a_form_error_and_lists_nothing(staff, entries):
    response = signed_in(staff["hub.moderator"]).get(
        reverse("lists"), {"state": "nonsense", "listed_to": "9999-12-31"}
    )
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert response.context["filter"].errors.keys() == {"state", "listed_to"}


def test_search_finds_a_phone_in_any_writing(staff, entries):
    client = signed_in(staff["hub.moderator"])
    assert listed(client, q="8 (701) 555-01-01") == [entries["in_force"]]
    assert listed(client, q="+7 701 555 0101") == [entries["in_force"]]
    # Part of what the entry shows, or of its value.
    assert listed(client, q="555 0101") == [entries["in_force"]]
    assert listed(client, q="5550101") == [entries["in_force"]]


def test_search_finds_a_card_by_its_digits_and_never_shows_its_digest(staff, entries):
    response = signed_in(staff["hub.moderator"]).get(reverse("lists"), {"q": CARD.replace(" ", "")})
    assert [row.indicator for row in response.context["rows"]] == [entries["card"]]
    page = response.content.decode()
    assert "•••• 1111" in page
    assert entries["card"].value not in page
    assert entries["card"].value[:12] not in page


def test_search_finds_an_email_and_an_iban_as_partners_write_them(staff, kolesa):
    email = propose(kolesa, "Fraud.Seller@Mail.kz", kind="email")
    iban = propose(kolesa, "KZ86125KZT5004100100", kind="iban")
    client = signed_in(staff["hub.moderator"])
    assert listed(client, q="  fraud.seller@mail.kz\u200b ") == [email]
    assert listed(client, q="kz86 125k zt50 0410 0100") == [iban]


def test_partner_staff_see_their_own_proposals_and_every_entry_in_force(staff, entries):
    shown = set(listed(signed_in(staff["krisha.moderator"])))
    in_force = {entries[n] for n in ("in_force", "awaiting", "disputed", "quarantined", "card")}
    assert shown == in_force | {entries["krisha_expired"]}
    assert entries["expired"] not in shown  # Kolesa's, out of force
    kolesa_sees = set(listed(signed_in(staff["kolesa.moderator"])))
    assert entries["expired"] in kolesa_sees and entries["krisha_expired"] not in kolesa_sees


def test_senior_moderators_see_what_waits_for_them(staff, entries):
    response = signed_in(staff["hub.senior"]).get(reverse("lists"))
    counts = response.context["to_review"]
    assert (counts.awaiting_promotion, counts.disputed, counts.quarantined) == (1, 1, 1)
    assert "?state=awaiting_promotion" in response.content.decode()
    # Moderators do not review entries: no such section.
    assert signed_in(staff["hub.moderator"]).get(reverse("lists")).context["to_review"] is None


def test_the_nav_links_the_page_for_who_may_read_it(staff, kolesa):
    assert reverse("lists") in signed_in(staff["kolesa.moderator"]).get("/").content.decode()
    nobody = UserFactory(username="no.role", partner=kolesa)
    assert reverse("lists") not in signed_in(nobody).get(reverse("login")).content.decode()


def test_partner_text_is_escaped(staff, kolesa):
    propose(kolesa, "+77015550199", reason="<script>alert(1)</script>")
    entry = Indicator.objects.get(value="+77015550199")
    page = signed_in(staff["hub.moderator"]).get(reverse("list-entry", args=[entry.pk]))
    assert "<script>alert(1)</script>" not in page.content.decode()
    assert "&lt;script&gt;" in page.content.decode()


def test_queries_do_not_grow_with_the_page(staff, kolesa, krisha, django_assert_max_num_queries):
    client = signed_in(staff["hub.senior"])
    for n in range(5):
        propose(kolesa if n % 2 else krisha, f"+7701555{n:04d}")
    client.get(reverse("lists"))
    with django_assert_max_num_queries(20) as few:
        response = client.get(reverse("lists"))
    assert len(response.context["rows"]) == 5
    for n in range(5, 30):
        propose(kolesa if n % 2 else krisha, f"+7701555{n:04d}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("lists"), {"q": "701", "state": "in_force"})
    assert len(response.context["rows"]) == 30
