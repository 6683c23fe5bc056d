"""Rings: connected components across partners, kept as reports arrive."""

from __future__ import annotations

import pytest

from antifraud.detection.rings import RING_VALUE_MAX, rings_update
from antifraud.models import Subject
from antifraud.selectors import ring_of, subjects_linked_to
from tests.factories import IdentifierFactory, PartnerFactory, SubjectFactory

pytestmark = pytest.mark.django_db


def ring(subject: Subject) -> int | None:
    subject.refresh_from_db()
    return subject.ring_id


def test_subjects_linked_through_each_other_across_partners_form_one_ring(kolesa):
    krisha, olx = PartnerFactory(slug="krisha"), PartnerFactory(slug="olx")
    a = SubjectFactory(partner=kolesa, kind="account")
    b = SubjectFactory(partner=krisha, kind="account")
    c = SubjectFactory(partner=olx, kind="account")
    alone = SubjectFactory(partner=olx, kind="account")
    IdentifierFactory(subject=a, kind="phone", value="+77015550101")
    IdentifierFactory(subject=b, kind="phone", value="+77015550101")
    IdentifierFactory(subject=b, kind="card", value="digest-1")
    IdentifierFactory(subject=c, kind="card", value="digest-1")  # c meets a only through b
    rings_update([a.pk])
    assert ring(a) == ring(b) == min(a.pk, b.pk) and ring(c) is None
    rings_update([c.pk])
    assert ring(a) == ring(b) == ring(c) == min(a.pk, b.pk, c.pk)
    assert ring(alone) is None
    assert ring_of(Subject.objects.get(pk=c.pk)) == (3, 3)
    # The case page lists a's ring: b directly, c through b, each with what it shares.
    linked = {e.subject.pk: e.shared_kinds for e in subjects_linked_to([a.pk])}
    assert linked == {b.pk: ["card", "phone"], c.pk: ["card"]}


def test_two_rings_merge_when_a_subject_joins_them(kolesa):
    a, b = SubjectFactory(partner=kolesa), SubjectFactory(partner=kolesa)
    c, d = SubjectFactory(partner=kolesa), SubjectFactory(partner=kolesa)
    IdentifierFactory(subject=a, kind="device", value="dev-a")
    IdentifierFactory(subject=b, kind="device", value="dev-a")
    IdentifierFactory(subject=c, kind="device", value="dev-c")
    IdentifierFactory(subject=d, kind="device", value="dev-c")
    rings_update([a.pk, c.pk])
    assert ring(a) == ring(b) != ring(c) == ring(d)
    bridge = SubjectFactory(partner=kolesa)
    IdentifierFactory(subject=bridge, kind="device", value="dev-a")
    IdentifierFactory(subject=bridge, kind="email", value="x@mail.kz")
    IdentifierFactory(subject=d, kind="email", value="x@mail.kz")
    rings_update([bridge.pk])
    assert len({ring(s) for s in (a, b, c, d, bridge)}) == 1


def test_a_listing_and_its_account_are_one_ring(kolesa):
    account = SubjectFactory(partner=kolesa, kind="account")
    listing = SubjectFactory(partner=kolesa, account=account)
    rings_update([listing.pk])
    assert ring(listing) == ring(account) == account.pk


def test_a_value_too_common_links_nobody(kolesa):
    holders = [SubjectFactory(partner=kolesa) for _ in range(RING_VALUE_MAX + 1)]
    for subject in holders:
        IdentifierFactory(subject=subject, kind="phone", value="+77272000000")
    rings_update([holders[0].pk])
    assert ring(holders[0]) is None and ring(holders[1]) is None
