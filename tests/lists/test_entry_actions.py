"""The actions on an entry's page: each works for who may take it, and is refused — 403 or
a form error, nothing changed — for anyone else, and for bad input."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from antifraud.models import AuditEvent, Dispute, Indicator
from antifraud.services.registry import dispute_open, indicator_withdraw
from tests.lists.conftest import signed_in

pytestmark = pytest.mark.django_db


def post(user, name: str, pk: int, data: dict | None = None):
    return signed_in(user).post(reverse(name, args=[pk]), data or {})


def audited(entry: Indicator, action: str) -> bool:
    return AuditEvent.objects.filter(target_id=str(entry.pk), action=action).exists()


def unchanged(entry: Indicator) -> bool:
    """The entry is as it was: nothing written to it or its trail by the refused action."""
    fresh = Indicator.objects.get(pk=entry.pk)
    fields = ("list", "revoked_at", "promoted_at", "quarantined_at", "expires_at", "disputes")
    return all(getattr(fresh, f) == getattr(entry, f) for f in fields)


ACTIONS = [
    ("list-entry-dispute", "in_force"),
    ("list-entry-promote", "awaiting"),
    ("list-entry-revoke", "in_force"),
    ("list-entry-release", "quarantined"),
]


@pytest.mark.parametrize(("name", "entry"), ACTIONS)
def test_actions_are_posts(staff, entries, name, entry):
    response = signed_in(staff["hub.senior"]).get(reverse(name, args=[entries[entry].pk]))
    assert response.status_code == 405


@pytest.mark.parametrize(("name", "entry"), ACTIONS)
def test_actions_send_anonymous_visitors_to_sign_in(client, entries, name, entry):
    response = client.post(reverse(name, args=[entries[entry].pk]), {"reason": "x", "note": "x"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")


# --- dispute ----------------------------------------------------------------------------


def test_a_moderator_disputes_another_partners_entry(staff, entries):
    entry = entries["in_force"]
    client = signed_in(staff["krisha.moderator"])
    url = reverse("list-entry-dispute", args=[entry.pk])
    response = client.post(url, {"reason": "Наш клиент."})
    assert response.status_code == 302
    assert response["Location"] == reverse("list-entry", args=[entry.pk])
    dispute = Dispute.objects.get(indicator=entry)
    assert (dispute.partner.slug, dispute.status, dispute.reason) == (
        "krisha",
        "open",
        "Наш клиент.",
    )
    assert audited(entry, "indicator.disputed")
    assert "Your dispute is recorded" in client.get(response["Location"]).content.decode()


def test_the_dispute_form_is_shown_to_who_may_dispute(staff, entries):
    url = reverse("list-entry", args=[entries["in_force"].pk])
    assert signed_in(staff["krisha.moderator"]).get(url).context["forms"]["dispute"] is not None
    # Kolesa proposed it: its staff withdraw it, they do not dispute it.
    assert signed_in(staff["kolesa.moderator"]).get(url).context["forms"]["dispute"] is None
    # Supervisors read; an entry out of force is not disputed.
    assert signed_in(staff["hub.supervisor"]).get(url).context["forms"]["dispute"] is None
    ended = reverse("list-entry", args=[entries["revoked"].pk])
    assert signed_in(staff["hub.moderator"]).get(ended).context["forms"]["dispute"] is None


def test_an_empty_reason_is_a_form_error(staff, entries):
    entry = entries["in_force"]
    response = post(staff["krisha.moderator"], "list-entry-dispute", entry.pk, {"reason": "  "})
    assert response.status_code == 422
    assert response.context["forms"]["dispute"].errors["reason"]
    assert not Dispute.objects.filter(indicator=entry).exists()


def test_a_refusal_of_the_service_is_a_form_error(staff, entries):
    entry = entries["in_force"]
    response = post(staff["kolesa.moderator"], "list-entry-dispute", entry.pk, {"reason": "Ошибка"})
    assert response.status_code == 409
    assert "withdraw it instead" in response.content.decode()
    assert not Dispute.objects.filter(indicator=entry).exists() and unchanged(entry)


def test_a_supervisor_may_not_dispute(staff, entries):
    entry = entries["in_force"]
    response = post(staff["hub.supervisor"], "list-entry-dispute", entry.pk, {"reason": "Ошибка"})
    assert response.status_code == 403
    assert not Dispute.objects.filter(indicator=entry).exists()


def test_an_entry_another_partner_may_not_see_is_not_found(staff, entries):
    response = post(
        staff["krisha.senior"], "list-entry-revoke", entries["expired"].pk, {"reason": "x"}
    )
    assert response.status_code == 404


# --- promote ----------------------------------------------------------------------------


def test_a_senior_of_another_partner_promotes(staff, entries):
    entry = entries["awaiting"]
    page = signed_in(staff["krisha.senior"]).get(reverse("list-entry", args=[entry.pk]))
    assert page.context["forms"]["promote"] is not None
    response = post(
        staff["krisha.senior"], "list-entry-promote", entry.pk, {"note": "Два банка подтвердили."}
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.list == Indicator.List.BLACK and entry.promoted_by == staff["krisha.senior"]
    assert entry.expires_at is None
    assert audited(entry, "indicator.promoted")


@pytest.mark.parametrize("name", ["kolesa.senior", "kolesa.moderator", "hub.moderator"])
def test_promotion_is_refused_to_the_proposers_seniors_and_to_moderators(staff, entries, name):
    entry = entries["awaiting"]
    page = signed_in(staff[name]).get(reverse("list-entry", args=[entry.pk]))
    assert page.context["forms"]["promote"] is None
    response = post(staff[name], "list-entry-promote", entry.pk, {"note": "Повышаю."})
    assert response.status_code == 403
    assert unchanged(entry) and not audited(entry, "indicator.promoted")


def test_promotion_without_a_note_changes_nothing(staff, entries):
    entry = entries["awaiting"]
    response = post(staff["hub.senior"], "list-entry-promote", entry.pk, {"note": ""})
    assert response.status_code == 422
    assert response.context["forms"]["promote"].errors["note"]
    assert unchanged(entry)


def test_an_entry_without_the_quorum_is_not_promoted(staff, entries):
    entry = entries["in_force"]
    response = post(staff["hub.senior"], "list-entry-promote", entry.pk, {"note": "Повышаю."})
    assert response.status_code == 409
    assert "lacks the support" in response.content.decode()
    assert unchanged(entry)


# --- revoke -----------------------------------------------------------------------------


def test_a_senior_revokes_and_clears_a_wrong_entry(staff, entries):
    entry = entries["in_force"]
    response = post(
        staff["kolesa.senior"],
        "list-entry-revoke",
        entry.pk,
        {"reason": "Ошибочная запись.", "wrong": "on"},
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.ended == Indicator.End.REVOKED and entry.revoked_by == staff["kolesa.senior"]
    assert Indicator.objects.active().get(value=entry.value).list == Indicator.List.CLEARED
    assert audited(entry, "indicator.revoked")
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == ["The entry is revoked, and the value is on the cleared list."]


def test_a_moderator_may_not_revoke(staff, entries):
    entry = entries["in_force"]
    page = signed_in(staff["kolesa.moderator"]).get(reverse("list-entry", args=[entry.pk]))
    assert page.context["forms"]["revoke"] is None
    response = post(staff["kolesa.moderator"], "list-entry-revoke", entry.pk, {"reason": "Ошибка"})
    assert response.status_code == 403
    assert unchanged(entry)


def test_revocation_without_a_reason_changes_nothing(staff, entries):
    entry = entries["in_force"]
    response = post(
        staff["hub.senior"], "list-entry-revoke", entry.pk, {"reason": "", "wrong": "on"}
    )
    assert response.status_code == 422
    assert response.context["forms"]["revoke"].errors["reason"]
    assert unchanged(entry)
    assert not Indicator.objects.filter(value=entry.value, list="cleared").exists()


# --- release ----------------------------------------------------------------------------


def test_a_senior_releases_a_quarantined_entry(staff, entries):
    entry = entries["quarantined"]
    page = signed_in(staff["hub.senior"]).get(reverse("list-entry", args=[entry.pk]))
    assert page.context["forms"]["release"] is not None
    response = post(
        staff["hub.senior"], "list-entry-release", entry.pk, {"note": "Рассылка банка, не атака."}
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.quarantined_at is None
    assert audited(entry, "indicator.released")


def test_release_without_a_note_or_by_a_moderator_changes_nothing(staff, entries):
    entry = entries["quarantined"]
    assert (
        post(staff["hub.senior"], "list-entry-release", entry.pk, {"note": ""}).status_code == 422
    )
    assert (
        post(staff["hub.moderator"], "list-entry-release", entry.pk, {"note": "x"}).status_code
        == 403
    )
    assert unchanged(entry)


def test_releasing_an_entry_not_in_quarantine_is_a_form_error(staff, entries):
    entry = entries["in_force"]
    response = post(staff["hub.senior"], "list-entry-release", entry.pk, {"note": "Выпускаю."})
    assert response.status_code == 409
    assert "not in quarantine" in response.content.decode()


# --- resolve a dispute -----------------------------------------------------------------


def resolve(user, dispute: Dispute, **data):
    fields = {f"dispute-{dispute.pk}-{key}": value for key, value in data.items()}
    return signed_in(user).post(reverse("list-dispute-resolve", args=[dispute.pk]), fields)


def test_a_senior_who_did_not_list_it_upholds_the_entry(staff, entries):
    entry = entries["disputed"]
    dispute = Dispute.objects.get(indicator=entry)
    page = signed_in(staff["hub.senior"]).get(reverse("list-entry", args=[entry.pk]))
    [(_shown, form)] = page.context["disputes"]
    assert form is not None
    response = resolve(
        staff["hub.senior"], dispute, outcome="uphold", resolution="Доказательства есть."
    )
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert (dispute.status, dispute.reviewer) == (Dispute.Status.UPHELD, staff["hub.senior"])
    assert Indicator.objects.get(pk=entry.pk).is_in_force()
    assert audited(entry, "indicator.dispute_resolved")


def test_resolving_by_revoking_puts_a_wrong_value_on_the_cleared_list(staff, entries):
    entry = entries["disputed"]
    dispute = Dispute.objects.get(indicator=entry)
    response = resolve(
        staff["krisha.senior"],
        dispute,
        outcome="revoke",
        resolution="Проверенный продавец.",
        wrong="on",
    )
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.REVOKED
    assert not Indicator.objects.get(pk=entry.pk).is_in_force()
    assert Indicator.objects.active().get(value=entry.value).list == Indicator.List.CLEARED


def test_the_proposers_senior_may_not_resolve_a_dispute_of_its_entry(staff, entries):
    entry = entries["disputed"]
    dispute = Dispute.objects.get(indicator=entry)
    page = signed_in(staff["kolesa.senior"]).get(reverse("list-entry", args=[entry.pk]))
    assert [form for _d, form in page.context["disputes"]] == [None]
    response = resolve(staff["kolesa.senior"], dispute, outcome="revoke", resolution="Снимаю.")
    assert response.status_code == 403
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.OPEN and unchanged(entry)


def test_a_moderator_may_not_resolve(staff, entries):
    dispute = Dispute.objects.get(indicator=entries["disputed"])
    response = resolve(staff["hub.moderator"], dispute, outcome="uphold", resolution="Оставляю.")
    assert response.status_code == 403
    assert Dispute.objects.get(pk=dispute.pk).status == Dispute.Status.OPEN


def test_resolving_without_a_resolution_changes_nothing(staff, entries):
    entry = entries["disputed"]
    dispute = Dispute.objects.get(indicator=entry)
    response = resolve(staff["hub.senior"], dispute, outcome="revoke", resolution="")
    assert response.status_code == 422
    [(_shown, form)] = response.context["disputes"]
    assert form.errors["resolution"]
    assert Dispute.objects.get(pk=dispute.pk).status == Dispute.Status.OPEN and unchanged(entry)


def test_a_dispute_resolved_already_is_a_form_error(staff, entries):
    dispute = Dispute.objects.get(indicator=entries["disputed"])
    assert (
        resolve(staff["hub.senior"], dispute, outcome="uphold", resolution="Да.").status_code == 302
    )
    response = resolve(staff["krisha.senior"], dispute, outcome="revoke", resolution="Нет.")
    assert response.status_code == 409
    assert "already resolved" in response.content.decode()
    assert Dispute.objects.get(pk=dispute.pk).status == Dispute.Status.UPHELD


def test_a_dispute_of_an_entry_out_of_sight_is_not_found(staff, entries, kolesa):
    entry = entries["in_force"]
    dispute = dispute_open(actor=staff["hub.moderator"], indicator_id=entry.pk, reason="Спорно.")
    # Withdrawn by Kolesa, the entry is out of force: Krisha's staff no longer see it.
    indicator_withdraw(partner=kolesa, indicator_id=entry.pk)
    response = resolve(staff["krisha.senior"], dispute, outcome="uphold", resolution="Да.")
    assert response.status_code == 404
    missing = signed_in(staff["hub.senior"]).post(reverse("list-dispute-resolve", args=[10**9]))
    assert missing.status_code == 404
