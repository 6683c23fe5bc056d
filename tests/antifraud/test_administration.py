"""Administration: staff accounts and roles, partner records and their webhook secrets change
only through services that check the access policy and audit old and new values; the admin
and the commands call those services; a rotated secret signs alongside the old one for the
overlap."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from accounts.models import Partner, User
from accounts.roles import Role
from antifraud.audit import audit_chain_extend, audit_chain_verify
from antifraud.delivery import delivery_attempt, webhook_body, webhook_headers
from antifraud.errors import InvalidInput, NotAllowed, NotFound
from antifraud.models import AuditEvent, Delivery
from antifraud.partner_stub import PartnerStub
from antifraud.services import outbox_write
from antifraud.services.partners import (
    partner_create,
    partner_update,
    partner_webhook_secret_retire_previous,
    partner_webhook_secret_rotate,
    webhook_secret_new,
)
from antifraud.services.staff import staff_create, staff_password_set, staff_update
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


@pytest.fixture
def hub_admin(db) -> User:
    return UserFactory(username="hub.admin", partner=None, role=Role.ADMIN, is_staff=True)


@pytest.fixture
def kolesa_admin(kolesa) -> User:
    return UserFactory(username="kolesa.admin", partner=kolesa, role=Role.ADMIN)


# --- staff ------------------------------------------------------------------------------


def test_a_role_change_is_audited_with_old_and_new_values(kolesa, kolesa_admin, moderator):
    before = moderator.language
    staff_update(
        actor=kolesa_admin,
        user_id=moderator.pk,
        changes={"roles": ["senior_moderator"], "language": "kk", "first_name": "Айгерим"},
    )
    moderator = User.objects.get(pk=moderator.pk)
    assert moderator.has_perm("reviews.review_appeal")
    [event] = events("staff.updated")
    assert event.actor == kolesa_admin
    assert event.target_id == str(moderator.pk)
    assert event.payload["changes"] == {
        "roles": {"old": ["moderator"], "new": ["senior_moderator"]},
        "language": {"old": before, "new": "kk"},
        "first_name": {"old": "", "new": "Айгерим"},
    }
    # Nothing changed: nothing written.
    staff_update(actor=kolesa_admin, user_id=moderator.pk, changes={"language": "kk"})
    assert len(events("staff.updated")) == 1
    assert audit_chain_extend() >= 1 and audit_chain_verify() >= 1


def test_staff_changes_that_are_refused_change_nothing(kolesa, krisha, kolesa_admin, moderator):
    before = moderator.language
    krisha_admin = UserFactory(partner=krisha, role=Role.ADMIN)
    cases = [
        # another partner's staff are not even found
        (krisha_admin, moderator.pk, {"roles": ["admin"]}, NotFound),
        # a moderator cannot change staff
        (moderator, kolesa_admin.pk, {"language": "en"}, NotAllowed),
        # nobody changes their own roles or switches themselves off
        (kolesa_admin, kolesa_admin.pk, {"roles": ["moderator"]}, NotAllowed),
        (kolesa_admin, kolesa_admin.pk, {"is_active": False}, NotAllowed),
        # admin-site access and moving between partners are for the hub
        (kolesa_admin, moderator.pk, {"is_staff": True}, NotAllowed),
        (kolesa_admin, moderator.pk, {"partner": krisha}, NotAllowed),
        # bad values
        (kolesa_admin, moderator.pk, {"roles": ["owner"]}, InvalidInput),
        (kolesa_admin, moderator.pk, {"language": "fr"}, InvalidInput),
        (kolesa_admin, moderator.pk, {"is_superuser": True}, InvalidInput),
    ]
    for actor, user_id, changes, error in cases:
        with pytest.raises(error):
            staff_update(actor=actor, user_id=user_id, changes=changes)
    moderator.refresh_from_db()
    assert sorted(moderator.groups.values_list("name", flat=True)) == ["moderator"]
    assert (moderator.partner, moderator.is_staff, moderator.language) == (kolesa, False, before)
    assert not events("staff.updated")


def test_creating_staff(kolesa, krisha, kolesa_admin, hub_admin):
    user = staff_create(
        actor=kolesa_admin,
        username="kolesa.moderator9",
        partner=kolesa,
        roles=["moderator"],
        password="a-long-enough-password-2026",
    )
    assert user.check_password("a-long-enough-password-2026")
    assert user.has_perm("reviews.claim_case")
    [event] = events("staff.created")
    assert event.payload["roles"] == ["moderator"]
    assert "a-long-enough" not in str(event.payload)
    with pytest.raises(NotAllowed):  # another partner's staff
        staff_create(actor=kolesa_admin, username="x", partner=krisha)
    with pytest.raises(NotAllowed):  # only the shell makes superusers
        staff_create(actor=hub_admin, username="root2", partner=None, is_superuser=True)
    with pytest.raises(InvalidInput, match="taken"):
        staff_create(actor=hub_admin, username="kolesa.moderator9", partner=kolesa)
    with pytest.raises(InvalidInput, match=r"short|common"):
        staff_create(actor=hub_admin, username="weak", partner=kolesa, password="12345")
    assert not User.objects.filter(username__in=["x", "root2", "weak"]).exists()
    assert len(events("staff.created")) == 1


def test_passwords_are_checked_and_audited_without_the_password(kolesa_admin, moderator):
    staff_password_set(actor=moderator, user_id=moderator.pk, password="my-own-new-passphrase")
    with pytest.raises(InvalidInput):
        staff_password_set(actor=moderator, user_id=moderator.pk, password="password")
    with pytest.raises(NotAllowed):  # a moderator sets only their own
        staff_password_set(actor=moderator, user_id=kolesa_admin.pk, password="x" * 20)
    staff_password_set(actor=kolesa_admin, user_id=moderator.pk, password=None)
    moderator.refresh_from_db()
    assert not moderator.has_usable_password()
    actions = [e.action for e in AuditEvent.objects.order_by("pk")]
    assert actions == ["staff.password_set", "staff.password_disabled"]
    assert "passphrase" not in str(list(AuditEvent.objects.values_list("payload", flat=True)))


# --- partners ---------------------------------------------------------------------------


def test_partner_records_are_the_hubs_and_audited(hub_admin, kolesa_admin):
    partner = partner_create(
        actor=hub_admin,
        name="Beeline KZ",
        slug="beeline",
        kind="telecom",
        website="https://beeline.kz",
    )
    partner_update(
        actor=hub_admin,
        partner_id=partner.pk,
        changes={"webhook_url": "https://hooks.beeline.kz/antifraud", "name": "Beeline"},
    )
    [created] = events("partner.created")
    assert created.payload["kind"] == "telecom"
    [updated] = events("partner.updated")
    assert updated.payload["changes"] == {
        "webhook_url": {"old": "", "new": "https://hooks.beeline.kz/antifraud"},
        "name": {"old": "Beeline KZ", "new": "Beeline"},
    }
    with pytest.raises(NotAllowed):
        partner_update(actor=kolesa_admin, partner_id=partner.pk, changes={"is_active": False})
    with pytest.raises(InvalidInput, match="webhook_url"):
        partner_update(actor=hub_admin, partner_id=partner.pk, changes={"webhook_url": "ftp://x"})
    with pytest.raises(InvalidInput, match="cannot be changed"):
        partner_update(actor=hub_admin, partner_id=partner.pk, changes={"slug": "other"})
    with pytest.raises(InvalidInput, match="categories"):
        partner_update(actor=hub_admin, partner_id=partner.pk, changes={"categories": ["guns"]})
    partner.refresh_from_db()
    assert (partner.name, partner.slug, partner.is_active) == ("Beeline", "beeline", True)
    assert len(events("partner.updated")) == 1


def test_a_rotated_secret_signs_alongside_the_old_one_until_the_overlap_ends(kolesa, hub_admin):
    old = webhook_secret_new()
    partner_webhook_secret_rotate(actor=None, partner_id=kolesa.pk, secret=old)
    now = timezone.now()
    partner, new = partner_webhook_secret_rotate(
        actor=hub_admin, partner_id=kolesa.pk, overlap=timedelta(hours=24), now=now
    )
    assert new.startswith("whsec_") and new != old
    body = webhook_body({"type": "subject.blocked", "data": {}})
    during = webhook_headers(
        secret=partner.webhook_signing_secrets(now), webhook_id="msg_1", body=body, at=now
    )
    assert during["webhook-signature"].count("v1,") == 2
    # A receiver still holding the old secret and one already holding the new both accept.
    Webhook(old).verify(body, during)
    Webhook(new).verify(body, during)

    later = now + timedelta(hours=25)
    assert partner.webhook_signing_secrets(later) == [new]
    after = webhook_headers(
        secret=partner.webhook_signing_secrets(later), webhook_id="msg_2", body=body, at=now
    )
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(body, after)
    [rotated] = events("partner.webhook_secret_rotated")
    assert rotated.actor == hub_admin
    assert old not in str(rotated.payload) and new not in str(rotated.payload)


def test_retiring_the_old_secret_ends_the_overlap_for_real_deliveries(kolesa):
    old = webhook_secret_new()
    stub = PartnerStub(secret=old).start()
    try:
        Partner.objects.filter(pk=kolesa.pk).update(webhook_url=stub.url)
        partner_webhook_secret_rotate(actor=None, partner_id=kolesa.pk, secret=old)
        partner_webhook_secret_rotate(actor=None, partner_id=kolesa.pk)  # 24 h of overlap
        first, second = (
            outbox_write(event_type=Delivery.EventType.SUBJECT_BLOCKED, at=timezone.now())[0]
            for _ in range(2)
        )
        # The partner has not switched yet: its receiver verifies with the old secret.
        assert delivery_attempt(delivery_id=first.pk) == "delivered"
        partner_webhook_secret_retire_previous(actor=None, partner_id=kolesa.pk)
        assert delivery_attempt(delivery_id=second.pk) == "retrying"
        assert stub.accepted_ids() == [first.webhook_id]
    finally:
        stub.stop()
    with pytest.raises(Exception, match="no previous secret"):
        partner_webhook_secret_retire_previous(actor=None, partner_id=kolesa.pk)


def test_a_secret_must_be_a_standard_webhooks_secret(kolesa):
    for bad in ("whsec_short", "not-a-secret", "whsec_" + "!" * 40):
        with pytest.raises(InvalidInput):
            partner_webhook_secret_rotate(actor=None, partner_id=kolesa.pk, secret=bad)
    kolesa.refresh_from_db()
    assert not kolesa.webhook_secret_encrypted


# --- the command ------------------------------------------------------------------------


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("partner_secret", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_prints_a_new_secret_once(kolesa):
    out, _ = run("status", "kolesa")
    assert "no webhook secret" in out
    first, err = run("rotate", "kolesa")
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/=]{40,}\n", first)
    assert "shown only now" in err
    second, err = run("rotate", "kolesa", "--overlap-hours", "2")
    assert second != first and "also signs until" in err
    out, _ = run("status", "kolesa")
    assert "previous secret also signs until" in out and "whsec_" not in out
    out, _ = run("retire", "kolesa")
    assert "current secret only" in out
    kolesa.refresh_from_db()
    assert kolesa.webhook_secret == second.strip()
    with pytest.raises(CommandError, match="no partner with slug 'nope'"):
        run("rotate", "nope")
    with pytest.raises(CommandError, match="no previous secret"):
        run("retire", "kolesa")
    with pytest.raises(CommandError, match="0 to 720"):
        run("rotate", "kolesa", "--overlap-hours", "-1")
    assert [e.actor_label for e in events("partner.webhook_secret_rotated")] == ["system"]


# --- the admin --------------------------------------------------------------------------


@pytest.fixture
def hub_root(db) -> User:
    return UserFactory(username="hub.root", partner=None, is_staff=True, is_superuser=True)


def test_the_admin_changes_roles_through_the_service(client, hub_root, moderator):
    client.force_login(hub_root)
    url = reverse("admin:accounts_user_change", args=[moderator.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(roles=["senior_moderator", "moderator"], is_active="on")
    data.pop("is_staff", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    moderator.refresh_from_db()
    assert set(moderator.groups.values_list("name", flat=True)) == {
        "moderator",
        "senior_moderator",
    }
    [event] = events("staff.updated")
    assert event.actor == hub_root
    assert event.payload["changes"]["roles"]["new"] == ["moderator", "senior_moderator"]


def test_the_admin_shows_a_refusal_and_changes_nothing(client, hub_root, kolesa):
    from django.contrib.admin.models import LogEntry

    client.force_login(hub_root)
    url = reverse("admin:accounts_partner_change", args=[kolesa.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data["categories"] = '["cars"]'
    # The form takes any URL; the service takes only http(s) for webhooks.
    response = client.post(url, {**data, "webhook_url": "ftp://hooks.example.kz/in"}, follow=True)
    assert response.status_code == 200
    assert any("http" in str(m) for m in response.context["messages"])
    kolesa.refresh_from_db()
    assert kolesa.webhook_url == ""
    assert not events("partner.updated")
    assert not LogEntry.objects.exists()


def test_own_roles_and_activity_are_not_offered_in_the_admin(client, hub_root):
    client.force_login(hub_root)
    form = (
        client.get(reverse("admin:accounts_user_change", args=[hub_root.pk]))
        .context["adminform"]
        .form
    )
    assert form.fields["roles"].disabled and form.fields["is_active"].disabled
    assert not form.fields["first_name"].disabled


def test_the_admin_adds_a_partner_and_rotates_its_secret(client, hub_root):
    client.force_login(hub_root)
    response = client.post(
        reverse("admin:accounts_partner_add"),
        {"name": "Halyk Bank", "slug": "halyk", "kind": "bank", "categories": "[]"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    partner = Partner.objects.get(slug="halyk")
    [created] = events("partner.created")
    assert created.actor == hub_root
    response = client.post(
        reverse("admin:accounts_partner_changelist"),
        {"action": "rotate_webhook_secret", "_selected_action": [partner.pk]},
    )
    assert response.status_code == 200
    secret = re.search(r"whsec_[A-Za-z0-9+/=]+", response.content.decode())[0]
    partner.refresh_from_db()
    assert partner.webhook_secret == secret
    assert not [m for m in response.context["messages"] if "whsec_" in str(m)]
    assert events("partner.webhook_secret_set")[0].actor == hub_root
    # Partners are never deleted from the admin.
    assert (
        client.get(reverse("admin:accounts_partner_delete", args=[partner.pk])).status_code == 403
    )


def test_the_admin_password_change_goes_through_the_service(client, hub_root):
    client.force_login(hub_root)
    response = client.post(
        reverse("admin:password_change"),
        {
            "old_password": "a-long-test-password",
            "new_password1": "another-long-passphrase-7",
            "new_password2": "another-long-passphrase-7",
        },
    )
    assert response.status_code == 302
    hub_root.refresh_from_db()
    assert hub_root.check_password("another-long-passphrase-7")
    [event] = events("staff.password_set")
    assert event.payload == {"own": True}


def test_roles_are_read_only_in_the_admin(client, hub_root):
    client.force_login(hub_root)
    group = Group.objects.get(name="moderator")
    assert client.get(reverse("admin:auth_group_changelist")).status_code == 200
    assert client.get(reverse("admin:auth_group_add")).status_code == 403
    response = client.post(reverse("admin:auth_group_change", args=[group.pk]), {"name": "renamed"})
    assert response.status_code == 403
    assert Group.objects.filter(name="moderator").exists()
