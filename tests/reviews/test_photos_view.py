"""The case page's photos: thumbnails that open the full photo, and each reused-photo signal's
two photos side by side with their distance, shown only to who may see the other photo."""

from __future__ import annotations

import io
import re
from functools import cache
from typing import cast

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.roles import Role
from antifraud import detection
from antifraud.detection import photos as family
from antifraud.models import Indicator, IndicatorKind, Photo, Scheme, Signal, Subject
from antifraud.photos import pdq_distance, photo_hashes, photo_store
from antifraud.services import indicator_list
from reviews.models import Case
from reviews.selectors import photo_pairs
from tests.factories import CaseFactory, PartnerFactory, SubjectFactory, UserFactory

pytestmark = pytest.mark.django_db


@cache
def jpeg(seed: int, *, mirrored: bool = False, quality: int = 90) -> bytes:
    """A photo of its own (coloured blocks, smoothly blended); mirrored, a stolen copy."""
    blocks = np.random.default_rng(seed).integers(0, 256, (6, 9, 3), dtype=np.uint8)
    image = Image.fromarray(blocks).resize((360, 240), Image.Resampling.BICUBIC)
    if mirrored:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def show(subject: Subject, data: bytes) -> Photo:
    """A photo the hub holds, stored and indexed as intake does."""
    hashes = photo_hashes(data)
    photo = Photo.objects.create(
        subject=subject,
        position=subject.photos.count(),
        image=photo_store(data, hashes.sha256),
        sha256=hashes.sha256,
        pdq_hash=hashes.pdq_hash,
        pdq_quality=hashes.pdq_quality,
    )
    family.photos_index([photo], variants={photo.pdq_hash: hashes.dihedral})
    return photo


def listing(partner, title: str) -> Subject:
    owner = SubjectFactory(partner=partner, kind=Subject.Kind.ACCOUNT, title=f"owner of {title}")
    return cast(Subject, SubjectFactory(partner=partner, title=title, account=owner))


def case_of(subject: Subject) -> Case:
    """Run detection on the subject and open a case with its signals."""
    detection.run_batch([subject], now=timezone.now())
    case = CaseFactory(subject=subject, scheme=Scheme.FAKE_PHOTOS)
    case.signals.add(*Signal.objects.filter(subject=subject))
    return case


def reused_signal(subject: Subject) -> Signal:
    return Signal.objects.get(subject=subject, rule="photo.reused")


@pytest.fixture
def olx(db):
    return PartnerFactory(slug="olx", name="OLX.kz")


@pytest.fixture
def world(kolesa, olx):
    """A scam listing on OLX showing, as its second photo, a mirrored copy of an honest
    Kolesa listing's photo; the honest listing has two other photos besides."""
    honest = listing(kolesa, "Honest Camry")
    show(honest, jpeg(11))
    original = show(honest, jpeg(1))
    show(honest, jpeg(12))
    scam = listing(olx, "Scam Camry")
    show(scam, jpeg(7))
    copy = show(scam, jpeg(1, mirrored=True))
    return {"honest": honest, "original": original, "scam": scam, "copy": copy}


@pytest.fixture
def hub_supervisor(db):
    return UserFactory(username="hub.supervisor", partner=None, role=Role.SUPERVISOR)


def test_the_pair_is_the_copy_and_the_other_subjects_nearest_photo(world, hub_moderator):
    case_of(world["scam"])
    signal = reused_signal(world["scam"])
    [pair] = photo_pairs(user=hub_moderator, signals=[signal])[signal.pk]
    assert pair.number == 2
    assert pair.own == world["copy"]
    # Of the honest listing's three photos, the one the copy was made from.
    assert pair.other == world["original"]
    assert pair.other_subject == world["honest"]
    assert pair.distance == signal.details["subjects"][0]["distance"]
    # Mirrored, the plain hashes are far apart: the pair was found through the variants.
    assert pdq_distance(pair.own.pdq_hash, pair.other.pdq_hash) > 31 >= pair.distance
    assert not pair.hidden and not pair.blacklisted


def test_the_case_page_shows_both_photos_side_by_side(client, world, hub_moderator):
    case = case_of(world["scam"])
    signal = reused_signal(world["scam"])
    distance = signal.details["subjects"][0]["distance"]
    client.force_login(hub_moderator)
    content = client.get(reverse("case", args=[case.pk])).content.decode()
    [pair] = re.findall(r'<div class="photo-pair".*?</figure>\s*</div>', content, re.S)
    assert f'src="{reverse("photo", args=[world["copy"].pk])}"' in pair
    assert f'src="{reverse("photo", args=[world["original"].pk])}"' in pair
    assert f"{distance} bits" in pair
    # The honest listing has no open case: its link is its story.
    assert f'href="{reverse("subject-story", args=[world["honest"].pk])}"' in pair
    # Once it has one, the link opens that case.
    honest_case = CaseFactory(subject=world["honest"])
    content = client.get(reverse("case", args=[case.pk])).content.decode()
    assert f'href="{reverse("case", args=[honest_case.pk])}"' in content


def test_another_partners_photo_is_named_not_shown(client, world, olx):
    case = case_of(world["scam"])
    olx_moderator = UserFactory(username="olx.mod", partner=olx, role=Role.MODERATOR)
    client.force_login(olx_moderator)
    content = client.get(reverse("case", args=[case.pk])).content.decode()
    [pair] = re.findall(r'<div class="photo-pair".*?</figure>\s*</div>', content, re.S)
    assert "A photo on another partner: not shown to you." in pair
    assert f'src="{reverse("photo", args=[world["copy"].pk])}"' in pair
    assert reverse("photo", args=[world["original"].pk]) not in content
    assert reverse("subject-story", args=[world["honest"].pk]) not in content
    assert "Honest Camry" not in content
    # And the photo itself stays out of reach.
    assert client.get(reverse("photo", args=[world["original"].pk])).status_code == 404


def test_a_copy_of_a_black_listed_photo_links_the_entry(client, olx, hub_moderator):
    hashes = photo_hashes(jpeg(6))
    entry = indicator_list(
        actor=None,
        kind=IndicatorKind.PHOTO,
        value=hashes.pdq_hash,
        display=hashes.pdq_hash[:12],
        list=Indicator.List.BLACK,
        origin=Indicator.Origin.DECISION,
        scheme=Scheme.FAKE_RENTAL,
        reason="someone else's flat",
    ).indicator
    family.indicator_photos_index([entry.value])
    scam = listing(olx, "Scam flat")
    copy = show(scam, jpeg(6, mirrored=True))
    case = case_of(scam)
    signal = reused_signal(scam)
    [pair] = photo_pairs(user=hub_moderator, signals=[signal])[signal.pk]
    assert pair.blacklisted and pair.indicator == entry and pair.own == copy
    client.force_login(hub_moderator)
    content = client.get(reverse("case", args=[case.pk])).content.decode()
    [shown] = re.findall(r'<div class="photo-pair".*?</figure>\s*</div>', content, re.S)
    assert f'src="{reverse("photo", args=[copy.pk])}"' in shown
    assert f'href="{reverse("list-entry", args=[entry.pk])}"' in shown
    assert "black-listed photo" in shown


def test_thumbnails_link_to_the_full_photo_and_the_page_has_the_viewer(
    client, world, hub_moderator
):
    case = case_of(world["scam"])
    client.force_login(hub_moderator)
    content = client.get(reverse("case", args=[case.pk])).content.decode()
    for photo in world["scam"].photos.all():
        url = reverse("photo", args=[photo.pk])
        assert f'<a href="{url}" class="photo-open" data-photo-open><img src="{url}"' in content
    assert '<dialog id="photo-viewer"' in content
    assert "/static/js/photos.js" in content
    assert " style=" not in content and "<script>" not in content


def test_pairs_need_no_query_per_signal_or_match(
    client, kolesa, olx, hub_moderator, django_assert_max_num_queries
):
    """More reused-photo signals, each with more matches, cost the page no more queries."""
    scam = listing(olx, "Scam")
    honest = listing(kolesa, "Honest")
    show(honest, jpeg(21))
    show(scam, jpeg(21, mirrored=True))
    case = case_of(scam)
    url = reverse("case", args=[case.pk])
    client.force_login(hub_moderator)
    client.get(url)
    with django_assert_max_num_queries(60) as few:
        client.get(url)
    for seed in range(22, 26):
        for partner in (kolesa, olx):
            show(listing(partner, f"Honest {seed}"), jpeg(seed))
        show(scam, jpeg(seed, mirrored=True))
    detection.run_batch([scam], now=timezone.now())
    # A second reused-photo signal on the case (from a later run with more matches).
    case.signals.add(*Signal.objects.filter(subject=scam, rule="photo.reused"))
    assert case.signals.filter(rule="photo.reused").count() == 2
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    pairs = response.context["detail"].photo_pairs
    assert sum(len(rows) for rows in pairs.values()) == 1 + 3


def test_a_case_without_a_reused_photo_signal_asks_nothing_more(
    world, hub_moderator, django_assert_num_queries
):
    signal = Signal.objects.create(
        subject=world["scam"], source=Signal.Source.USER_COMPLAINT, scheme=Scheme.OTHER, score=10
    )
    with django_assert_num_queries(0):
        assert photo_pairs(user=hub_moderator, signals=[signal]) == {}
