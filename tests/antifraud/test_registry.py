"""The lists' lifecycle, step by step, through its services: support and quorum, promotion,
disputes, revocation, withdrawal, quarantine, feedback, reassignment and vetting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Partner
from accounts.roles import Role
from antifraud.errors import DomainError, NotAllowed
from antifraud.models import (
    AuditEvent,
    Corroboration,
    Delivery,
    Dispute,
    Indicator,
    IndicatorHits,
)
from antifraud.services import indicator_list
from antifraud.services import registry as reg
from antifraud.services.indicators import indicator_propose
from reviews import services
from reviews.models import Policy
from reviews.services import DecisionRequest
from tests.factories import PartnerFactory, UserFactory, listing_case

pytestmark = pytest.mark.django_db

PHONE = "+77015550101"


@pytest.fixture
def bank(db):
    return PartnerFactory(slug="bank", name="Demo Bank", kind=Partner.Kind.BANK)


@pytest.fixture
def telecom(db):
    return PartnerFactory(slug="telecom", name="Demo Telecom", kind=Partner.Kind.TELECOM)


@pytest.fixture
def hub_senior(db):
    return UserFactory(username="hub.senior", partner=None, role=Role.SENIOR_MODERATOR)


@pytest.fixture
def other_hub_senior(db):
    return UserFactory(username="hub.senior2", partner=None, role=Role.SENIOR_MODERATOR)


def propose(partner, value=PHONE, **kwargs):
    return indicator_propose(
        partner=partner, kind="phone", value=value, display=value, reason="prepayments", **kwargs
    ).indicator


def events(event_type: str) -> list[Delivery]:
    return list(Delivery.objects.filter(event_type=event_type).order_by("partner_id"))


def test_partners_of_one_kind_never_reach_the_quorum_and_the_bank_makes_two(kolesa, krisha, bank):
    entry = propose(kolesa)
    propose(kolesa)  # the same partner again counts once
    propose(krisha)
    entry.refresh_from_db()
    assert entry.list == "gray" and entry.promotion_due_at is None
    assert entry.corroborations == 1
    assert reg.support_of(entry) == reg.Support(partners=2, kinds=1)

    propose(bank)
    entry.refresh_from_db()
    assert entry.promotion_due_at is not None
    assert entry.list == "gray", "the quorum queues the entry; it does not black-list it"
    assert entry.state() == Indicator.State.AWAITING_PROMOTION
    assert AuditEvent.objects.filter(action="indicator.promotion_due").count() == 1


def test_one_partner_alone_never_black_lists(kolesa, hub_senior):
    entry = propose(kolesa)
    propose(kolesa)
    with pytest.raises(DomainError) as refused:
        reg.indicator_promote(actor=hub_senior, indicator_id=entry.pk, note="looks bad")
    assert refused.value.code == "no_quorum"
    entry.refresh_from_db()
    assert entry.list == "gray" and entry.promoted_at is None
    assert not events("indicator.promoted")


def test_a_senior_promotes_a_quorum_entry_and_every_partner_is_told(kolesa, bank, hub_senior):
    entry = propose(kolesa)
    propose(bank)
    reg.indicator_promote(actor=hub_senior, indicator_id=entry.pk, note="bank and platform agree")
    entry.refresh_from_db()
    assert entry.list == "black" and entry.expires_at is None
    assert entry.promoted_by == hub_senior
    assert {d.partner_id for d in events("indicator.promoted")} == {kolesa.pk, bank.pk}
    payload = events("indicator.promoted")[0].payload
    assert (
        payload["data"]["entry"] == entry.pk and payload["data"]["indicators"][0]["list"] == "black"
    )


def test_a_senior_of_the_proposing_partner_or_a_moderator_cannot_promote(kolesa, bank):
    entry = propose(kolesa)
    propose(bank)
    for actor in (
        UserFactory(username="kolesa.senior", partner=kolesa, role=Role.SENIOR_MODERATOR),
        UserFactory(username="hub.mod2", partner=None, role=Role.MODERATOR),
    ):
        with pytest.raises(NotAllowed):
            reg.indicator_promote(actor=actor, indicator_id=entry.pk, note="mine")
    entry.refresh_from_db()
    assert entry.list == "gray"


def test_a_partner_dispute_reaches_a_reviewer_who_did_not_list_and_revocation_clears(
    kolesa, krisha, bank, hub_senior, other_hub_senior
):
    listed = indicator_list(
        actor=hub_senior,
        kind="phone",
        value=PHONE,
        display=PHONE,
        list="black",
        origin="decision",
        origin_ref="decision:1",
    ).indicator
    dispute = reg.dispute_open(partner=bank, indicator_id=listed.pk, reason="our client, honest")
    assert dispute.status == "open"
    assert {d.partner_id for d in events("indicator.disputed")} == {kolesa.pk, krisha.pk, bank.pk}

    with pytest.raises(NotAllowed):
        reg.dispute_resolve(
            actor=hub_senior, dispute_id=dispute.pk, revoke=False, resolution="I stand by it"
        )
    dispute.refresh_from_db()
    assert dispute.status == "open"

    Delivery.objects.all().delete()
    reg.dispute_resolve(
        actor=other_hub_senior,
        dispute_id=dispute.pk,
        revoke=True,
        wrong=True,
        resolution="the number is the bank's client's, listed by mistake",
    )
    dispute.refresh_from_db()
    listed.refresh_from_db()
    assert dispute.status == "revoked" and dispute.reviewer == other_hub_senior
    assert listed.ended == "revoked" and listed.revoked_by == other_hub_senior
    assert {d.partner_id for d in events("indicator.delisted")} == {kolesa.pk, krisha.pk, bank.pk}
    # Only the disputing partner hears how its dispute ended.
    [told] = events("indicator.disputed")
    assert told.partner_id == bank.pk
    assert told.payload["data"]["dispute"]["status"] == "revoked"
    cleared = Indicator.objects.active().get(kind="phone", value=PHONE)
    assert cleared.list == "cleared"
    with pytest.raises(DomainError) as refused:
        propose(kolesa)
    assert refused.value.code == "value_cleared"


def test_an_upheld_dispute_keeps_the_entry_and_tells_the_disputer(kolesa, bank, hub_senior):
    entry = propose(kolesa)
    dispute = reg.dispute_open(partner=bank, indicator_id=entry.pk, reason="not a fraud")
    Delivery.objects.all().delete()
    reg.dispute_resolve(
        actor=hub_senior, dispute_id=dispute.pk, revoke=False, resolution="three victims"
    )
    entry.refresh_from_db()
    assert entry.is_in_force() and entry.list == "gray"
    assert [d.partner_id for d in Delivery.objects.all()] == [bank.pk]
    with pytest.raises(DomainError) as again:
        reg.dispute_resolve(actor=hub_senior, dispute_id=dispute.pk, revoke=True, resolution="x")
    assert again.value.code == "already_resolved"


def test_disputes_refused_for_own_entries_twice_and_without_reason(kolesa, bank):
    entry = propose(kolesa)
    with pytest.raises(DomainError) as own:
        reg.dispute_open(partner=kolesa, indicator_id=entry.pk, reason="changed our mind")
    assert own.value.code == "own_entry"
    with pytest.raises(DomainError) as blank:
        reg.dispute_open(partner=bank, indicator_id=entry.pk, reason="  ")
    assert blank.value.code == "reason_required"
    reg.dispute_open(partner=bank, indicator_id=entry.pk, reason="wrong")
    with pytest.raises(DomainError) as twice:
        reg.dispute_open(partner=bank, indicator_id=entry.pk, reason="wrong again")
    assert twice.value.code == "already_disputed"
    assert Dispute.objects.count() == 1
    entry.refresh_from_db()
    assert entry.disputes == 1


def test_revocation_is_for_seniors_and_sends_delisted_to_every_partner(
    kolesa, krisha, hub_senior, moderator
):
    entry = propose(kolesa)
    with pytest.raises(NotAllowed):
        reg.indicator_revoke(actor=moderator, indicator_id=entry.pk, reason="no", wrong=True)
    entry.refresh_from_db()
    assert entry.is_in_force()

    reg.indicator_revoke(actor=hub_senior, indicator_id=entry.pk, reason="stale", wrong=False)
    entry.refresh_from_db()
    assert entry.ended == "revoked" and entry.revoked_reason == "stale"
    delisted = events("indicator.delisted")
    assert {d.partner_id for d in delisted} == {kolesa.pk, krisha.pk}
    assert delisted[0].payload["data"]["reason"] == "revoked"
    # Not wrong: nothing goes on the cleared list, and the value may be proposed again.
    assert not Indicator.objects.filter(list="cleared").exists()
    assert propose(krisha).pk != entry.pk
    assert AuditEvent.objects.filter(action="indicator.revoked", target_id=str(entry.pk)).exists()


def test_a_partner_cannot_withdraw_another_partners_proposal(kolesa, krisha):
    entry = propose(kolesa)
    with pytest.raises(NotAllowed) as refused:
        reg.indicator_withdraw(partner=krisha, indicator_id=entry.pk)
    assert refused.value.code == "not_yours"
    entry.refresh_from_db()
    assert entry.is_in_force()


def test_withdrawal_delists_unless_others_stand_behind_the_entry(kolesa, krisha, bank):
    alone = propose(kolesa)
    assert reg.indicator_withdraw(partner=kolesa, indicator_id=alone.pk).delisted
    alone.refresh_from_db()
    assert alone.ended == "withdrawn"
    assert events("indicator.delisted")[0].payload["data"]["reason"] == "withdrawn"

    shared = propose(krisha, value="+77015550202")
    propose(bank, value="+77015550202")
    outcome = reg.indicator_withdraw(partner=krisha, indicator_id=shared.pk)
    shared.refresh_from_db()
    assert not outcome.delisted and shared.is_in_force()
    assert shared.promotion_due_at is None, "one kind left: no quorum any more"
    assert Corroboration.objects.get(indicator=shared, partner=krisha).withdrawn_at is not None


def test_a_spike_of_hits_quarantines_the_entry_until_a_senior_releases_it(
    kolesa, settings, hub_senior
):
    settings.QUARANTINE_MIN_HITS = 20
    entry = propose(kolesa)
    today = timezone.localdate()
    for days in range(1, 15):
        IndicatorHits.objects.create(indicator=entry, day=today - timedelta(days=days), hits=3)
    # Its usual day: 3 hits; ten times that is 30.
    assert reg.hits_record({entry.pk: 25}) == []
    assert reg.hits_record({entry.pk: 5}) == [entry.pk]
    entry.refresh_from_db()
    assert entry.quarantined_at is not None and entry.state() == "quarantined"
    assert not Indicator.objects.matching().filter(pk=entry.pk).exists()
    assert events("indicator.quarantined")
    # Further hits do not quarantine it twice.
    assert reg.hits_record({entry.pk: 50}) == []

    reg.indicator_release(actor=hub_senior, indicator_id=entry.pk, note="support number removed")
    assert Indicator.objects.matching().filter(pk=entry.pk).exists()


def test_false_positives_lower_the_proposers_reliability_and_the_gray_weight(kolesa, bank):
    entry = propose(kolesa)
    assert reg.gray_weight(entry) == 1.0
    reg.feedback_record(partner=bank, indicator_id=entry.pk, verdict="false_positive")
    for n in range(3):
        other = propose(kolesa, value=f"+7701555030{n}")
        reg.feedback_record(partner=bank, indicator_id=other.pk, verdict="false_positive")
    kolesa.refresh_from_db()
    assert kolesa.reliability == pytest.approx(4 / 8)
    entry.refresh_from_db()
    assert reg.gray_weight(entry) == pytest.approx(0.5)
    # The proposer's word on its own entry does not count.
    reg.feedback_record(partner=kolesa, indicator_id=entry.pk, verdict="true_positive")
    kolesa.refresh_from_db()
    assert kolesa.reliability == pytest.approx(0.5)
    assert reg.feedback_summary(entry) == {"true_positive": 1, "false_positive": 1}


def test_a_gray_entry_decays_after_its_fresh_days(kolesa, settings):
    settings.GRAY_FRESH_DAYS = 14
    settings.GRAY_HALF_LIFE_DAYS = 30
    entry = propose(kolesa)
    now = timezone.now()
    assert reg.gray_weight(entry, now + timedelta(days=14)) == pytest.approx(1.0)
    assert reg.gray_weight(entry, now + timedelta(days=44)) == pytest.approx(0.5, abs=1e-3)
    assert reg.gray_weight(entry, now + timedelta(days=74)) == pytest.approx(0.25, abs=1e-3)
    assert reg.gray_weight(entry, now + timedelta(days=400)) == settings.GRAY_WEIGHT_FLOOR


def test_a_reassigned_number_leaves_the_lists_and_only_a_telecom_says_so(kolesa, bank, telecom):
    entry = propose(kolesa)
    with pytest.raises(NotAllowed):
        reg.phone_reassigned(
            partner=bank, value=PHONE, display=PHONE, reassigned_on=timezone.localdate()
        )
    entry.refresh_from_db()
    assert entry.is_in_force()
    ended = reg.phone_reassigned(
        partner=telecom, value=PHONE, display=PHONE, reassigned_on=timezone.localdate()
    )
    assert ended == [entry]
    entry.refresh_from_db()
    assert entry.ended == "reassigned" and "new subscriber" in entry.revoked_reason
    assert events("indicator.delisted")[0].payload["data"]["reason"] == "reassigned"
    assert reg.reassigned_since([PHONE]) == {PHONE: timezone.localdate()}


def test_a_clearance_that_vets_identifiers_puts_them_on_the_cleared_list(kolesa, krisha, moderator):
    case = listing_case(kolesa, phone=PHONE)
    services.case_claim(actor=moderator, case_id=case.pk)
    outcome = services.decision_record(
        actor=moderator,
        case_id=case.pk,
        request=DecisionRequest(
            action="clear",
            policy_id=Policy.objects.get(code="no-violation", is_current=True).pk,
            statement_of_reasons="Нарушений не обнаружено.",
            vet_identifiers=True,
        ),
    )
    [decision] = outcome.decisions
    cleared = Indicator.objects.active().get(kind="phone", value=PHONE)
    assert cleared.list == "cleared" and cleared.origin_ref == f"decision:{decision.pk}"
    assert list(decision.listed_indicators.all()) == [cleared]
    with pytest.raises(DomainError) as refused:
        propose(krisha)
    assert refused.value.code == "value_cleared"
    assert reg.cleared_values({("phone", PHONE), ("phone", "+77000000000")}) == {("phone", PHONE)}


def test_vetting_needs_a_clearance(kolesa, moderator):
    case = listing_case(kolesa, phone=PHONE)
    services.case_claim(actor=moderator, case_id=case.pk)
    with pytest.raises(DomainError) as refused:
        services.decision_record(
            actor=moderator,
            case_id=case.pk,
            request=DecisionRequest(
                action="remove_listing",
                policy_id=Policy.objects.get(code="underpriced-vehicle", is_current=True).pk,
                statement_of_reasons="Цена ниже рынка.",
                vet_identifiers=True,
            ),
        )
    assert refused.value.code == "vet_needs_clear"
    assert not Indicator.objects.exists()


def test_vetting_gives_way_over_gray_but_not_over_black(kolesa, krisha, moderator):
    gray = propose(krisha)
    case = listing_case(kolesa, phone=PHONE)
    services.case_claim(actor=moderator, case_id=case.pk)
    services.decision_record(
        actor=moderator,
        case_id=case.pk,
        request=DecisionRequest(
            action="clear",
            policy_id=Policy.objects.get(code="no-violation", is_current=True).pk,
            statement_of_reasons="Нарушений не обнаружено.",
            vet_identifiers=True,
        ),
    )
    gray.refresh_from_db()
    assert gray.ended == "superseded"
    assert events("indicator.delisted")[0].payload["data"]["reason"] == "cleared"

    black_phone = "+77015559999"
    indicator_list(
        actor=None,
        kind="phone",
        value=black_phone,
        display=black_phone,
        list="black",
        origin="decision",
    )
    second = listing_case(kolesa, phone=black_phone)
    services.case_claim(actor=moderator, case_id=second.pk)
    services.decision_record(
        actor=moderator,
        case_id=second.pk,
        request=DecisionRequest(
            action="clear",
            policy_id=Policy.objects.get(code="no-violation", is_current=True).pk,
            statement_of_reasons="Нарушений не обнаружено.",
            vet_identifiers=True,
        ),
    )
    assert Indicator.objects.active().get(value=black_phone).list == "black"


def test_a_released_entry_is_not_quarantined_again_that_day(kolesa, settings, hub_senior):
    settings.QUARANTINE_MIN_HITS = 5
    entry = propose(kolesa)
    assert reg.hits_record({entry.pk: 5}) == [entry.pk]
    reg.indicator_release(actor=hub_senior, indicator_id=entry.pk, note="our own number")
    assert reg.hits_record({entry.pk: 20}) == []
    entry.refresh_from_db()
    assert entry.quarantined_at is None and entry.released_at is not None


def test_one_partners_look_ups_count_once_a_minute(kolesa, krisha, settings):
    settings.QUARANTINE_MIN_HITS = 3
    entry = propose(kolesa)
    now = timezone.now()
    for _ in range(10):
        assert reg.hits_record({entry.pk: 1}, partner=krisha, now=now) == []
    assert IndicatorHits.objects.get(indicator=entry).hits == 1
    reg.hits_record({entry.pk: 1}, partner=kolesa, now=now)
    reg.hits_record({entry.pk: 1}, partner=krisha, now=now + timedelta(minutes=1))
    assert IndicatorHits.objects.get(indicator=entry).hits == 3


def test_a_reassigned_number_does_not_link_its_new_holder_to_the_old_one(kolesa, krisha, telecom):
    from antifraud.selectors import subjects_linked_to
    from tests.factories import IdentifierFactory, SubjectFactory

    long_ago = timezone.now() - timedelta(days=400)
    old = SubjectFactory(partner=krisha, kind="account", first_seen_at=long_ago)
    IdentifierFactory(subject=old, kind="phone", value=PHONE, display=PHONE)
    new = SubjectFactory(partner=kolesa, kind="account")
    IdentifierFactory(subject=new, kind="phone", value=PHONE, display=PHONE)
    assert [e.subject.pk for e in subjects_linked_to([new.pk])] == [old.pk]

    reg.phone_reassigned(
        partner=telecom,
        value=PHONE,
        display=PHONE,
        reassigned_on=timezone.localdate() - timedelta(days=30),
    )
    assert subjects_linked_to([new.pk]) == []
    assert subjects_linked_to([old.pk]) == []
