"""Partners' API keys: created and shown once, stored hashed, revoked; from the service, the
management command and the admin."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.crypto import api_key_hash
from accounts.models import ApiKey
from accounts.roles import Role
from antifraud.errors import DomainError, InvalidInput, NotAllowed, NotFound
from antifraud.models import AuditEvent
from antifraud.services.keys import KEY_PATTERN, api_key_create, api_key_revoke
from tests.api.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_key_is_random_shown_once_and_stored_hashed(kolesa):
    api_key, key = api_key_create(actor=None, partner=kolesa, name="backend")
    assert KEY_PATTERN.fullmatch(key)
    assert key.startswith(f"afk_{api_key.prefix}_")
    stored = ApiKey.objects.get()
    assert stored.key_hash == api_key_hash(key)
    assert key not in {getattr(stored, f.attname) for f in ApiKey._meta.concrete_fields}
    assert not AuditEvent.objects.filter(payload__icontains=key.split("_", 2)[2]).exists()
    other = api_key_create(actor=None, partner=kolesa, name="backend")[1]
    assert other != key and len(set(key[17:]) | set(other[17:])) > 20
    event = AuditEvent.objects.filter(action="api_key.created").first()
    assert event.payload == {"partner": "kolesa", "prefix": api_key.prefix, "name": "backend"}


@pytest.mark.parametrize(
    ("name", "code"), [("", "name_required"), ("  ", "name_required"), ("x" * 101, "name_too_long")]
)
def test_a_key_needs_a_name(kolesa, name, code):
    with pytest.raises(InvalidInput) as refused:
        api_key_create(actor=None, partner=kolesa, name=name)
    assert refused.value.code == code
    assert not ApiKey.objects.exists()


def test_revoking(kolesa):
    moderator = UserFactory(partner=None, is_staff=True, role=Role.ADMIN)
    api_key, key = api_key_create(actor=moderator, partner=kolesa, name="old system")
    assert client_for(key).get("/api/v1/events/").status_code == 200
    revoked = api_key_revoke(actor=moderator, prefix=api_key.prefix)
    assert revoked.revoked_at is not None
    assert client_for(key).get("/api/v1/events/").status_code == 401
    event = AuditEvent.objects.get(action="api_key.revoked")
    assert event.actor == moderator
    with pytest.raises(DomainError) as again:
        api_key_revoke(actor=moderator, prefix=api_key.prefix)
    assert again.value.code == "key_already_revoked"
    with pytest.raises(NotFound):
        api_key_revoke(actor=moderator, prefix="000000000000")


# --- the management command ---------------------------------------------------------------


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("partner_key", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_create_prints_the_key_once(kolesa):
    out, err = run("create", "kolesa", "--name", "billing")
    key = out.strip()
    assert KEY_PATTERN.fullmatch(key)
    api_key = ApiKey.objects.get()
    assert (api_key.partner, api_key.name, api_key.created_by) == (kolesa, "billing", None)
    assert api_key.key_hash == api_key_hash(key)
    assert key not in err and api_key.prefix in err
    assert client_for(key).get("/api/v1/events/").status_code == 200


def test_command_create_names_the_key_by_date(kolesa):
    run("create", "kolesa")
    assert ApiKey.objects.get().name.startswith("created on ")


def test_command_list_and_revoke(kolesa, krisha):
    key_a = run("create", "kolesa", "--name", "first")[0].strip()
    run("create", "kolesa", "--name", "second")
    run("create", "krisha", "--name", "theirs")
    prefix_a = KEY_PATTERN.fullmatch(key_a)["prefix"]
    out, _ = run("revoke", prefix_a)
    assert prefix_a in out and "Kolesa.kz" in out
    listing, _ = run("list", "kolesa")
    lines = listing.splitlines()
    assert lines[0].split() == ["prefix", "name", "created", "last", "used", "revoked"]
    assert len(lines) == 3
    assert "theirs" not in listing
    revoked_line = next(line for line in lines if line.startswith(prefix_a))
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d\s*$", revoked_line)  # the revocation time
    assert client_for(key_a).get("/api/v1/events/").status_code == 401


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("create", "nobody"), "no partner with slug 'nobody'"),
        (("list", "nobody"), "no partner with slug 'nobody'"),
        (("revoke", "ffffffffffff"), "no API key with prefix"),
        (("create", "kolesa", "--name", "x" * 101), "at most 100 characters"),
    ],
)
def test_command_errors_are_one_line(kolesa, args, message):
    with pytest.raises(CommandError) as error:
        run(*args)
    assert message in str(error.value)
    assert "\n" not in str(error.value)
    assert not ApiKey.objects.exists()


def test_command_revoking_twice(kolesa):
    key = run("create", "kolesa")[0].strip()
    prefix = KEY_PATTERN.fullmatch(key)["prefix"]
    run("revoke", prefix)
    with pytest.raises(CommandError, match="already revoked"):
        run("revoke", prefix)


def test_command_without_an_action_exits_non_zero(db):
    with pytest.raises(CommandError):
        call_command("partner_key")


# --- the admin ----------------------------------------------------------------------------


@pytest.fixture
def hub_admin(db):
    return UserFactory(username="hub.root", partner=None, is_staff=True, is_superuser=True)


def test_keys_are_made_only_by_administrators_of_the_partner(kolesa, krisha):
    for actor in (
        UserFactory(partner=kolesa, role=Role.SUPERVISOR),
        UserFactory(partner=krisha, role=Role.ADMIN),
    ):
        with pytest.raises(NotAllowed):
            api_key_create(actor=actor, partner=kolesa, name="not theirs")
    own = UserFactory(partner=kolesa, role=Role.ADMIN)
    api_key, _key = api_key_create(actor=own, partner=kolesa, name="ours")
    with pytest.raises(NotFound):  # another partner's key is not even found
        api_key_revoke(actor=UserFactory(partner=krisha, role=Role.ADMIN), prefix=api_key.prefix)
    assert ApiKey.objects.get().revoked_at is None


def test_admin_creates_a_key_and_shows_it_once(client, hub_admin, kolesa):
    client.force_login(hub_admin)
    url = reverse("admin:accounts_partner_changelist")
    response = client.post(url, {"action": "create_api_key", "_selected_action": [kolesa.pk]})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert not list(response.context["messages"])  # never kept in a message or session
    key = re.search(r"afk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", response.content.decode())[0]
    api_key = ApiKey.objects.get()
    assert api_key.key_hash == api_key_hash(key)
    assert api_key.created_by == hub_admin
    assert "hub.root" in api_key.name
    # Shown once: the next page has no message, and the key is nowhere on it.
    page = client.get(url)
    assert key not in page.content.decode()
    assert client_for(key).get("/api/v1/events/").status_code == 200


def test_admin_revokes_keys(client, hub_admin, kolesa):
    active, key = api_key_create(actor=None, partner=kolesa, name="a")
    done, _ = api_key_create(actor=None, partner=kolesa, name="b")
    api_key_revoke(actor=None, prefix=done.prefix)
    client.force_login(hub_admin)
    url = reverse("admin:accounts_apikey_changelist")
    response = client.post(
        url, {"action": "revoke", "_selected_action": [active.pk, done.pk]}, follow=True
    )
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["Revoked 1 key. 1 was already revoked."]
    active.refresh_from_db()
    assert active.revoked_at is not None
    assert AuditEvent.objects.filter(action="api_key.revoked", actor=hub_admin).count() == 1
    assert client_for(key).get("/api/v1/events/").status_code == 401


def test_a_second_revocation_says_when_on_the_almaty_clock(kolesa):
    api_key, _ = api_key_create(actor=None, partner=kolesa, name="a")
    api_key_revoke(actor=None, prefix=api_key.prefix)
    # 20:30 UTC is 01:30 the next day in Almaty.
    ApiKey.objects.filter(pk=api_key.pk).update(
        revoked_at=datetime(2026, 12, 3, 20, 30, tzinfo=UTC)
    )
    with pytest.raises(DomainError, match="already revoked on 2026-12-04 01:30"):
        api_key_revoke(actor=None, prefix=api_key.prefix)


def test_admin_revocation_counts_in_plurals(client, hub_admin, kolesa):
    keys = [api_key_create(actor=None, partner=kolesa, name=n)[0] for n in "abcd"]
    for done in keys[2:]:
        api_key_revoke(actor=None, prefix=done.prefix)
    client.force_login(hub_admin)
    url = reverse("admin:accounts_apikey_changelist")
    selected = [k.pk for k in keys]
    response = client.post(url, {"action": "revoke", "_selected_action": selected}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Revoked 2 keys. 2 were already revoked."
    ]


def test_api_keys_stay_read_only_in_the_admin(client, hub_admin, kolesa):
    api_key, _ = api_key_create(actor=None, partner=kolesa, name="a")
    client.force_login(hub_admin)
    assert client.get(reverse("admin:accounts_apikey_add")).status_code == 403
    page = client.get(reverse("admin:accounts_apikey_change", args=[api_key.pk]))
    assert page.status_code == 200
    assert api_key.key_hash not in page.content.decode()
    changelist = client.get(reverse("admin:accounts_apikey_changelist")).content.decode()
    assert 'value="revoke"' in changelist and 'value="delete_selected"' not in changelist


def test_staff_without_the_permission_get_neither_action(client, kolesa):
    from django.contrib.auth.models import Permission

    clerk = UserFactory(username="clerk", partner=None, is_staff=True)
    clerk.user_permissions.add(
        Permission.objects.get(codename="view_partner"),
        Permission.objects.get(codename="view_apikey"),
    )
    client.force_login(clerk)
    partners = client.get(reverse("admin:accounts_partner_changelist")).content.decode()
    keys = client.get(reverse("admin:accounts_apikey_changelist")).content.decode()
    assert 'value="create_api_key"' not in partners
    assert 'value="revoke"' not in keys
    response = client.post(
        reverse("admin:accounts_partner_changelist"),
        {"action": "create_api_key", "_selected_action": [kolesa.pk]},
    )
    assert response.status_code in (200, 302)
    assert not ApiKey.objects.exists()
