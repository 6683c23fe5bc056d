"""Photos and notes in a real browser: a thumbnail opens large in a dialog (arrows step, Esc
closes, the page's shortcuts keep still), a reused-photo signal shows both photos side by
side with their distance, and a note added with the keyboard shows on a later case."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from antifraud.models import Photo, Signal
from reviews.models import Case, SubjectNote
from tests.factories import CaseFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

USERNAME = "hub.moderator1"


def reused_photo_case(user: User) -> tuple[Case, Signal]:
    """A waiting case of the demo with a reused-photo signal whose first match is another
    subject with a photo at the hub, and photos of its own."""
    with_images = set(
        Photo.objects.exclude(image="").values_list("subject_id", flat=True).distinct()
    )
    cases = (
        Case.objects.visible_to(user)
        .filter(status=Case.Status.OPEN, signals__rule="photo.reused")
        .order_by("-priority", "pk")
        .distinct()
    )
    for case in cases:
        for signal in case.signals.filter(rule="photo.reused"):
            matches = signal.details.get("subjects") or []
            if (
                matches
                and matches[0]["subject"] in with_images
                and case.subject_id in with_images
                and Photo.objects.filter(subject_id=case.subject_id).exclude(image="").count() > 1
            ):
                return case, signal
    raise AssertionError("the demo has no open case with a reused photo shown at the hub")


def loaded(page: Page, image) -> None:
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )


def test_photos_enlarge_and_compare_and_notes_follow_the_subject(
    page: Page, live_server, sign_in, console, artifacts
):
    sign_in(USERNAME)
    user = User.objects.get(username=USERNAME)
    case, signal = reused_photo_case(user)
    page.goto(f"{live_server.url}/cases/{case.pk}/")

    # The reused-photo signal: both photos side by side, with their distance.
    distance = signal.details["subjects"][0]["distance"]
    pair = page.locator(".signals-card .photo-pair").first
    expect(pair.locator("img")).to_have_count(2)
    for index in range(2):
        loaded(page, pair.locator("img").nth(index))
    expect(pair.locator(".pair-distance")).to_contain_text(
        f"{distance} bit" if distance == 1 else f"{distance} bits"
    )
    own, other = (pair.locator("img").nth(i).bounding_box() for i in range(2))
    assert own and other and abs(own["y"] - other["y"]) < 2 and other["x"] > own["x"] + own["width"]
    expect(pair.locator(".pair-other figcaption a")).to_have_attribute(
        "href", re.compile(r"^/(cases|subjects)/\d+/")
    )

    # A thumbnail opens the photo large; arrows step through the subject's photos.
    thumbnails = page.locator(".subject-card .photos a[data-photo-open]")
    count = thumbnails.count()
    assert count > 1
    thumbnails.first.scroll_into_view_if_needed()
    thumbnails.first.click()
    viewer = page.locator("#photo-viewer")
    expect(viewer).to_be_visible()
    large = viewer.locator("img[data-photo-large]")
    expect(large).to_have_attribute("src", thumbnails.first.get_attribute("href"))
    loaded(page, large)
    shown = large.bounding_box()
    assert shown and shown["width"] > 160, "the dialog shows the photo larger than its thumbnail"
    expect(viewer.locator("[data-photo-position]")).to_have_text(f"1 / {count}")
    page.screenshot(path=str(artifacts / "photo-viewer.png"), caret="initial")
    page.keyboard.press("ArrowRight")
    expect(viewer.locator("[data-photo-position]")).to_have_text(f"2 / {count}")
    expect(large).to_have_attribute("src", thumbnails.nth(1).get_attribute("href"))
    page.keyboard.press("ArrowLeft")
    expect(viewer.locator("[data-photo-position]")).to_have_text(f"1 / {count}")
    # The page's shortcuts keep still while the dialog is open.
    page.keyboard.press("?")
    expect(page.locator("#shortcuts-help")).not_to_be_visible()
    page.keyboard.press("Escape")
    expect(viewer).not_to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/cases/{case.pk}/")

    # A note, with the keyboard alone: Ctrl+Enter adds it and the card shows it.
    field = page.locator("#id_note_text")
    field.focus()
    page.keyboard.type("Звонил с номера другого аккаунта — проверить оба.")
    page.keyboard.press("Control+Enter")
    notes = page.locator("#notes .note")
    expect(notes).to_have_count(
        SubjectNote.objects.filter(
            subject_id__in=[case.subject_id, case.subject.account_id or 0]
        ).count()
    )
    expect(notes.first).to_contain_text("Звонил с номера другого аккаунта — проверить оба.")
    expect(notes.first).to_contain_text("you")
    expect(page.locator("#id_note_text")).to_have_value("")
    page.screenshot(
        path=str(artifacts / "case-notes-and-pairs.png"), full_page=True, caret="initial"
    )
    note = SubjectNote.objects.get(text="Звонил с номера другого аккаунта — проверить оба.")
    assert (note.subject_id, note.case_id, note.author) == (case.subject_id, case.pk, user)

    # A later case of the same subject shows it, with a link to the case it was written on.
    Case.objects.filter(pk=case.pk).update(status=Case.Status.DECIDED, decided_at=timezone.now())
    later = CaseFactory(subject=case.subject)
    page.goto(f"{live_server.url}/cases/{later.pk}/")
    written = page.locator(f"#note-{note.pk}")
    expect(written).to_contain_text("Звонил с номера другого аккаунта — проверить оба.")
    written.get_by_role("link", name=f"case {case.pk}").click()
    expect(page).to_have_url(f"{live_server.url}/cases/{case.pk}/")
    assert console.errors == [], "\n".join(console.errors)
