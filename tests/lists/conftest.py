"""Fixtures of the lists pages: partners of two kinds, staff of each role, and entries in
every state, made through the registry's services as partners and moderators make them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Partner, User
from accounts.roles import Role
from antifraud.models import Corroboration, Indicator
from antifraud.normalize import normalize
from antifraud.services.indicators import indicator_propose
from antifraud.services.registry import (
    dispute_open,
    hits_record,
    indicator_revoke,
    indicator_withdraw,
)
from tests.factories import PartnerFactory, UserFactory

CARD = "4111 1111 1111 1111"


def propose(partner: Partner, raw: str, *, kind: str = "phone", **fields) -> Indicator:
    """The partner's system proposes a value (or reports it, `source=…report`)."""
    value = normalize(kind, raw)
    fields.setdefault("reason", "Предоплата за несуществующий товар.")
    return indicator_propose(
        partner=partner, kind=value.kind, value=value.value, display=value.display, **fields
    ).indicator


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def halyk(db) -> Partner:
    return PartnerFactory(slug="halyk", name="Halyk Bank", kind=Partner.Kind.BANK)


@pytest.fixture
def staff(kolesa, krisha) -> dict[str, User]:
    def user(name: str, partner: Partner | None, role: str) -> User:
        return UserFactory(username=name, partner=partner, role=role)

    return {
        "kolesa.moderator": user("kolesa.moderator", kolesa, Role.MODERATOR),
        "kolesa.senior": user("kolesa.senior", kolesa, Role.SENIOR_MODERATOR),
        "kolesa.supervisor": user("kolesa.supervisor", kolesa, Role.SUPERVISOR),
        "krisha.moderator": user("krisha.moderator", krisha, Role.MODERATOR),
        "krisha.senior": user("krisha.senior", krisha, Role.SENIOR_MODERATOR),
        "hub.moderator": user("hub.moderator", None, Role.MODERATOR),
        "hub.senior": user("hub.senior", None, Role.SENIOR_MODERATOR),
        "hub.supervisor": user("hub.supervisor", None, Role.SUPERVISOR),
    }


@pytest.fixture
def entries(kolesa, krisha, halyk, staff) -> dict[str, Indicator]:
    """One entry in each state, all but one proposed by Kolesa."""
    now = timezone.now()
    made = {
        "in_force": propose(kolesa, "+77015550101", scheme="underpriced_vehicle"),
        "awaiting": propose(kolesa, "+77015550102", scheme="prepaid_delivery"),
        "disputed": propose(kolesa, "+77015550103"),
        "quarantined": propose(kolesa, "+77015550104"),
        "expired": propose(kolesa, "+77015550105", expires_in_days=1, now=now - timedelta(days=3)),
        "withdrawn": propose(kolesa, "+77015550106"),
        "revoked": propose(kolesa, "+77015550107"),
        "card": propose(kolesa, CARD, kind="card"),
        "krisha_expired": propose(
            krisha, "+77015550108", expires_in_days=1, now=now - timedelta(days=3)
        ),
    }
    # A bank's report makes two kinds of partner: the entry waits for a senior moderator.
    propose(
        halyk,
        "+77015550102",
        source=Corroboration.Source.REPORT,
        scheme="prepaid_delivery",
        amount=450_000,
        report_ref="HB-2026-0042",
    )
    dispute_open(
        actor=staff["krisha.moderator"],
        indicator_id=made["disputed"].pk,
        reason="Номер принадлежит нашему проверенному продавцу.",
    )
    hits_record({made["quarantined"].pk: 60})
    indicator_withdraw(partner=kolesa, indicator_id=made["withdrawn"].pk)
    indicator_revoke(
        actor=staff["hub.senior"],
        indicator_id=made["revoked"].pk,
        reason="Ошибочная запись.",
        wrong=False,
    )
    for entry in made.values():
        entry.refresh_from_db()
    return made
