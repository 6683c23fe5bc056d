"""Time-limited blocks in the partners' event feed: `subject.blocked` says when the block
ends (null: permanent), and its end comes as `subject.unblocked` with the reason."""

from __future__ import annotations

from datetime import timedelta

import pytest

from antifraud.services import feed_extend
from reviews import services
from reviews.models import Policy
from reviews.services import DecisionRequest
from reviews.services.block_ends import block_ends_lift
from tests.factories import listing_case

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/"


def block(kolesa, moderator, days: int):
    case = listing_case(kolesa)
    services.case_claim(actor=moderator, case_id=case.pk)
    return services.decision_record(
        actor=moderator,
        case_id=case.pk,
        request=DecisionRequest(
            action="block_account",
            policy_id=Policy.objects.get(code="fake-photos", is_current=True).pk,
            statement_of_reasons="Фотографии из чужого объявления.",
            block_days=days,
        ),
    ).decisions[0]


def events(api, kind: str) -> list[dict]:
    feed_extend()
    return [e for e in api.get(URL).json()["events"] if e["type"] == kind]


def test_the_blocks_end_is_in_the_feed_and_so_is_its_lifting(api, krisha_api, kolesa, moderator):
    limited = block(kolesa, moderator, 7)
    permanent = block(kolesa, moderator, 0)
    blocked = {e["data"]["decision"]["id"]: e for e in events(api, "subject.blocked")}
    assert blocked[limited.pk]["data"]["decision"]["ends_at"] == limited.ends_at.isoformat()
    assert blocked[permanent.pk]["data"]["decision"]["ends_at"] is None
    # Everything that was there before is still there: the field is added, nothing else moves.
    assert {"id", "action", "policy", "decided_at", "statement_of_reasons", "appeal_url"} <= set(
        blocked[limited.pk]["data"]["decision"]
    )
    # Other partners learn of the end too (without the statement, as for every block).
    [other] = [
        e
        for e in events(krisha_api, "subject.blocked")
        if e["data"]["decision"]["id"] == limited.pk
    ]
    assert other["data"]["decision"]["ends_at"] == limited.ends_at.isoformat()
    assert "statement_of_reasons" not in other["data"]["decision"]

    block_ends_lift(now=limited.ends_at + timedelta(minutes=5))
    [unblocked] = events(api, "subject.unblocked")
    assert unblocked["data"]["reason"] == "block_ended"
    assert unblocked["data"]["subject"]["external_id"] == limited.subject.account.external_id
    assert unblocked["data"]["decision"]["id"] == limited.pk
