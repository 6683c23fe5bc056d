"""The published policy catalogue and its version history, open to anyone in English,
Russian and Kazakh.

Each page is one query whatever the size of the catalogue, rendered once per language and
generation of the public pages (a publication starts a new one) and then served from the
cache. Drafts are never read here: every query asks for published versions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from antifraud.access import public_page
from antifraud.models import Scheme
from reviews.models import Policy
from reviews.public_site import page_context, public_page_cached


@dataclass(frozen=True)
class PolicyEntry:
    """One version as the public reads it, in the page's language."""

    code: str
    version: int
    title: str
    text: str
    leads_to: list[str]
    published_at: datetime | None
    superseded_at: datetime | None
    is_current: bool


@dataclass(frozen=True)
class SchemeGroup:
    label: str
    policies: list[PolicyEntry]


def _one_of(days: list[int]) -> str:
    """7 → "7"; 7, 30, 90 → "7, 30 or 90"."""
    numbers = [str(n) for n in days]
    if len(numbers) == 1:
        return numbers[0]
    # Translators: a choice of block lengths in days, e.g. "7, 30 or 90"; `first` is the
    # comma-separated numbers before the last one.
    return _("%(first)s or %(last)s") % {"first": ", ".join(numbers[:-1]), "last": numbers[-1]}


def block_terms(durations: list[int]) -> str:
    """How long a block under the policy lasts, as one sentence."""
    lengths = sorted(days for days in durations if days > 0)
    if not lengths:
        return _("The account is blocked permanently.")
    days = _one_of(lengths)
    if 0 in durations:
        # Translators: `days` is one length or a choice, "30" or "7, 30 or 90"; the plural
        # follows the last number.
        return ngettext(
            "The account is blocked for %(days)s day, or permanently.",
            "The account is blocked for %(days)s days, or permanently.",
            lengths[-1],
        ) % {"days": days}
    return ngettext(
        "The account is blocked for %(days)s day.",
        "The account is blocked for %(days)s days.",
        lengths[-1],
    ) % {"days": days}


def leads_to(policy: Policy) -> list[str]:
    """What a decision citing the policy does, one sentence per action it allows."""
    said = {
        Policy.Action.BLOCK_ACCOUNT: lambda: block_terms(policy.durations),
        Policy.Action.REMOVE_LISTING: lambda: _("The listing is removed."),
        Policy.Action.WARN: lambda: _("The account receives a warning."),
        Policy.Action.CLEAR: lambda: _("The account or listing is cleared: no action is taken."),
    }
    return [say() for action, say in said.items() if policy.allows(action)]


def _entry(policy: Policy, language: str) -> PolicyEntry:
    return PolicyEntry(
        code=policy.code,
        version=policy.version,
        title=policy.localized("title", language),
        text=policy.localized("text", language),
        leads_to=leads_to(policy),
        published_at=policy.published_at,
        superseded_at=policy.superseded_at,
        is_current=policy.is_current,
    )


def _published() -> QuerySet[Policy]:
    return Policy.objects.filter(status=Policy.Status.PUBLISHED)


def _catalogue(request: HttpRequest, language: str) -> HttpResponse:
    groups: dict[str, list[PolicyEntry]] = {}
    for policy in _published().filter(is_current=True).order_by("code"):
        groups.setdefault(policy.scheme, []).append(_entry(policy, language))
    labels = [*Scheme.choices, ("", _("No violation"))]
    path = reverse("public-policies")
    return render(
        request,
        "public/policies.html",
        {
            **page_context(section="policies", language=language, path=path),
            "groups": [
                SchemeGroup(label=str(label), policies=groups[scheme])
                for scheme, label in labels
                if scheme in groups
            ],
            "appeal_days": settings.APPEAL_LINK_MAX_AGE_DAYS,
            "appeal_hours": settings.APPEAL_DEADLINE_HOURS,
        },
    )


def _versions(code: str, language: str) -> list[PolicyEntry]:
    """The code's published versions, newest first; 404 when it has none in effect."""
    versions = [_entry(p, language) for p in _published().filter(code=code).order_by("-version")]
    if not any(v.is_current for v in versions):
        raise Http404
    return versions


def _history(request: HttpRequest, code: str, language: str) -> HttpResponse:
    versions = _versions(code, language)
    current = next(v for v in versions if v.is_current)
    path = reverse("public-policy", args=[code])
    return render(
        request,
        "public/policy.html",
        {
            **page_context(section="policies", language=language, path=path),
            "policy": current,
            "versions": versions,
        },
    )


def _version(request: HttpRequest, code: str, version: int, language: str) -> HttpResponse:
    versions = _versions(code, language)
    shown = next((v for v in versions if v.version == version), None)
    if shown is None:
        raise Http404
    # The next published version is the one that replaced it (newest first, so the last
    # of the later ones).
    later = [v for v in versions if v.version > version]
    path = reverse("public-policy-version", args=[code, version])
    return render(
        request,
        "public/policy_version.html",
        {
            **page_context(section="policies", language=language, path=path),
            "policy": shown,
            "replaced_by": later[-1] if later else None,
            "current": next(v for v in versions if v.is_current),
        },
    )


@public_page
@require_GET
def policies_page(request: HttpRequest) -> HttpResponse:
    return public_page_cached(
        request,
        name="policies",
        render_page=lambda language: _catalogue(request, language),
    )


@public_page
@require_GET
def policy_page(request: HttpRequest, code: str) -> HttpResponse:
    return public_page_cached(
        request,
        name="policy",
        parts=[code],
        render_page=lambda language: _history(request, code, language),
    )


@public_page
@require_GET
def policy_version_page(request: HttpRequest, code: str, version: int) -> HttpResponse:
    # One address per version: /v1/ names it, /v01/ names nothing.
    if request.path != reverse("public-policy-version", args=[code, version]):
        raise Http404
    return public_page_cached(
        request,
        name="policy-version",
        parts=[code, version],
        render_page=lambda language: _version(request, code, version, language),
    )
