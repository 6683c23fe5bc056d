"""A small world of decided cases and closed appeals on two partners, made through the
services as moderators and reviewers make them, and the staff who read the logs.

The `logs` fixture is a plugin of tests/conftest.py."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from accounts.models import User
from accounts.roles import Role
from antifraud.models import Scheme, Signal
from reviews import services
from reviews.models import Appeal, Decision, Policy
from reviews.services import DecisionRequest
from tests.factories import SignalFactory, UserFactory, listing_case

STATEMENT = "Мои фотографии, сделаны лично; прошу пересмотреть решение."
# What a scammer might put where a spreadsheet would read a formula.
FORMULA = '=HYPERLINK("http://evil.example","Открыть")'


@dataclass(frozen=True)
class Logs:
    staff: dict[str, User]
    decisions: dict[str, Decision]
    appeals: dict[str, Appeal]


def decide(user: User, case_id: int, action: str, policy: str, statement: str) -> Decision:
    services.case_claim(actor=user, case_id=case_id)
    outcome = services.decision_record(
        actor=user,
        case_id=case_id,
        request=DecisionRequest(
            action=action,
            policy_id=Policy.objects.get(code=policy, is_current=True).pk,
            statement_of_reasons=statement,
        ),
    )
    return outcome.decisions[0]


def resolve(reviewer: User, decision: Decision, *, overturn: bool) -> Appeal:
    appeal = services.appeal_file(decision_id=decision.pk, statement=STATEMENT, consent=True)
    services.appeal_claim(actor=reviewer, appeal_id=appeal.pk)
    return services.appeal_resolve(
        actor=reviewer,
        appeal_id=appeal.pk,
        overturn=overturn,
        reply="Решение пересмотрено." if overturn else "Решение оставлено в силе.",
    )


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def logs(kolesa, krisha) -> Logs:
    def staff(name: str, partner, role: str) -> User:
        return UserFactory(username=name, partner=partner, role=role)

    people = {
        "kolesa.moderator": staff("kolesa.moderator", kolesa, Role.MODERATOR),
        "kolesa.senior": staff("kolesa.senior", kolesa, Role.SENIOR_MODERATOR),
        "kolesa.supervisor": staff("kolesa.supervisor", kolesa, Role.SUPERVISOR),
        "kolesa.admin": staff("kolesa.admin", kolesa, Role.ADMIN),
        "krisha.moderator": staff("krisha.moderator", krisha, Role.MODERATOR),
        "krisha.supervisor": staff("krisha.supervisor", krisha, Role.SUPERVISOR),
        "hub.moderator": staff("hub.moderator", None, Role.MODERATOR),
        "hub.senior": staff("hub.senior", None, Role.SENIOR_MODERATOR),
        "hub.supervisor": staff("hub.supervisor", None, Role.SUPERVISOR),
    }
    mod = people["kolesa.moderator"]
    blocked = decide(
        mod,
        listing_case(kolesa).pk,
        "block_account",
        "underpriced-vehicle",
        "Цена вдвое ниже рынка, требование задатка.",
    )
    removed = decide(
        mod,
        listing_case(kolesa, scheme=Scheme.FAKE_PHOTOS).pk,
        "remove_listing",
        "fake-photos",
        "Фотографии из чужого объявления.",
    )
    cleared = decide(mod, listing_case(kolesa).pk, "clear", "no-violation", "Нарушений нет.")
    # Raised by a detection rule, decided by the hub.
    detected = listing_case(kolesa)
    detected.signals.add(
        SignalFactory(subject=detected.subject, source=Signal.Source.DETECTION_RULE)
    )
    automated = decide(
        people["hub.moderator"], detected.pk, "remove_listing", "underpriced-vehicle", FORMULA
    )
    foreign = decide(
        people["krisha.moderator"],
        listing_case(krisha, scheme=Scheme.FAKE_RENTAL).pk,
        "block_account",
        "fake-rental",
        "Предоплата за бронь несуществующей квартиры.",
    )
    overturned = resolve(people["hub.senior"], blocked, overturn=True)
    upheld = resolve(people["kolesa.senior"], removed, overturn=False)
    filed = services.appeal_file(decision_id=foreign.pk, statement=STATEMENT, consent=True)
    withdrawn = services.appeal_withdraw(appeal_id=filed.pk)
    return Logs(
        staff=people,
        decisions={
            "blocked": blocked,
            "removed": removed,
            "cleared": cleared,
            "automated": automated,
            "foreign": foreign,
            "reversal": Decision.objects.get(reverses=blocked),
        },
        appeals={"overturned": overturned, "upheld": upheld, "withdrawn": withdrawn},
    )
