"""photo.reused: another account's photo, or a black-listed one, shown again — mirrored too."""

from __future__ import annotations

import io
from functools import cache
from typing import cast

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from antifraud import detection
from antifraud.detection import photos as family
from antifraud.detection.base import Batch, signal_explanation
from antifraud.models import Indicator, IndicatorKind, Photo, Scheme, Signal, Subject
from antifraud.photos import PhotoHashes, photo_hashes
from antifraud.services import indicator_list
from tests.factories import IdentifierFactory, PartnerFactory, SubjectFactory

pytestmark = pytest.mark.django_db

RULE = "photo.reused"
DEFAULTS = dict(family.RULES[0].defaults)


@cache
def picture(seed: int, *, mirrored: bool = False) -> PhotoHashes:
    """A photo of its own (coloured blocks, smoothly blended), as a JPEG's hashes; mirrored,
    a stolen copy."""
    blocks = np.random.default_rng(seed).integers(0, 256, (6, 9, 3), dtype=np.uint8)
    image = Image.fromarray(blocks).resize((360, 240), Image.Resampling.BICUBIC)
    if mirrored:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return photo_hashes(out.getvalue())


# factory_boy's types name the factory, not the model it makes.
def account(partner, name: str = "Ерлан Т.") -> Subject:
    return cast(Subject, SubjectFactory(partner=partner, kind=Subject.Kind.ACCOUNT, title=name))


def listing(partner, owner: Subject | None) -> Subject:
    return cast(Subject, SubjectFactory(partner=partner, kind=Subject.Kind.LISTING, account=owner))


def show(
    subject: Subject, hashes: PhotoHashes, *, image: bool = True, quality: int | None = None
) -> Photo:
    """A photo on the subject, indexed as intake and the fetch would: with its dihedral hashes
    when the hub had the image, else only the hash the partner sent."""
    photo = Photo.objects.create(
        subject=subject,
        position=subject.photos.count(),
        pdq_hash=hashes.pdq_hash,
        pdq_quality=quality if quality is not None else (hashes.pdq_quality if image else None),
    )
    family.photos_index([photo], variants={photo.pdq_hash: hashes.dihedral} if image else None)
    return photo


def reused(subject: Subject) -> list[Signal]:
    return list(Signal.objects.filter(subject=subject, rule=RULE))


@pytest.fixture
def olx(db):
    return PartnerFactory(slug="olx", name="OLX.kz")


@pytest.mark.parametrize(
    ("original_image", "copy_image"),
    [(True, False), (False, True), (True, True)],
    ids=["original-has-variants", "copy-has-variants", "both"],
)
def test_a_mirrored_copy_of_another_accounts_photo_is_found(
    kolesa, olx, original_image, copy_image
):
    honest = listing(kolesa, account(kolesa, "Айгуль С."))
    show(honest, picture(1), image=original_image)
    scam = listing(olx, account(olx))
    show(scam, picture(7))  # a photo of its own first
    show(scam, picture(1, mirrored=True), image=copy_image)

    findings = detection.run_batch([scam], now=timezone.now())

    [signal] = reused(scam)
    assert signal in findings[scam.pk].signals
    assert signal.score == 70
    assert signal.scheme == Scheme.FAKE_PHOTOS
    assert not signal.shadow
    [match] = signal.details["subjects"]
    assert match["subject"] == honest.pk
    assert match["photo"] == 2
    assert match["distance"] <= 31
    assert signal.details["indicators"] == []
    assert signal.explanation == (
        f"Photo 2 is {match['distance']} bits from a photo of another account "
        f"(Kolesa.kz, #{honest.pk})."
    )
    assert signal_explanation(signal, "ru")  # renders in any language
    # The honest listing, looked at in turn, is flagged too: the photos are the same.
    detection.run_batch([honest], now=timezone.now())
    [back] = reused(honest)
    assert back.details["subjects"][0]["subject"] == scam.pk


def test_a_copy_on_the_same_partner_by_another_account_is_found(kolesa):
    show(listing(kolesa, account(kolesa, "Айгуль С.")), picture(2))
    scam = listing(kolesa, None)  # the partner did not say who posted it
    show(scam, picture(2, mirrored=True))
    detection.run_batch([scam], now=timezone.now())
    assert len(reused(scam)) == 1


def test_an_accounts_own_photos_are_not_evidence(kolesa):
    seller = account(kolesa)
    show(seller, picture(3))  # the profile photo
    first = listing(kolesa, seller)
    show(first, picture(3, mirrored=True))
    relisted = listing(kolesa, seller)
    show(relisted, picture(3))
    IdentifierFactory(subject=relisted, kind=IndicatorKind.PHOTO, value=picture(3).pdq_hash)

    detection.run_batch([seller, first, relisted], now=timezone.now())

    assert not Signal.objects.filter(rule=RULE).exists()


def test_unrelated_photos_are_not_matched(kolesa, olx):
    show(listing(kolesa, account(kolesa)), picture(4))
    other = listing(olx, account(olx))
    show(other, picture(5))
    detection.run_batch([other], now=timezone.now())
    assert reused(other) == []


def test_a_copy_of_a_black_listed_photo_scores_higher(kolesa, olx):
    listed = picture(6)
    entry = indicator_list(
        actor=None,
        kind=IndicatorKind.PHOTO,
        value=listed.pdq_hash,
        display=listed.pdq_hash[:12],
        list=Indicator.List.BLACK,
        origin=Indicator.Origin.DECISION,
        scheme=Scheme.FAKE_RENTAL,
        reason="фото чужой квартиры",
    ).indicator
    family.indicator_photos_index([entry.value])
    scam = listing(olx, account(olx))
    show(scam, picture(6, mirrored=True))

    detection.run_batch([scam], now=timezone.now())

    [signal] = reused(scam)
    assert signal.score == 85
    assert signal.scheme == Scheme.FAKE_RENTAL  # the entry's scheme says better
    [match] = signal.details["indicators"]
    assert match["indicator"] == entry.pk
    assert signal.explanation == (
        f"Photo 1 is {match['distance']} bits from a black-listed photo "
        f"(listed {timezone.localtime(entry.listed_at):%Y-%m-%d})."
    )
    # A black-listed photo also shown by another account: one signal, the stronger one.
    honest = listing(kolesa, account(kolesa))
    show(honest, picture(6))
    later = listing(olx, account(olx, "Болат К."))
    show(later, picture(6, mirrored=True))
    detection.run_batch([later], now=timezone.now())
    [both] = reused(later)
    assert both.score == 85
    assert {m["subject"] for m in both.details["subjects"]} == {honest.pk, scam.pk}


def test_the_exact_listed_hash_is_left_to_the_list_match(olx):
    listed = picture(8)
    indicator_list(
        actor=None,
        kind=IndicatorKind.PHOTO,
        value=listed.pdq_hash,
        display=listed.pdq_hash[:12],
        list=Indicator.List.BLACK,
        origin=Indicator.Origin.DECISION,
    )
    family.indicator_photos_index([listed.pdq_hash])
    scam = listing(olx, account(olx))
    show(scam, listed)
    IdentifierFactory(subject=scam, kind=IndicatorKind.PHOTO, value=listed.pdq_hash)

    detection.run_batch([scam], now=timezone.now())

    assert Signal.objects.filter(subject=scam, rule="lists.match").count() == 1
    assert reused(scam) == []


def test_low_quality_photos_are_ignored(kolesa, olx):
    show(listing(kolesa, account(kolesa)), picture(9))
    scam = listing(olx, account(olx))
    show(scam, picture(9, mirrored=True), quality=30)
    detection.run_batch([scam], now=timezone.now())
    assert reused(scam) == []
    # An unknown quality (a hash the partner sent) is compared.
    unknown = listing(olx, account(olx, "Болат К."))
    show(unknown, picture(9), image=False)
    detection.run_batch([unknown], now=timezone.now())
    assert len(reused(unknown)) == 1


def test_the_same_evidence_is_not_stored_twice(kolesa, olx):
    show(listing(kolesa, account(kolesa)), picture(10))
    scam = listing(olx, account(olx))
    show(scam, picture(10, mirrored=True))
    detection.run_batch([scam], now=timezone.now())
    detection.run_batch([scam], now=timezone.now())
    assert len(reused(scam)) == 1
    # New evidence (a third account's copy) is a new signal.
    show(listing(kolesa, account(kolesa, "Болат К.")), picture(10))
    detection.run_batch([scam], now=timezone.now())
    assert len(reused(scam)) == 2


def test_queries_do_not_grow_with_the_batch(kolesa, olx):
    scams = []
    for seed in range(100, 122):
        show(listing(kolesa, account(kolesa)), picture(seed))
        scam = listing(olx, account(olx))
        show(scam, picture(seed, mirrored=True))
        show(scam, picture(seed + 1000))
        scams.append(scam)
    small, large = scams[:2], scams[2:]
    now = timezone.now()

    counts = {}
    for name, subjects in (("small", small), ("large", large)):
        batch = Batch(subjects, now)
        with CaptureQueriesContext(connection) as rule_only:
            hits = list(family.detect(batch, DEFAULTS))
        assert len(hits) == len(subjects)
        with CaptureQueriesContext(connection) as whole_run:
            detection.run_batch(subjects, now=now)
        counts[name] = (len(rule_only), len(whole_run))

    # Dihedral hashes, the index, who shows the hashes, the black list.
    assert counts["small"][0] == counts["large"][0] == 4
    assert counts["small"][1] == counts["large"][1]
    assert Signal.objects.filter(rule=RULE).count() == 22
