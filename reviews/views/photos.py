"""A subject's photos, served to staff only."""

from __future__ import annotations

import mimetypes

from django.http import FileResponse, Http404
from django.views.decorators.http import require_GET

from accounts.http import StaffRequest
from antifraud.access import staff_page, visible_or_404
from antifraud.models import Photo


@staff_page("antifraud.view_photo")
@require_GET
def photo(request: StaffRequest, photo_id: int) -> FileResponse:
    """Photos are evidence: served to staff who may see the subject, never from a public URL."""
    item = visible_or_404(request.user, Photo.objects.select_related("subject"), photo_id)
    if not item.image:
        raise Http404("no such photo")
    try:
        handle = item.image.open("rb")
    except FileNotFoundError as exc:
        raise Http404("photo file missing") from exc
    content_type = mimetypes.guess_type(item.image.name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
