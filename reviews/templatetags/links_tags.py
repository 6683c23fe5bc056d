"""Where a link to a subject, a case or a photo goes, decided in one place for every staff
page.

A subject's link goes to its open case when the reader may see one (the page they can act
on), else to its story page; a subject the reader may not see is named without a link. The
open case comes with the subject (`reviews.selectors.with_open_case` annotates it as
`open_case_id`), so a page of many subjects asks no query per link.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from antifraud import access

register = template.Library()


def subject_url(user: Any, subject: Any, open_case_id: int | None = None) -> str:
    """The page a link to the subject opens for the user, or "" when they may not see it.
    `open_case_id` is the subject's open case the user may see, when the page knows it
    otherwise than as the subject's `open_case_id`."""
    if subject is None or not access.in_scope(user, subject):
        return ""
    case_id = open_case_id or getattr(subject, "open_case_id", None)
    if case_id and access.may(user, "reviews.view_case"):
        return reverse("case", args=[case_id])
    return reverse("subject-story", args=[subject.pk])


@register.simple_tag(takes_context=True)
def subject_href(context: template.Context, subject: Any, open_case_id: int | None = None) -> str:
    """`{% subject_href subject as href %}`: the subject's link for the signed-in reader."""
    return subject_url(context.get("user"), subject, open_case_id)


@register.simple_tag(takes_context=True)
def case_href(context: template.Context, case_id: int | None) -> str:
    """A case's page, for readers who may open case pages (each case page checks its own
    partner)."""
    user = context.get("user")
    if not case_id or not access.may(user, "reviews.view_case"):
        return ""
    return reverse("case", args=[case_id])


@register.filter
def item(mapping: dict[Any, Any] | None, key: Any) -> Any:
    """`mapping|item:key`: a dict's value for a key from the page (None when missing)."""
    return (mapping or {}).get(key)
