"""The access policy's page predicates for templates: a link is shown to whoever the page
behind it lets in, by the same predicate its view is decorated with."""

from __future__ import annotations

from django import template

from antifraud import access

register = template.Library()


@register.filter
def may_read_approvals(user: access.Actor | None) -> bool:
    return access.may_read_approvals(user)


@register.filter
def may_open_oversight(user: access.Actor | None) -> bool:
    return access.may_open_oversight(user)
