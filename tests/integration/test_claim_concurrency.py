"""Many moderators pressing "claim next" at the same moment never get the same case."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from accounts.roles import Role
from antifraud.models import AuditEvent
from reviews import services
from reviews.models import Case
from reviews.queues import Queue
from tests.factories import UserFactory, listing_case

pytestmark = [pytest.mark.postgres, pytest.mark.integration]

MODERATORS = 10
CASES = 40


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_claims_never_share_a_case(kolesa):
    cases = {listing_case(kolesa, priority=p % 7).pk for p in range(CASES)}
    users = [
        UserFactory(username=f"mod{i}", partner=kolesa, role=Role.MODERATOR)
        for i in range(MODERATORS)
    ]
    queue = Queue.parse("partner:kolesa:listing")
    start = threading.Barrier(MODERATORS)
    claimed: dict[int, list[int]] = {u.pk: [] for u in users}
    errors: list[BaseException] = []

    def work(user) -> None:
        try:
            start.wait()
            while True:
                case = services.case_claim_next(actor=user, queue=queue)
                if case is None:
                    return
                claimed[user.pk].append(case.pk)
                # Escalating hands the case on, so the moderator's next claim is a new case.
                services.case_escalate(
                    actor=user, case_id=case.pk, note=f"worked by {user.username}"
                )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(u,)) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    every_claim = [pk for pks in claimed.values() for pk in pks]
    assert sorted(every_claim) == sorted(cases), "each case claimed exactly once"
    assert sum(1 for pks in claimed.values() if pks) > 1, "the work was shared"
    claims_per_case = Counter(
        AuditEvent.objects.filter(action="case.claimed").values_list("target_id", flat=True)
    )
    assert set(claims_per_case.values()) == {1}
    assert Case.objects.filter(status="escalated").count() == CASES
