"""The data migrations' content: the policy catalogue and the roles."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from antifraud.models import Scheme
from reviews.models import Policy

pytestmark = pytest.mark.django_db


def test_every_scheme_has_a_current_policy_in_english_and_russian():
    policies = Policy.objects.filter(is_current=True, version=1)
    covered = {p.scheme for p in policies}
    assert covered >= {s.value for s in Scheme}
    for policy in policies:
        assert policy.title_en and policy.title_ru, policy.code
        assert policy.text_en and policy.text_ru, policy.code
        for template in (policy.statement_en, policy.statement_ru):
            filled = template.format(title="Toyota Camry 70", partner="Kolesa.kz")
            assert "Toyota Camry 70" in filled and "Kolesa.kz" in filled, policy.code
            assert policy.code in filled or policy.code == "no-violation"


def test_russian_text_is_russian():
    policy = Policy.objects.get(code="fake-rental", is_current=True)
    assert any("а" <= ch <= "я" for ch in policy.text_ru.lower())
    assert policy.localized("title", "ru") == policy.title_ru
    # Kazakh falls back to Russian until the Kazakh text is written.
    assert policy.localized("title", "kk") == (policy.title_kk or policy.title_ru)


def test_clearing_has_its_own_policy_and_enforcing_policies_do_not_clear():
    no_violation = Policy.objects.get(code="no-violation", is_current=True)
    assert no_violation.allowed_actions == ["clear"]
    for policy in Policy.objects.exclude(code="no-violation"):
        assert not policy.allows("clear"), policy.code
        assert policy.allows("block_account") or policy.allows("remove_listing")


def _perms(role: str) -> set[str]:
    group = Group.objects.get(name=role)
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }


def test_roles_exist_with_their_permissions():
    moderator = _perms("moderator")
    senior = _perms("senior_moderator")
    supervisor = _perms("supervisor")
    admin = _perms("admin")
    assert "reviews.claim_case" in moderator
    assert "reviews.review_appeal" not in moderator
    assert "reviews.claim_escalated_case" not in moderator
    assert moderator < senior
    assert {
        "reviews.review_appeal",
        "reviews.claim_escalated_case",
        "reviews.approve_decision",
    } <= senior
    assert {
        "antifraud.export_audit",
        "antifraud.retry_delivery",
        "antifraud.view_auditevent",
    } <= supervisor
    assert "reviews.claim_case" not in supervisor
    assert moderator | senior | supervisor <= admin
    assert "accounts.change_partner" in admin
