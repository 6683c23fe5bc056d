"""Claims are leases: claim next, renew, release, escalate, expire."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from antifraud.errors import DomainError, NotAllowed, NotFound
from antifraud.models import AuditEvent
from reviews import services
from reviews.models import Case
from reviews.queues import Queue
from tests.factories import UserFactory, listing_case

pytestmark = pytest.mark.django_db

KOLESA_LISTINGS = Queue.parse("partner:kolesa:listing")


def actions_for(case: Case) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_id=str(case.pk), target_type__model="case").values_list(
            "action", flat=True
        )
    )


def test_claim_next_takes_the_highest_priority_then_the_oldest(kolesa, moderator):
    now = timezone.now()
    low = listing_case(kolesa, priority=100)
    old = listing_case(kolesa, priority=900, opened_at=now - timedelta(hours=5))
    listing_case(kolesa, priority=900, opened_at=now - timedelta(hours=1))
    claimed = services.case_claim_next(actor=moderator, queue=KOLESA_LISTINGS)
    assert claimed.pk == old.pk
    claimed.refresh_from_db()
    assert claimed.status == "claimed"
    assert claimed.claimed_by == moderator
    assert claimed.lease_until > now + timedelta(minutes=14)
    assert actions_for(claimed) == ["case.claimed"]
    assert Case.objects.get(pk=low.pk).status == "open"


def test_claim_next_resumes_the_case_already_held(kolesa, moderator):
    listing_case(kolesa)
    listing_case(kolesa)
    first = services.case_claim_next(actor=moderator, queue=KOLESA_LISTINGS)
    again = services.case_claim_next(actor=moderator, queue=KOLESA_LISTINGS)
    assert again.pk == first.pk
    assert Case.objects.filter(status="claimed").count() == 1


def test_claim_next_returns_none_when_the_queue_is_empty(kolesa, moderator):
    assert services.case_claim_next(actor=moderator, queue=KOLESA_LISTINGS) is None


def test_two_moderators_get_different_cases(kolesa, moderator):
    listing_case(kolesa)
    listing_case(kolesa)
    other = UserFactory(partner=kolesa, role=Role.MODERATOR)
    a = services.case_claim_next(actor=moderator, queue=KOLESA_LISTINGS)
    b = services.case_claim_next(actor=other, queue=KOLESA_LISTINGS)
    assert a.pk != b.pk
    assert (
        services.case_claim_next(
            actor=UserFactory(partner=kolesa, role=Role.MODERATOR), queue=KOLESA_LISTINGS
        )
        is None
    )


def test_an_expired_lease_is_ignored_at_claim_time(kolesa, moderator):
    case = listing_case(kolesa)
    first = UserFactory(partner=kolesa, role=Role.MODERATOR)
    services.case_claim_next(actor=first, queue=KOLESA_LISTINGS)
    Case.objects.filter(pk=case.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    taken = services.case_claim_next(actor=moderator, queue=KOLESA_LISTINGS)
    assert taken.pk == case.pk
    assert taken.claimed_by == moderator
    event = AuditEvent.objects.filter(action="case.claimed").order_by("-pk").first()
    assert event.payload["expired_lease_of"] == first.pk


def test_moderators_only_see_their_partners_cases(kolesa, krisha, moderator):
    listing_case(krisha)
    assert services.case_claim_next(actor=moderator, queue=Queue.parse("all")) is None
    foreign = listing_case(krisha)
    with pytest.raises(NotFound):
        services.case_claim(actor=moderator, case_id=foreign.pk)


def test_hub_moderators_work_every_partner(krisha, hub_moderator):
    case = listing_case(krisha)
    assert services.case_claim_next(actor=hub_moderator, queue=Queue.parse("all")).pk == case.pk


def test_roles_without_claim_right_are_refused(kolesa):
    listing_case(kolesa)
    supervisor = UserFactory(partner=kolesa, role=Role.SUPERVISOR)
    with pytest.raises(NotAllowed):
        services.case_claim_next(actor=supervisor, queue=KOLESA_LISTINGS)
    assert not Case.objects.filter(status="claimed").exists()


def test_release_returns_the_case_to_its_queue(kolesa, moderator):
    case = listing_case(kolesa)
    services.case_claim(actor=moderator, case_id=case.pk)
    services.case_release(actor=moderator, case_id=case.pk)
    case.refresh_from_db()
    assert (case.status, case.claimed_by, case.lease_until) == ("open", None, None)
    assert actions_for(case) == ["case.claimed", "case.released"]


def test_only_the_holder_may_release_or_renew(kolesa, moderator):
    case = listing_case(kolesa)
    services.case_claim(actor=moderator, case_id=case.pk)
    other = UserFactory(partner=kolesa, role=Role.MODERATOR)
    with pytest.raises(services.NotClaimant):
        services.case_release(actor=other, case_id=case.pk)
    with pytest.raises(services.NotClaimant):
        services.case_lease_renew(actor=other, case_id=case.pk)
    with pytest.raises(services.CaseNotAvailable):
        services.case_claim(actor=other, case_id=case.pk)
    assert Case.objects.get(pk=case.pk).claimed_by == moderator


def test_renewing_extends_the_lease(kolesa, moderator):
    case = listing_case(kolesa)
    services.case_claim(actor=moderator, case_id=case.pk)
    Case.objects.filter(pk=case.pk).update(lease_until=timezone.now() + timedelta(minutes=1))
    renewed = services.case_lease_renew(actor=moderator, case_id=case.pk)
    assert renewed.lease_until > timezone.now() + timedelta(minutes=14)


def test_sweep_returns_expired_leases(kolesa, moderator):
    stale = listing_case(kolesa)
    fresh = listing_case(kolesa)
    services.case_claim(actor=moderator, case_id=stale.pk)
    services.case_claim(actor=UserFactory(partner=kolesa, role=Role.MODERATOR), case_id=fresh.pk)
    Case.objects.filter(pk=stale.pk).update(lease_until=timezone.now() - timedelta(minutes=1))
    assert services.case_leases_sweep() == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == "open" and stale.claimed_by is None
    assert fresh.status == "claimed"
    assert "case.lease_expired" in actions_for(stale)


def test_escalation_goes_to_the_seniors(kolesa, moderator):
    case = listing_case(kolesa)
    services.case_claim(actor=moderator, case_id=case.pk)
    with pytest.raises(DomainError, match="note"):
        services.case_escalate(actor=moderator, case_id=case.pk, note="  ")
    services.case_escalate(
        actor=moderator, case_id=case.pk, note="Looks like a ring on three platforms"
    )
    case.refresh_from_db()
    assert (case.status, case.is_escalated, case.claimed_by) == ("escalated", True, None)
    # Not in the ordinary queue any more, and moderators cannot claim it.
    assert services.case_claim_next(actor=moderator, queue=KOLESA_LISTINGS) is None
    with pytest.raises(NotAllowed):
        services.case_claim_next(actor=moderator, queue=Queue.parse("escalated"))
    with pytest.raises(NotAllowed):
        services.case_claim(actor=moderator, case_id=case.pk)
    senior = UserFactory(partner=kolesa, role=Role.SENIOR_MODERATOR)
    taken = services.case_claim_next(actor=senior, queue=Queue.parse("escalated"))
    assert taken.pk == case.pk and taken.status == "claimed" and taken.is_escalated
    assert actions_for(case) == ["case.claimed", "case.escalated", "case.claimed"]


def test_escalating_needs_the_claim(kolesa, moderator):
    case = listing_case(kolesa)
    with pytest.raises(services.NotClaimant):
        services.case_escalate(actor=moderator, case_id=case.pk, note="why")
    assert Case.objects.get(pk=case.pk).status == "open"


def test_unknown_queue_key_is_refused():
    from antifraud.errors import InvalidInput

    for key in ("partner", "scheme:nonsense", "partner:kolesa:car", "whatever"):
        with pytest.raises(InvalidInput):
            Queue.parse(key)
