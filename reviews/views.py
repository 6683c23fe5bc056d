"""The moderators' pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.permissions import STAFF_ROLES, role_required
from reviews.selectors import queue_counts


@role_required(*STAFF_ROLES)
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "reviews/home.html", {"queues": queue_counts(user=request.user)})
