"""Time-limited blocks: their length is checked against the policy, stored with the
decision (rings and approved proposals too), told to partners, and lifted by the beat task
once they end — unless something else ended them or still holds the account."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.roles import Role
from antifraud.models import AuditEvent, Delivery, Indicator, Subject
from reviews import services
from reviews.models import Appeal, BlockLift, Decision, DecisionProposal, Policy
from reviews.services import DecisionRefused, DecisionRequest, IndicatorChoice
from reviews.services.block_ends import block_ends_lift
from tests.factories import IdentifierFactory, SubjectFactory, UserFactory, listing_case

pytestmark = pytest.mark.django_db

PHONE = "+77015550177"
STATEMENT = "Фото взяты с чужого объявления, аккаунт блокируется на время."


def policy(code: str) -> Policy:
    return Policy.objects.get(code=code, is_current=True)


def block(code: str = "fake-photos", **kwargs) -> DecisionRequest:
    return DecisionRequest(
        action=kwargs.pop("action", "block_account"),
        policy_id=policy(code).pk,
        statement_of_reasons=STATEMENT,
        **kwargs,
    )


@pytest.fixture
def held(kolesa, moderator):
    case = listing_case(kolesa, phone=PHONE)
    services.case_claim(actor=moderator, case_id=case.pk)
    return case


def decide(moderator, case, request) -> Decision:
    return services.decision_record(actor=moderator, case_id=case.pk, request=request).decisions[0]


def blocked_for(moderator, partner, days: int | None, code: str = "fake-photos") -> Decision:
    case = listing_case(partner)
    services.case_claim(actor=moderator, case_id=case.pk)
    return decide(moderator, case, block(code, block_days=days))


def nothing_written(case) -> None:
    case.refresh_from_db()
    assert case.status == "claimed"
    assert not Decision.objects.exists() and not Delivery.objects.exists()
    assert Subject.objects.get(pk=case.subject.account_id).status == "active"


# --- the length of a block ----------------------------------------------------------------


def test_a_block_of_n_days_ends_n_days_after_it_was_decided(held, moderator):
    decision = decide(moderator, held, block(block_days=7))
    assert decision.block_days == 7
    assert decision.ends_at == decision.decided_at + timedelta(days=7)
    recorded = AuditEvent.objects.get(action="decision.recorded")
    assert recorded.payload["block_days"] == 7


def test_no_length_means_the_policys_default(held, moderator, kolesa):
    # fake-photos: [30, 7, 90, 0], so 30 days.
    decision = decide(moderator, held, block())
    assert decision.block_days == 30
    assert decision.ends_at == decision.decided_at + timedelta(days=30)
    # underpriced-vehicle: [0, 90, 30], so permanent.
    permanent = blocked_for(moderator, kolesa, None, code="underpriced-vehicle")
    assert permanent.block_days is None and permanent.ends_at is None


def test_zero_days_is_permanent(held, moderator):
    decision = decide(moderator, held, block(block_days=0))
    assert decision.block_days is None and decision.ends_at is None


@pytest.mark.parametrize(
    ("request_kwargs", "code"),
    [
        ({"block_days": 14}, "duration_not_allowed"),  # not one the policy offers
        ({"block_days": 30, "policy": "repeat-offender"}, "duration_not_allowed"),  # [0] only
        ({"block_days": 7, "action": "remove_listing"}, "duration_needs_block"),
        ({"block_days": 7, "action": "warn"}, "duration_needs_block"),
    ],
)
def test_a_length_the_policy_does_not_allow_is_refused_and_nothing_is_written(
    held, moderator, request_kwargs, code
):
    kwargs = dict(request_kwargs)
    request = block(kwargs.pop("policy", "fake-photos"), **kwargs)
    with pytest.raises(DecisionRefused) as refused:
        services.decision_record(actor=moderator, case_id=held.pk, request=request)
    assert refused.value.code == code
    assert refused.value.message  # a sentence for the page
    nothing_written(held)


def test_other_actions_carry_no_length(held, moderator):
    decision = decide(moderator, held, block(action="remove_listing", block_days=0))
    assert decision.block_days is None and decision.ends_at is None


def test_a_ring_is_blocked_for_the_same_length(held, moderator, kolesa):
    members = []
    for _ in range(2):
        listing = SubjectFactory(
            partner=kolesa, kind="listing", account=SubjectFactory(partner=kolesa, kind="account")
        )
        IdentifierFactory(subject=listing, kind="phone", value=PHONE, display=PHONE)
        members.append(listing)
    outcome = services.decision_record(
        actor=moderator,
        case_id=held.pk,
        request=block(block_days=90, ring_subject_ids=tuple(m.pk for m in members)),
    )
    assert len(outcome.decisions) == 3
    assert {(d.block_days, d.ends_at) for d in outcome.decisions} == {
        (90, outcome.decisions[0].decided_at + timedelta(days=90))
    }


def test_a_proposal_keeps_its_length_and_counts_it_from_the_approval(
    held, moderator, kolesa, django_capture_on_commit_callbacks
):
    Subject.objects.filter(pk=held.subject.account_id).update(
        registered_at=timezone.now() - timedelta(days=800)
    )
    outcome = services.decision_record(
        actor=moderator, case_id=held.pk, request=block(block_days=7)
    )
    proposal = outcome.proposal
    assert proposal is not None and proposal.block_days == 7
    DecisionProposal.objects.filter(pk=proposal.pk).update(
        proposed_at=timezone.now() - timedelta(days=2)
    )
    senior = UserFactory(partner=kolesa, role=Role.SENIOR_MODERATOR)
    [decision] = services.decision_proposal_approve(actor=senior, proposal_id=proposal.pk)
    assert decision.block_days == 7
    # From the approval, when the block took effect, not from the proposal.
    assert decision.ends_at == decision.decided_at + timedelta(days=7)
    assert decision.decided_at > timezone.now() - timedelta(minutes=1)


def test_a_permanent_proposal_stays_permanent(held, moderator, kolesa):
    Subject.objects.filter(pk=held.subject.account_id).update(
        registered_at=timezone.now() - timedelta(days=800)
    )
    proposal = services.decision_record(
        actor=moderator, case_id=held.pk, request=block(block_days=0)
    ).proposal
    assert proposal.block_days is None
    senior = UserFactory(partner=kolesa, role=Role.SENIOR_MODERATOR)
    [decision] = services.decision_proposal_approve(actor=senior, proposal_id=proposal.pk)
    assert decision.block_days is None and decision.ends_at is None


def test_partners_are_told_when_the_block_ends(held, moderator):
    decision = decide(moderator, held, block(block_days=30))
    blocked = Delivery.objects.filter(event_type="subject.blocked").get()
    assert blocked.payload["data"]["decision"]["ends_at"] == decision.ends_at.isoformat()
    # The listing's removal comes from the same decision and says the same.
    removed = Delivery.objects.filter(event_type="listing.removed").get()
    assert removed.payload["data"]["decision"]["ends_at"] == decision.ends_at.isoformat()


def test_a_permanent_block_says_so_to_partners(held, moderator):
    decide(moderator, held, block(block_days=0))
    blocked = Delivery.objects.filter(event_type="subject.blocked").get()
    assert blocked.payload["data"]["decision"]["ends_at"] is None


# --- lifting ------------------------------------------------------------------------------


def test_a_block_lifts_itself_when_it_ends(held, moderator, kolesa, krisha):
    phone = held.subject.identifiers.get()
    decision = decide(
        moderator,
        held,
        block(block_days=7, indicators=(IndicatorChoice(identifier_id=phone.pk, list="black"),)),
    )
    account = Subject.objects.get(pk=held.subject.account_id)
    assert account.status == "blocked"

    # Not yet: a minute before the end nothing happens.
    assert block_ends_lift(now=decision.ends_at - timedelta(minutes=1)) == 0
    assert not BlockLift.objects.exists()

    assert block_ends_lift(now=decision.ends_at + timedelta(days=1)) == 1
    account.refresh_from_db()
    assert account.status == "active"
    lift = BlockLift.objects.get()
    assert (lift.decision, lift.outcome) == (decision, "lifted")
    # The removed listing stays removed: only the account's block was for a time.
    assert Subject.objects.get(pk=held.subject_id).status == "removed"
    # Every partner hears of it, the subject's own with the block that ended.
    unblocked = Delivery.objects.filter(event_type="subject.unblocked", subject=account)
    assert sorted(unblocked.values_list("partner__slug", flat=True)) == ["kolesa", "krisha"]
    own = unblocked.get(partner=kolesa).payload["data"]
    assert own["reason"] == "block_ended"
    assert own["decision"]["id"] == decision.pk
    assert own["decision"]["ends_at"] == decision.ends_at.isoformat()
    # What the block listed keeps its own expiry.
    assert Indicator.objects.get(value=PHONE).list == "black"
    event = AuditEvent.objects.get(action="block.lifted")
    assert event.actor is None and event.target_id == str(decision.pk)
    assert event.payload["account"] == account.pk


def test_lifting_twice_lifts_once(held, moderator):
    decision = decide(moderator, held, block(block_days=7))
    later = decision.ends_at + timedelta(hours=1)
    assert block_ends_lift(now=later) == 1
    assert block_ends_lift(now=later) == 0
    assert BlockLift.objects.count() == 1
    assert Delivery.objects.filter(event_type="subject.unblocked").count() == 1


def test_a_permanent_block_never_lifts(held, moderator):
    decide(moderator, held, block(block_days=0))
    assert block_ends_lift(now=timezone.now() + timedelta(days=3650)) == 0
    assert Subject.objects.get(pk=held.subject.account_id).status == "blocked"


def test_a_block_overturned_on_appeal_is_not_lifted_again(held, moderator, kolesa):
    decision = decide(moderator, held, block(block_days=7))
    appeal = services.appeal_file(
        decision_id=decision.pk,
        statement="Фотографии мои, я сам фотографировал свою машину во дворе.",
        consent=True,
    )
    senior = UserFactory(partner=kolesa, role=Role.SENIOR_MODERATOR)
    services.appeal_claim(actor=senior, appeal_id=appeal.pk)
    services.appeal_resolve(actor=senior, appeal_id=appeal.pk, overturn=True, reply="Вы правы.")
    unblocked = Delivery.objects.filter(event_type="subject.unblocked").count()

    assert block_ends_lift(now=decision.ends_at + timedelta(hours=1)) == 0
    assert BlockLift.objects.get().outcome == "superseded"
    assert Delivery.objects.filter(event_type="subject.unblocked").count() == unblocked
    assert AuditEvent.objects.filter(action="block.end_superseded").count() == 1
    assert Appeal.objects.get().status == "overturned"


def test_a_later_longer_block_keeps_the_account_blocked(held, moderator, kolesa):
    first = decide(moderator, held, block(block_days=7))
    account = Subject.objects.get(pk=held.subject.account_id)
    # The first block ended another way (an unblock by hand, say); a new, longer one follows.
    Subject.objects.filter(pk=account.pk).update(status="active")
    later_case = listing_case(kolesa, account=account)
    services.case_claim(actor=moderator, case_id=later_case.pk)
    second = decide(moderator, later_case, block(block_days=90))

    assert block_ends_lift(now=first.ends_at + timedelta(hours=1)) == 0
    assert BlockLift.objects.get(decision=first).outcome == "superseded"
    account.refresh_from_db()
    assert account.status == "blocked"
    assert not Delivery.objects.filter(event_type="subject.unblocked").exists()

    # The second lifts at its own end.
    assert block_ends_lift(now=second.ends_at + timedelta(hours=1)) == 1
    account.refresh_from_db()
    assert account.status == "active"


def test_a_later_permanent_block_keeps_the_account_blocked(held, moderator, kolesa):
    first = decide(moderator, held, block(block_days=7))
    account = Subject.objects.get(pk=held.subject.account_id)
    Subject.objects.filter(pk=account.pk).update(status="active")
    later_case = listing_case(kolesa, account=account)
    services.case_claim(actor=moderator, case_id=later_case.pk)
    decide(moderator, later_case, block(block_days=0))
    assert block_ends_lift(now=first.ends_at + timedelta(days=400)) == 0
    assert Subject.objects.get(pk=account.pk).status == "blocked"


def test_an_account_no_longer_blocked_is_left_alone(held, moderator):
    decision = decide(moderator, held, block(block_days=7))
    Subject.objects.filter(pk=held.subject.account_id).update(status="cleared")
    assert block_ends_lift(now=decision.ends_at + timedelta(hours=1)) == 0
    assert Subject.objects.get(pk=held.subject.account_id).status == "cleared"
    assert BlockLift.objects.get().outcome == "superseded"


def test_batches_take_every_due_block(moderator, kolesa):
    decisions = [blocked_for(moderator, kolesa, 7) for _ in range(5)]
    assert block_ends_lift(now=timezone.now() + timedelta(days=8), batch=2) == 5
    assert BlockLift.objects.filter(outcome="lifted").count() == len(decisions)


def test_the_task_lifts_and_beat_runs_it_every_five_minutes(held, moderator, monkeypatch):
    from reviews import tasks

    decision = decide(moderator, held, block(block_days=7))
    monkeypatch.setattr(
        timezone, "now", lambda: decision.ends_at + timedelta(minutes=1), raising=True
    )
    assert tasks.block_ends_lift.apply().get() == 1
    schedule = settings.CELERY_BEAT_SCHEDULE["block-ends-lift"]
    assert schedule["task"] == "reviews.tasks.block_ends_lift"
    assert schedule["schedule"] == 300.0


# --- two runs at once (PostgreSQL) --------------------------------------------------------


def _run(results: list, errors: list, start: threading.Barrier, now) -> None:
    try:
        start.wait(timeout=10)
        results.append(block_ends_lift(now=now, batch=3))
    except BaseException as error:  # anything at all fails the test
        errors.append(error)
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_runs_at_once_lift_each_block_once(kolesa):
    moderator = UserFactory(username="mod.lift", partner=kolesa, role=Role.MODERATOR)
    decisions = [blocked_for(moderator, kolesa, 7) for _ in range(12)]
    now = timezone.now() + timedelta(days=8)
    for _trial in range(3):
        start = threading.Barrier(2)
        results: list[int] = []
        errors: list[BaseException] = []
        threads = [
            threading.Thread(target=_run, args=(results, errors, start, now)) for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors, errors
    assert BlockLift.objects.filter(outcome="lifted").count() == len(decisions)
    unblocked = Delivery.objects.filter(event_type="subject.unblocked")
    assert unblocked.count() == len(decisions)  # one partner: one event per account
    assert AuditEvent.objects.filter(action="block.lifted").count() == len(decisions)
    assert not Subject.objects.filter(kind="account", status="blocked").exists()


def _overturn(appeal_id: int, senior, start: threading.Barrier, errors: list) -> None:
    try:
        start.wait(timeout=10)
        services.appeal_resolve(actor=senior, appeal_id=appeal_id, overturn=True, reply="Отменено.")
    except BaseException as error:
        errors.append(error)
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_lift_racing_an_overturn_never_deadlocks_and_unblocks_once(kolesa):
    moderator = UserFactory(username="mod.race", partner=kolesa, role=Role.MODERATOR)
    senior = UserFactory(username="senior.race", partner=kolesa, role=Role.SENIOR_MODERATOR)
    for trial in range(8):
        decision = blocked_for(moderator, kolesa, 7)
        appeal = services.appeal_file(
            decision_id=decision.pk,
            statement="Это мои фотографии, прошу проверить ещё раз, пожалуйста.",
            consent=True,
        )
        services.appeal_claim(actor=senior, appeal_id=appeal.pk)
        start = threading.Barrier(2)
        results: list[int] = []
        errors: list[BaseException] = []
        threads = [
            threading.Thread(target=_run, args=(results, errors, start, decision.ends_at)),
            threading.Thread(target=_overturn, args=(appeal.pk, senior, start, errors)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors, (trial, errors)
        account = decision.subject.account
        account.refresh_from_db()
        assert account.status == "active", trial
        # Whichever came first, the partner hears of the unblock once: the lift found the
        # reversal, or the reversal found the account already active (and still says so).
        lift = BlockLift.objects.get(decision=decision)
        events = Delivery.objects.filter(subject=account, event_type="subject.unblocked")
        if lift.outcome == "lifted":
            assert results == [1]
        else:
            assert results == [0] and events.count() == 1, trial
