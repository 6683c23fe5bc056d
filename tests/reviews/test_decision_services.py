"""decision_record and its effects; every refusal changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from antifraud.audit import audit_chain_extend, audit_chain_verify
from antifraud.models import AuditEvent, Delivery, Indicator, Subject
from reviews import services
from reviews.models import Case, Decision, DecisionProposal, Policy
from reviews.services import DecisionRefused, DecisionRequest, IndicatorChoice
from tests.factories import (
    IdentifierFactory,
    PartnerFactory,
    SubjectFactory,
    UserFactory,
    listing_case,
)

pytestmark = pytest.mark.django_db

PHONE = "+77015550101"


def policy(code: str) -> Policy:
    return Policy.objects.get(code=code, is_current=True)


def request_for(action: str, code: str, **kwargs) -> DecisionRequest:
    return DecisionRequest(
        action=action,
        policy_id=policy(code).pk,
        statement_of_reasons=kwargs.pop(
            "statement", "Цена в три раза ниже рынка, требование задатка."
        ),
        **kwargs,
    )


@pytest.fixture
def olx(db):
    return PartnerFactory(slug="olx", name="OLX.kz")


@pytest.fixture
def held(kolesa, krisha, olx, moderator):
    """A Kolesa listing case held by the moderator, its phone shared with two subjects."""
    case = listing_case(kolesa, phone=PHONE)
    services.case_claim(actor=moderator, case_id=case.pk)
    return case


def unchanged(case: Case) -> None:
    case.refresh_from_db()
    assert case.status == "claimed"
    assert not Decision.objects.exists()
    assert not Delivery.objects.exists()
    assert not Indicator.objects.exists()
    assert Subject.objects.get(pk=case.subject_id).status == "active"


def test_blocking_the_account_of_a_listing(held, moderator):
    identifier = held.subject.identifiers.get(kind="phone")
    outcome = services.decision_record(
        actor=moderator,
        case_id=held.pk,
        request=request_for(
            "block_account",
            "underpriced-vehicle",
            indicators=(IndicatorChoice(identifier_id=identifier.pk, list="black"),),
        ),
    )
    [decision] = outcome.decisions
    held.refresh_from_db()
    listing = Subject.objects.get(pk=held.subject_id)
    assert held.status == "decided" and held.decided_at and held.claimed_by is None
    assert listing.status == "removed"
    assert listing.account.status == "blocked"
    # The evidence snapshot is the subject as the moderator saw it.
    assert decision.evidence["subject"]["external_id"] == listing.external_id
    assert decision.evidence["subject"]["status"] == "active"
    assert decision.evidence["identifiers"][0]["value"] == PHONE
    assert decision.evidence["signals"][0]["explanation"]
    # The phone is on the black list, from this decision.
    indicator = Indicator.objects.get(kind="phone", value=PHONE)
    assert indicator.list == "black" and indicator.origin_ref == f"decision:{decision.pk}"
    assert list(decision.listed_indicators.all()) == [indicator]
    # One outbox row per active partner and event.
    events = sorted(Delivery.objects.values_list("event_type", "partner__slug"))
    assert events == sorted(
        [
            (e, p)
            for e in ("subject.blocked", "listing.removed")
            for p in ("kolesa", "krisha", "olx")
        ]
    )
    own = Delivery.objects.get(event_type="subject.blocked", partner__slug="kolesa").payload
    other = Delivery.objects.get(event_type="subject.blocked", partner__slug="olx").payload
    assert own["data"]["decision"]["appeal_url"].startswith("http")
    assert own["data"]["decision"]["statement_of_reasons"].startswith("Цена")
    assert "appeal_url" not in other["data"]["decision"]
    assert other["data"]["indicators"] == [{"kind": "phone", "list": "black", "value": PHONE}]
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"case.claimed", "indicator.listed", "decision.recorded"} <= actions
    assert audit_chain_extend() >= 3
    assert audit_chain_verify() >= 3


def test_removing_a_listing_keeps_the_account(held, moderator):
    services.decision_record(
        actor=moderator,
        case_id=held.pk,
        request=request_for("remove_listing", "underpriced-vehicle"),
    )
    listing = Subject.objects.get(pk=held.subject_id)
    assert listing.status == "removed"
    assert listing.account.status == "active"
    assert set(Delivery.objects.values_list("event_type", flat=True)) == {"listing.removed"}


def test_gray_listing_expires(held, moderator):
    identifier = held.subject.identifiers.get(kind="phone")
    services.decision_record(
        actor=moderator,
        case_id=held.pk,
        request=request_for(
            "warn",
            "underpriced-vehicle",
            indicators=(IndicatorChoice(identifier_id=identifier.pk, list="gray"),),
            gray_days=30,
        ),
    )
    indicator = Indicator.objects.get(value=PHONE)
    assert indicator.list == "gray"
    assert timedelta(days=29) < indicator.expires_at - timezone.now() <= timedelta(days=30)
    # A warning changes no status and sends nothing.
    assert Subject.objects.get(pk=held.subject_id).status == "active"
    assert not Delivery.objects.exists()


def test_clearing(held, moderator):
    services.decision_record(
        actor=moderator,
        case_id=held.pk,
        request=request_for("clear", "no-violation", statement="Нарушений не обнаружено."),
    )
    assert Subject.objects.get(pk=held.subject_id).status == "cleared"


def test_clearing_with_a_black_list_entry_is_refused(held, moderator):
    identifier = held.subject.identifiers.get(kind="phone")
    with pytest.raises(DecisionRefused) as refused:
        services.decision_record(
            actor=moderator,
            case_id=held.pk,
            request=request_for(
                "clear",
                "no-violation",
                indicators=(IndicatorChoice(identifier_id=identifier.pk, list="black"),),
            ),
        )
    assert refused.value.code == "clear_with_listing"
    unchanged(held)


@pytest.mark.parametrize(
    ("action", "code", "error"),
    [
        ("clear", "underpriced-vehicle", "policy_mismatch"),
        ("block_account", "no-violation", "policy_mismatch"),
        ("reverse", "underpriced-vehicle", "decision_refused"),
        ("delete_everything", "underpriced-vehicle", "decision_refused"),
    ],
)
def test_a_policy_that_does_not_fit_the_action_is_refused(held, moderator, action, code, error):
    with pytest.raises(DecisionRefused) as refused:
        services.decision_record(
            actor=moderator, case_id=held.pk, request=request_for(action, code)
        )
    assert refused.value.code == error
    unchanged(held)


def test_an_empty_statement_is_refused(held, moderator):
    with pytest.raises(DecisionRefused, match="statement"):
        services.decision_record(
            actor=moderator,
            case_id=held.pk,
            request=request_for("remove_listing", "fake-photos", statement="   "),
        )
    unchanged(held)


def test_deciding_a_case_you_do_not_hold_is_refused(kolesa, moderator):
    case = listing_case(kolesa)
    with pytest.raises(DecisionRefused) as refused:
        services.decision_record(
            actor=moderator, case_id=case.pk, request=request_for("remove_listing", "fake-photos")
        )
    assert refused.value.code == "not_claimant"
    other = UserFactory(partner=kolesa, role=Role.MODERATOR)
    services.case_claim(actor=other, case_id=case.pk)
    with pytest.raises(DecisionRefused):
        services.decision_record(
            actor=moderator, case_id=case.pk, request=request_for("remove_listing", "fake-photos")
        )
    assert not Decision.objects.exists()


def test_a_listing_cannot_be_blocked_twice(held, moderator):
    Subject.objects.filter(pk=held.subject.account_id).update(status="blocked")
    with pytest.raises(DecisionRefused, match="already blocked"):
        services.decision_record(
            actor=moderator, case_id=held.pk, request=request_for("block_account", "fake-rental")
        )


def test_an_account_cannot_be_removed_like_a_listing(kolesa, moderator):
    account = SubjectFactory(partner=kolesa, kind="account")
    case = listing_case(kolesa)
    Case.objects.filter(pk=case.pk).update(subject=account, subject_kind="account")
    services.case_claim(actor=moderator, case_id=case.pk)
    with pytest.raises(DecisionRefused, match="account"):
        services.decision_record(
            actor=moderator, case_id=case.pk, request=request_for("remove_listing", "fake-rental")
        )


def test_an_indicator_of_another_subject_is_refused(held, moderator, kolesa):
    stranger = IdentifierFactory(subject=SubjectFactory(partner=kolesa))
    with pytest.raises(DecisionRefused, match="not one of this subject"):
        services.decision_record(
            actor=moderator,
            case_id=held.pk,
            request=request_for(
                "remove_listing",
                "fake-photos",
                indicators=(IndicatorChoice(identifier_id=stranger.pk, list="black"),),
            ),
        )
    unchanged(held)


# --- rings ------------------------------------------------------------------------------


def ring_members(partner, count: int, phone: str = PHONE) -> list[Subject]:
    members = []
    for _ in range(count):
        listing = SubjectFactory(
            partner=partner, kind="listing", account=SubjectFactory(partner=partner, kind="account")
        )
        IdentifierFactory(subject=listing, kind="phone", value=phone, display=phone)
        members.append(listing)
    return members


def test_a_ring_is_decided_in_one_action(held, moderator, kolesa):
    members = ring_members(kolesa, 3)
    # One member already has an open case of its own.
    own_case = listing_case(kolesa)
    Case.objects.filter(pk=own_case.pk).update(subject=members[0])
    outcome = services.decision_record(
        actor=moderator,
        case_id=held.pk,
        request=request_for(
            "remove_listing", "fake-photos", ring_subject_ids=tuple(m.pk for m in members)
        ),
    )
    assert len(outcome.decisions) == 4
    batches = {d.batch_id for d in outcome.decisions}
    assert len(batches) == 1 and None not in batches
    assert {d.statement_of_reasons for d in outcome.decisions} == {
        outcome.decisions[0].statement_of_reasons
    }
    assert Subject.objects.filter(pk__in=[m.pk for m in members], status="removed").count() == 3
    assert Case.objects.get(pk=own_case.pk).status == "decided"
    # Members without a case got one, opened with the link as its signal.
    for member in members[1:]:
        case = Case.objects.get(subject=member)
        assert case.status == "decided"
        assert case.signals.get().rule == "ring.linked"


def test_a_ring_with_one_refused_member_decides_none(held, moderator, kolesa):
    members = ring_members(kolesa, 3)
    busy = listing_case(kolesa)
    Case.objects.filter(pk=busy.pk).update(subject=members[1])
    services.case_claim(actor=UserFactory(partner=kolesa, role=Role.MODERATOR), case_id=busy.pk)
    with pytest.raises(DecisionRefused, match="someone else"):
        services.decision_record(
            actor=moderator,
            case_id=held.pk,
            request=request_for(
                "remove_listing", "fake-photos", ring_subject_ids=tuple(m.pk for m in members)
            ),
        )
    unchanged(held)
    assert not Subject.objects.filter(status="removed").exists()
    assert Case.objects.count() == 2


def test_a_subject_that_is_not_linked_cannot_join_the_ring(held, moderator, kolesa):
    stranger = SubjectFactory(partner=kolesa)
    with pytest.raises(DecisionRefused, match="not linked"):
        services.decision_record(
            actor=moderator,
            case_id=held.pk,
            request=request_for("remove_listing", "fake-photos", ring_subject_ids=(stranger.pk,)),
        )
    unchanged(held)


def test_partner_moderators_cannot_decide_other_partners_subjects(held, moderator, krisha):
    [foreign] = ring_members(krisha, 1)
    with pytest.raises(DecisionRefused, match="another partner"):
        services.decision_record(
            actor=moderator,
            case_id=held.pk,
            request=request_for("remove_listing", "fake-photos", ring_subject_ids=(foreign.pk,)),
        )
    unchanged(held)


def test_hub_moderators_decide_rings_across_partners(kolesa, krisha, hub_moderator):
    case = listing_case(kolesa, phone=PHONE)
    services.case_claim(actor=hub_moderator, case_id=case.pk)
    [foreign] = ring_members(krisha, 1)
    outcome = services.decision_record(
        actor=hub_moderator,
        case_id=case.pk,
        request=request_for("remove_listing", "fake-photos", ring_subject_ids=(foreign.pk,)),
    )
    assert {d.subject.partner.slug for d in outcome.decisions} == {"kolesa", "krisha"}


# --- second approval --------------------------------------------------------------------


def test_a_large_ring_waits_for_a_second_approval(held, moderator, kolesa, settings):
    settings.SECOND_APPROVAL_RING_SIZE = 3
    members = ring_members(kolesa, 3)
    outcome = services.decision_record(
        actor=moderator,
        case_id=held.pk,
        request=request_for(
            "remove_listing", "fake-photos", ring_subject_ids=tuple(m.pk for m in members)
        ),
    )
    assert outcome.pending
    proposal = outcome.proposal
    assert proposal.reasons == ["ring_size"]
    held.refresh_from_db()
    assert held.status == "awaiting_approval" and held.claimed_by is None
    # Nothing took effect.
    assert not Decision.objects.exists() and not Delivery.objects.exists()
    assert not Subject.objects.filter(status="removed").exists()

    # The proposer cannot approve it, nor can a moderator without the right.
    with pytest.raises(DecisionRefused) as refused:
        services.decision_proposal_approve(actor=moderator, proposal_id=proposal.pk)
    assert refused.value.code == "four_eyes"
    from antifraud.errors import NotAllowed

    with pytest.raises(NotAllowed):
        services.decision_proposal_approve(
            actor=UserFactory(partner=kolesa, role=Role.MODERATOR), proposal_id=proposal.pk
        )

    senior = UserFactory(partner=kolesa, role=Role.SENIOR_MODERATOR)
    decisions = services.decision_proposal_approve(actor=senior, proposal_id=proposal.pk)
    assert len(decisions) == 4
    assert {(d.decided_by_id, d.approved_by_id) for d in decisions} == {(moderator.pk, senior.pk)}
    assert Subject.objects.filter(status="removed").count() == 4
    proposal.refresh_from_db()
    assert proposal.status == "approved" and proposal.reviewed_by == senior


def test_blocking_an_old_account_waits_for_approval_and_can_be_rejected(held, moderator, kolesa):
    Subject.objects.filter(pk=held.subject.account_id).update(
        registered_at=timezone.now() - timedelta(days=800)
    )
    outcome = services.decision_record(
        actor=moderator, case_id=held.pk, request=request_for("block_account", "fake-rental")
    )
    assert outcome.proposal.reasons == ["account_age"]
    senior = UserFactory(partner=kolesa, role=Role.SENIOR_MODERATOR)
    with pytest.raises(DecisionRefused, match="note"):
        services.decision_proposal_reject(actor=senior, proposal_id=outcome.proposal.pk, note="")
    services.decision_proposal_reject(
        actor=senior,
        proposal_id=outcome.proposal.pk,
        note="The account is 2 years old; get the partner's confirmation",
    )
    held.refresh_from_db()
    assert held.status == "open"
    assert DecisionProposal.objects.get().status == "rejected"
    assert Subject.objects.get(pk=held.subject.account_id).status == "active"
    with pytest.raises(DecisionRefused, match="already"):
        services.decision_proposal_approve(
            actor=UserFactory(partner=kolesa, role=Role.SENIOR_MODERATOR),
            proposal_id=outcome.proposal.pk,
        )


def test_statement_prefill_fills_the_subject_in(held):
    text = services.statement_prefill(policy("fake-rental"), held.subject, "ru")
    assert held.subject.title in text and "Kolesa.kz" in text
    assert "{title}" not in text


def test_the_same_ring_decision_sent_twice_is_recorded_once(held, moderator, kolesa):
    import uuid

    members = ring_members(kolesa, 2)
    request = request_for(
        "remove_listing",
        "fake-photos",
        ring_subject_ids=tuple(m.pk for m in members),
        attempt=uuid.uuid4(),
    )
    first = services.decision_record(actor=moderator, case_id=held.pk, request=request)
    deliveries, events = Delivery.objects.count(), AuditEvent.objects.count()
    again = services.decision_record(actor=moderator, case_id=held.pk, request=request)
    assert again.replayed and not first.replayed
    assert [d.pk for d in again.decisions] == [d.pk for d in first.decisions]
    assert again.decisions[0].case_id == held.pk  # the main decision first
    assert Decision.objects.count() == 3
    assert (Delivery.objects.count(), AuditEvent.objects.count()) == (deliveries, events)


def test_the_same_proposal_sent_twice_waits_once(held, moderator, kolesa, settings):
    import uuid

    settings.SECOND_APPROVAL_RING_SIZE = 2
    members = ring_members(kolesa, 2)
    request = request_for(
        "remove_listing",
        "fake-photos",
        ring_subject_ids=tuple(m.pk for m in members),
        attempt=uuid.uuid4(),
    )
    first = services.decision_record(actor=moderator, case_id=held.pk, request=request)
    again = services.decision_record(actor=moderator, case_id=held.pk, request=request)
    assert first.pending and again.pending and again.replayed
    assert again.proposal.pk == first.proposal.pk
    assert DecisionProposal.objects.count() == 1
    assert (
        services.decision_attempt_outcome(actor=moderator, case_id=held.pk, attempt=request.attempt)
        == "proposed"
    )


def test_another_moderators_mark_is_not_theirs_to_replay(held, moderator, kolesa):
    import uuid

    from antifraud.errors import InvalidInput

    attempt = uuid.uuid4()
    services.decision_record(
        actor=moderator,
        case_id=held.pk,
        request=request_for("remove_listing", "fake-photos", attempt=attempt),
    )
    other = UserFactory(partner=kolesa, role=Role.MODERATOR)
    second = listing_case(kolesa)
    services.case_claim(actor=other, case_id=second.pk)
    with pytest.raises(InvalidInput):
        services.decision_record(
            actor=other,
            case_id=second.pk,
            request=request_for("remove_listing", "fake-photos", attempt=attempt),
        )
    assert (
        services.decision_attempt_outcome(actor=other, case_id=second.pk, attempt=uuid.uuid4())
        == "none"
    )
