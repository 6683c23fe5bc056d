"""seed_demo at a tiny scale: what it writes, that a seed fixes it, that it refuses to
overwrite."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from accounts.models import ApiKey, Partner, User
from antifraud.audit import audit_chain_verify
from antifraud.models import (
    Corroboration,
    Delivery,
    Dispute,
    Feedback,
    Indicator,
    PhoneReassignment,
    Photo,
    Signal,
    Subject,
    SubjectIdentifier,
)
from reviews.models import Appeal, Case, Decision, Report

pytestmark = pytest.mark.django_db

SCALE = "0.01"


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", "--scale", SCALE, *args, stdout=out)
    return out.getvalue()


def fingerprint() -> list[tuple]:
    return list(
        Subject.objects.order_by("partner__slug", "kind", "external_id").values_list(
            "partner__slug", "kind", "external_id", "title", "price", "city", "status"
        )
    )


def test_seed_writes_the_demo_situation():
    output = seed("--seed", "7")
    assert set(Partner.objects.values_list("slug", "kind")) == {
        ("kolesa", "classifieds"),
        ("krisha", "classifieds"),
        ("olx", "classifieds"),
        ("demo-bank", "bank"),
        ("demo-telecom", "telecom"),
        ("demo-police", "law_enforcement"),
    }
    # Every role for every partner and for the hub.
    for org in ("kolesa", "krisha", "olx", "hub"):
        for role in ("moderator", "senior_moderator", "supervisor", "admin"):
            users = User.objects.filter(username__startswith=f"{org}.", groups__name=role)
            assert users.exists(), (org, role)
    assert User.objects.filter(username="hub.moderator1", partner=None).exists()
    assert User.objects.get(username="kolesa.moderator1").check_password("antifraud-demo-2026")

    blocked = Subject.objects.filter(kind="account", status="blocked").count()
    assert 40 <= blocked <= 50  # 5,000 × 0.01, less the overturned ones
    assert Case.objects.in_queue().count() == 70  # 7,000 × 0.01
    assert Decision.objects.filter(action="block_account").count() == 50
    assert Indicator.objects.active().filter(list="black").exists()
    assert Delivery.objects.filter(status="delivered").count() == Decision.objects.count() * 3
    assert set(Appeal.objects.values_list("status", flat=True)) == {
        "submitted",
        "in_review",
        "upheld",
        "overturned",
        "withdrawn",
    }
    assert Photo.objects.exclude(pdq_hash="").exists()
    assert SubjectIdentifier.objects.filter(value__startswith="+77").exists()
    # Listings in Russian and Kazakh, priced in tenge.
    languages = set(Subject.objects.filter(kind="listing").values_list("language", flat=True))
    assert languages == {"ru", "kk"}
    assert not Subject.objects.exclude(currency="KZT").exists()
    # Overturned appeals restored their subjects and revoked what the decision listed.
    for appeal in Appeal.objects.filter(status="overturned").select_related(
        "reversal", "decision__subject"
    ):
        assert appeal.reversal.reverses_id == appeal.decision_id
        assert appeal.decision.subject.status == "active"
        assert not appeal.decision.listed_indicators.filter(revoked_at__isnull=True).exists()
    # The trail is intact.
    assert audit_chain_verify() > 100
    assert "antifraud-demo-2026" in output
    assert "kolesa.moderator1" in output


def test_the_registry_has_entries_in_every_state_and_every_partner_a_key():
    output = seed("--seed", "7")
    bank = Partner.objects.get(slug="demo-bank")
    police = Partner.objects.get(slug="demo-police")
    # Reports of indicators alone, from the bank and the police, through intake.
    assert Report.objects.filter(partner=bank, subject__isnull=True).count() == 8
    assert Report.objects.filter(partner=police, subject__isnull=True).count() == 4
    kinds = set(
        Corroboration.objects.filter(partner=bank).values_list("indicator__kind", flat=True)
    )
    assert {"card", "iban", "phone"} <= kinds
    assert Corroboration.objects.filter(partner=police, indicator__kind="iin").exists()
    assert Signal.objects.filter(source="law_enforcement", partner=police).exists()
    # A platform's proposal the bank corroborated waits for a senior moderator, still gray.
    [waiting] = Indicator.objects.awaiting_promotion()
    assert waiting.list == "gray"
    assert set(waiting.supports.values_list("partner_kind", flat=True)) == {"classifieds", "bank"}
    assert Dispute.objects.filter(status="open").count() == 1
    assert Indicator.objects.in_state(Indicator.State.QUARANTINED).count() == 1
    assert Feedback.objects.filter(verdict="false_positive").exists()
    bank.refresh_from_db()
    assert bank.reliability < 1
    [reassigned] = PhoneReassignment.objects.all()
    assert reassigned.partner.slug == "demo-telecom"
    assert Indicator.objects.filter(
        kind="phone", value=reassigned.value, ended=Indicator.End.REASSIGNED
    ).exists()
    # A key for each partner, printed once.
    assert ApiKey.objects.count() == 6
    for slug in ("kolesa", "demo-bank", "demo-telecom", "demo-police"):
        assert re.search(rf"^  {slug}\s+afk_[0-9a-f]{{12}}_", output, re.MULTILINE), slug
    assert audit_chain_verify() > 100


def test_some_subjects_are_linked_across_partners():
    seed("--seed", "7")
    shared = (
        SubjectIdentifier.objects.filter(kind__in=["phone", "photo"])
        .values("kind", "value")
        .annotate(partners=Count("subject__partner", distinct=True))
        .filter(partners__gt=1)
    )
    assert shared.exists()


def test_the_same_seed_builds_the_same_demo():
    seed("--seed", "11")
    first = fingerprint()
    seed("--seed", "11", "--reset")
    assert fingerprint() == first
    seed("--seed", "12", "--reset")
    assert fingerprint() != first


def test_refuses_to_overwrite_without_reset():
    seed("--seed", "3")
    before = fingerprint()
    with pytest.raises(CommandError, match="--reset"):
        seed("--seed", "4")
    assert fingerprint() == before


def test_if_empty_leaves_existing_data_alone():
    seed("--seed", "3")
    before = fingerprint()
    output = seed("--seed", "4", "--if-empty")
    assert "not seeding" in output
    assert fingerprint() == before


def test_refuses_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="DJANGO_DEBUG=0"):
        seed("--seed", "3")
    assert not Partner.objects.exists()


@pytest.mark.parametrize("scale", ["0", "-1", "1000"])
def test_refuses_a_nonsense_scale(scale):
    with pytest.raises(CommandError, match="--scale"):
        call_command("seed_demo", "--scale", scale, stdout=StringIO())


def test_the_demos_two_hub_administrators_publish_a_version_and_a_reset_undoes_it():
    from reviews.models import Policy
    from reviews.services import policy_draft_create, policy_publish

    seed("--seed", "7")
    drafter, publisher = (
        User.objects.get(username="hub.admin"),
        User.objects.get(username="hub.admin2"),
    )
    draft = policy_draft_create(
        actor=drafter, code="fake-rental", title_en="Fake short-term rental (revised)"
    )
    policy_publish(actor=publisher, policy_id=draft.pk)
    assert Policy.objects.get(code="fake-rental", is_current=True).version == 2

    seed("--seed", "7", "--reset")
    current = Policy.objects.get(code="fake-rental", is_current=True)
    assert (current.version, current.superseded_at) == (1, None)
    assert not Policy.objects.filter(drafted_by__isnull=False).exists()


def test_some_blocks_were_raised_by_the_repeat_registration_rule():
    """A crew's later accounts were noticed by the rule, as in life: their decisions say
    detection raised them, and the rule's signal explains itself."""
    seed("--seed", "8")
    raised = Decision.objects.filter(automated_detection=True)
    assert raised.exists() and Decision.objects.filter(automated_detection=False).exists()
    for decision in raised[:20]:
        signals = decision.case.signals.filter(source=Signal.Source.DETECTION_RULE)
        [signal] = signals.filter(rule="repeat.registration")
        assert signal.created_at < decision.decided_at
        assert "shares" in signal.explanation
        blocked = Subject.objects.get(pk=signal.details["blocked_account"])
        assert blocked.status == Subject.Status.BLOCKED
        assert blocked.status_changed_at < signal.created_at
