"""A subject's whole story, for staff who may see the subject."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.http import StaffRequest
from antifraud.access import staff_page
from reviews.story import ITEMS_PER_KIND, subject_story


@staff_page("antifraud.view_subject")
@require_GET
def subject_story_page(request: StaffRequest, subject_id: int) -> HttpResponse:
    story = subject_story(user=request.user, subject_id=subject_id)
    return render(request, "reviews/story.html", {"story": story, "items_per_kind": ITEMS_PER_KIND})
