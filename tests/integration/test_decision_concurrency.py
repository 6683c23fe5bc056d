"""Two moderators blocking the same account at the same instant, each from a different
listing of it: exactly one block, one set of partner events, and a clear refusal for the
other — never a second block, never a deadlock."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts.roles import Role
from antifraud.models import Delivery, Subject
from reviews import services
from reviews.models import Decision, Policy
from reviews.services import DecisionRefused, DecisionRequest
from tests.factories import SubjectFactory, UserFactory, listing_case

pytestmark = [pytest.mark.postgres, pytest.mark.integration]

TRIALS = 20


def decide(actor, case_id: int, request, start, outcomes: dict[str, object]) -> None:
    """One moderator's decision, in a thread of its own; what happened goes in `outcomes`."""
    try:
        start.wait(timeout=10)
        services.decision_record(actor=actor, case_id=case_id, request=request)
        outcomes[actor.username] = "decided"
    except DecisionRefused as refused:
        outcomes[actor.username] = refused
    except BaseException as error:  # a deadlock or anything else: the test fails
        outcomes[actor.username] = error
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_moderators_blocking_one_account_at_once(kolesa):
    first = UserFactory(username="mod.a", partner=kolesa, role=Role.MODERATOR)
    second = UserFactory(username="mod.b", partner=kolesa, role=Role.MODERATOR)
    policy = Policy.objects.get(code="fake-rental", is_current=True)
    request = DecisionRequest(
        action="block_account",
        policy_id=policy.pk,
        statement_of_reasons="Предоплата за бронь несуществующей квартиры.",
    )
    for trial in range(TRIALS):
        account = SubjectFactory(partner=kolesa, kind=Subject.Kind.ACCOUNT, title=f"t{trial}")
        cases = [listing_case(kolesa, account=account) for _ in range(2)]
        services.case_claim(actor=first, case_id=cases[0].pk)
        services.case_claim(actor=second, case_id=cases[1].pk)
        start = threading.Barrier(2)
        outcomes: dict[str, object] = {}
        threads = [
            threading.Thread(target=decide, args=(first, cases[0].pk, request, start, outcomes)),
            threading.Thread(target=decide, args=(second, cases[1].pk, request, start, outcomes)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        decided = [name for name, outcome in outcomes.items() if outcome == "decided"]
        refused = [o for o in outcomes.values() if isinstance(o, DecisionRefused)]
        assert len(decided) == 1 and len(refused) == 1, (trial, outcomes)
        assert refused[0].code == "already_blocked"
        assert f"by {decided[0]}" in refused[0].message
        blocks = Decision.objects.filter(action="block_account", case__in=cases)
        assert blocks.count() == 1, trial
        # One subject.blocked event per partner for the account, not two.
        events = Delivery.objects.filter(subject=account, event_type="subject.blocked")
        assert events.count() == 1, trial  # the test has one active partner
        account.refresh_from_db()
        assert account.status == Subject.Status.BLOCKED


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_rings_over_each_others_cases_never_deadlock(kolesa):
    """Each moderator decides a ring that takes in the other's case: whatever the timing,
    each gets a decision or a clean refusal — never a deadlock."""
    first = UserFactory(username="hub.a", partner=None, role=Role.MODERATOR)
    second = UserFactory(username="hub.b", partner=None, role=Role.MODERATOR)
    policy = Policy.objects.get(code="fake-rental", is_current=True)
    for trial in range(10):
        phone = f"+7701555{trial:04d}"
        cases = [listing_case(kolesa, phone=phone) for _ in range(2)]
        services.case_claim(actor=first, case_id=cases[0].pk)
        services.case_claim(actor=second, case_id=cases[1].pk)
        requests = [
            DecisionRequest(
                action="remove_listing",
                policy_id=policy.pk,
                statement_of_reasons="Одно кольцо, одни и те же контакты.",
                ring_subject_ids=(other.subject_id,),
            )
            for other in (cases[1], cases[0])
        ]
        start = threading.Barrier(2)
        outcomes: dict[str, object] = {}
        threads = [
            threading.Thread(target=decide, args=(user, case.pk, request, start, outcomes))
            for user, case, request in zip((first, second), cases, requests, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        unexpected = {
            name: outcome
            for name, outcome in outcomes.items()
            if outcome != "decided" and not isinstance(outcome, DecisionRefused)
        }
        assert not unexpected, (trial, unexpected)
        assert len(outcomes) == 2, (trial, outcomes)
