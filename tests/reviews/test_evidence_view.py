"""The evidence snapshot as the appeal and sample pages show it: labels, not codes; local
times, not UTC ISO strings; snapshots of every age still shown."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.roles import Role
from reviews import services
from reviews.evidence import evidence_view
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SNAPSHOT = {
    "captured_at": "2026-12-04T18:30:00+00:00",
    "subject": {
        "id": 1,
        "partner": "kolesa",
        "kind": "listing",
        "external_id": "ad-1",
        "title": "<script>alert(1)</script> Camry",
        "status": "active",
        "category": "cars",
        "price": 5_500_000,
        "registered_at": "2026-01-02T03:04:05+00:00",
    },
    "identifiers": [{"kind": "phone", "value": "+77015550101", "display": "+7 701 555 0101"}],
    "signals": [
        {
            "id": 9,
            "source": "partner_report",
            "scheme": "underpriced_vehicle",
            "score": 60,
            "explanation": "Price far below the market.",
            "created_at": "2026-12-04T10:00:00+00:00",
        },
        {"source": "brand_new_source", "scheme": "brand_new_scheme", "score": 10},
    ],
    "linked_subjects": [
        {
            "id": 999999,
            "partner": "nowhere",
            "kind": "account",
            "external_id": "u-9",
            "title": "",
            "status": "blocked",
            "shared": ["phone", "device"],
        }
    ],
    "account": {"id": 2, "external_id": "u-1", "name": "Ерлан", "status": "blocked"},
}


def test_codes_become_labels_and_times_become_local(kolesa):
    view = evidence_view(SNAPSHOT)
    assert view.subject.partner == "Kolesa.kz"
    assert (view.subject.kind, view.subject.status, view.subject.category) == (
        "Listing",
        "Active",
        "Cars",
    )
    assert view.captured_at == datetime(2026, 12, 4, 18, 30, tzinfo=UTC)
    assert [i.kind for i in view.identifiers] == ["Phone"]
    first, unknown = view.signals
    assert (first.source, first.scheme) == ("Partner report", "Vehicle at a suspiciously low price")
    # A code nobody knows any more is shown as it is.
    assert (unknown.source, unknown.scheme) == ("brand_new_source", "brand_new_scheme")
    [linked] = view.linked
    assert linked.partner == "nowhere" and linked.shared == ["Phone", "Device"]
    assert not linked.linkable
    assert view.account is not None and view.account.status == "Blocked"
    with translation.override("ru"):
        assert evidence_view(SNAPSHOT).subject.kind == "Объявление"


@pytest.mark.parametrize(
    "old",
    [
        {},
        {"subject": {}},
        {"captured_at": "not a time", "subject": {"kind": "listing"}, "signals": "nonsense"},
        {"subject": {"partner": "kolesa"}, "identifiers": [{"kind": "card", "display": "…1234"}]},
        None,
    ],
)
def test_snapshots_of_every_age_are_read(old, kolesa):
    from django.template.loader import render_to_string

    view = evidence_view(old)
    assert view.captured_at is None
    render_to_string("reviews/_evidence.html", {"ev": view})


def test_the_appeal_page_shows_a_readable_snapshot(client, blocked, kolesa):
    appeal = services.appeal_file(
        decision_id=blocked.pk,
        statement="Я продаю свою машину, задаток не просил, прошу проверить.",
        consent=True,
    )
    senior = UserFactory(partner=kolesa, role=Role.SENIOR_MODERATOR)
    client.force_login(senior)
    html = client.get(reverse("appeal-review", args=[appeal.pk])).content.decode()
    section = html[html.index("Evidence snapshot") :]
    assert "User complaint" in section and "user_complaint" not in section
    assert "Vehicle at a suspiciously low price" in section
    assert "underpriced_vehicle" not in section
    assert "Kolesa.kz" in section and "Listing" in section
    # Local time (Asia/Almaty) as the rest of the site writes it, not an ISO string.
    captured = blocked.evidence["captured_at"]
    assert captured not in html
    local = datetime.fromisoformat(captured).astimezone(ZoneInfo("Asia/Almaty"))
    assert local.strftime("%d.%m.%Y %H:%M") in section
    # The appeal leads to its case and the subject's story.
    assert reverse("case", args=[blocked.case_id]) in html
    assert reverse("subject-story", args=[blocked.subject_id]) in html


def test_partner_text_in_a_snapshot_is_escaped(client, kolesa):
    from django.template.loader import render_to_string

    html = render_to_string("reviews/_evidence.html", {"ev": evidence_view(SNAPSHOT)})
    assert "<script>" not in html and "&lt;script&gt;" in html
