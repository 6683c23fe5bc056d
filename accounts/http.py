"""Typed requests for views: what a page receives once its access check let it in."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from accounts.models import User


class StaffRequest(HttpRequest):
    """A request from signed-in staff (`antifraud.access.staff_page` guarantees it), with
    django-htmx's details of the htmx request, if it is one."""

    user: User
    htmx: HtmxDetails


class PublicRequest(HttpRequest):
    """A request to a page open to anyone; django-htmx's details are there too."""

    htmx: HtmxDetails
