"""An entry's page: who may see it, and everything it shows — supporters, disputes,
feedback, hits, the gray weight, the origin and, for who reads the audit trail, history."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.roles import Role
from antifraud.models import Feedback, Indicator
from antifraud.services.registry import feedback_record, indicator_revoke
from tests.factories import UserFactory
from tests.lists.conftest import propose, signed_in

pytestmark = pytest.mark.django_db


def page(user, entry: Indicator):
    return signed_in(user).get(reverse("list-entry", args=[entry.pk]))


def test_anonymous_is_sent_to_sign_in(client, entries):
    response = client.get(reverse("list-entry", args=[entries["in_force"].pk]))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_an_entry_out_of_force_is_not_found_for_another_partner(staff, entries):
    assert page(staff["krisha.moderator"], entries["expired"]).status_code == 404
    assert page(staff["kolesa.moderator"], entries["expired"]).status_code == 200
    assert page(staff["krisha.moderator"], entries["krisha_expired"]).status_code == 200
    assert page(staff["krisha.moderator"], entries["in_force"]).status_code == 200
    missing = reverse("list-entry", args=[10**9])
    assert signed_in(staff["hub.moderator"]).get(missing).status_code == 404


def test_shows_the_supporters_and_their_evidence(staff, entries):
    response = page(staff["hub.senior"], entries["awaiting"])
    assert response.status_code == 200
    detail = response.context["detail"]
    assert detail.supporters == 2
    assert {s.partner.slug for s in detail.supports} == {"kolesa", "halyk"}
    text = response.content.decode()
    assert "Halyk Bank" in text and "HB-2026-0042" in text and "450000" in text
    assert "Classifieds platform" in text
    assert "Awaiting promotion" in text


def test_partner_staff_see_only_their_own_partners_support(staff, entries):
    detail = page(staff["krisha.moderator"], entries["awaiting"]).context["detail"]
    assert detail.supports == [] and detail.supporters == 2
    detail = page(staff["kolesa.moderator"], entries["awaiting"]).context["detail"]
    assert [s.partner.slug for s in detail.supports] == ["kolesa"]


def test_shows_disputes(staff, entries):
    response = page(staff["hub.senior"], entries["disputed"])
    [dispute] = response.context["detail"].disputes
    assert dispute.partner.slug == "krisha"
    assert "Номер принадлежит нашему проверенному продавцу." in response.content.decode()
    # Kolesa's senior moderators may revoke Kolesa's entry, so they see who disputes it.
    assert page(staff["kolesa.senior"], entries["disputed"]).context["detail"].disputes
    # Kolesa's moderators do not: the dispute is Krisha's.
    assert page(staff["kolesa.moderator"], entries["disputed"]).context["detail"].disputes == []


def test_shows_feedback_and_its_totals(staff, entries, krisha, halyk):
    entry = entries["in_force"]
    feedback_record(
        partner=krisha, indicator_id=entry.pk, verdict=Feedback.Verdict.TRUE_POSITIVE, note="Да"
    )
    feedback_record(
        partner=halyk,
        indicator_id=entry.pk,
        verdict=Feedback.Verdict.FALSE_POSITIVE,
        note="Клиент банка, проверен.",
    )
    response = page(staff["hub.senior"], entry)
    detail = response.context["detail"]
    assert detail.feedback_totals == {"true_positive": 1, "false_positive": 1}
    assert len(detail.feedback) == 2
    assert "Клиент банка, проверен." in response.content.decode()


def test_shows_hits_the_quarantine_and_the_gray_weight(staff, entries):
    response = page(staff["hub.senior"], entries["quarantined"])
    detail = response.context["detail"]
    assert (detail.hits_recent, detail.hits_total) == (60, 60)
    assert detail.gray_weight == pytest.approx(1.0)
    assert "60 hits in a day" in response.content.decode()


def test_history_is_for_who_reads_the_audit_trail(staff, entries):
    entry = entries["revoked"]
    history = page(staff["hub.supervisor"], entry).context["detail"].history
    assert [e.action for e in history] == [
        "indicator.listed",
        "indicator.proposed",
        "indicator.revoked",
    ]
    text = page(staff["hub.supervisor"], entry).content.decode()
    assert 'id="history"' in text and "hub.senior" in text
    # Moderators never read the trail, the hub's senior moderators included.
    for name in ("kolesa.moderator", "hub.senior"):
        response = page(staff[name], entry)
        assert response.context["detail"].history is None
        assert 'id="history"' not in response.content.decode()


def test_a_partners_supervisor_reads_the_history_in_their_partners_trail(staff, entries, krisha):
    # Kolesa proposed the entry and the hub revoked it: both are in Kolesa's trail.
    history = page(staff["kolesa.supervisor"], entries["revoked"]).context["detail"].history
    assert [e.action for e in history] == [
        "indicator.listed",
        "indicator.proposed",
        "indicator.revoked",
    ]
    # Krisha's moderator disputed Kolesa's entry: that is Krisha's trail, not Kolesa's.
    disputed = entries["disputed"]
    kolesa_sees = page(staff["kolesa.supervisor"], disputed).context["detail"].history
    assert "indicator.disputed" not in [e.action for e in kolesa_sees]
    krisha_supervisor = UserFactory(
        username="krisha.supervisor", partner=krisha, role=Role.SUPERVISOR
    )
    krisha_sees = page(krisha_supervisor, disputed).context["detail"].history
    assert [e.action for e in krisha_sees] == ["indicator.disputed"]


def test_who_did_it_is_named_for_supervisors_only(staff, entries):
    entry = entries["revoked"]
    assert "hub.senior" in page(staff["hub.supervisor"], entry).content.decode()
    assert "hub.senior" not in page(staff["kolesa.moderator"], entry).content.decode()


def test_a_card_shows_its_last_digits_and_a_digest_prefix(staff, entries):
    card = entries["card"]
    text = page(staff["hub.moderator"], card).content.decode()
    assert "•••• 1111" in text
    assert card.value[:12] in text
    assert card.value not in text


def test_a_decision_entry_links_its_case_for_who_sees_the_case(blocked, staff):
    entry = blocked.listed_indicators.get()
    case_url = reverse("case", args=[blocked.case_id])
    assert case_url in page(staff["kolesa.moderator"], entry).content.decode()
    # Krisha's staff see the entry in force, not Kolesa's case.
    response = page(staff["krisha.moderator"], entry)
    assert response.status_code == 200 and case_url not in response.content.decode()


def test_a_revoked_wrong_entry_links_from_its_cleared_successor(staff, entries):
    indicator_revoke(
        actor=staff["hub.senior"], indicator_id=entries["in_force"].pk, reason="Ошибка", wrong=True
    )
    cleared = Indicator.objects.get(value=entries["in_force"].value, list="cleared")
    text = page(staff["hub.moderator"], cleared).content.decode()
    assert reverse("list-entry", args=[entries["in_force"].pk]) in text


def test_queries_do_not_grow_with_the_evidence(
    staff, entries, krisha, halyk, django_assert_max_num_queries
):
    entry = entries["in_force"]
    client = signed_in(staff["hub.supervisor"])
    url = reverse("list-entry", args=[entry.pk])
    client.get(url)
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    for partner in (krisha, halyk):
        feedback_record(partner=partner, indicator_id=entry.pk, verdict="true_positive")
    propose(halyk, "+77015550101", source="report", amount=10_000)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["detail"].supports) == 2
