"""The decision's evidence snapshot, readable, wherever a page shows it."""

from __future__ import annotations

from typing import Any

from django import template

from reviews.evidence import evidence_view

register = template.Library()


@register.inclusion_tag("reviews/_evidence.html", takes_context=True)
def evidence_snapshot(context: template.Context, evidence: Any) -> dict[str, Any]:
    """`{% evidence_snapshot decision.evidence %}`: labels, local times, and links to the
    linked subjects the reader may open."""
    request = context.get("request")
    return {"ev": evidence_view(evidence, user=getattr(request, "user", None))}
