"""Nothing that could single out a person leaves through the open pages or the export.

A blocked seller with a unique phone, e-mail, name, card, photo hash, title and address is
reported through the partner API with five others like it, blocked with a statement of
reasons that repeats the phone and the e-mail, and put on the black list; the monthly
figures are computed. Then every public page (in the three languages), both downloads of the
transparency report, and the statement-of-reasons export are read: none of the planted
values appears in any of them, in any spelling.
"""

from __future__ import annotations

import html
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from antifraud.models import Photo, SubjectIdentifier
from antifraud.services.keys import api_key_create
from reviews import services
from reviews.models import Case, Decision, MonthlyFigure, Policy
from reviews.services import DecisionRequest, IndicatorChoice
from reviews.transparency.compute import figures_recompute
from tests.api.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PHONE = "8 701 555 83 91"
EMAIL = "zhanar.q4417@example.kz"
NAME = "Жанара Qoshqarbayeva"
CARD = "4400 4301 2345 6789"
PDQ = "9f3c" * 15 + "a1b2"
TITLE = "Фара Xylofonix оригинал"
URL = "https://kolesa.kz/a/show/90210417"
EXTERNAL = "l-xylofonix-77"

# Every spelling of the planted values a page or a file could carry.
FORBIDDEN = [
    "+77015558391",
    "7015558391",
    "701 555 83 91",
    "701 555 8391",
    "555 83 91",
    EMAIL,
    "zhanar.q4417",
    "Qoshqarbayeva",
    "4400430123456789",
    "4400 4301 2345 6789",
    "4400 43",
    PDQ,
    PDQ[:16],
    "Xylofonix",
    "90210417",
    EXTERNAL,
]


def report(n: int, **subject: object) -> dict[str, object]:
    planted = n == 0
    return {
        "report_id": f"privacy-{n}",
        "subject": {
            "kind": "listing",
            "external_id": EXTERNAL if planted else f"l-privacy-{n}",
            "title": TITLE if planted else f"Бампер Camry {n}",
            "text": "Отправлю запчасть после полной предоплаты на карту.",
            "category": "auto_parts",
            "price": 45_000 + 1_000 * n,
            "city": "Алматы",
            "url": URL if planted else f"https://kolesa.kz/a/show/{n}",
            **subject,
        },
        "account": {"external_id": f"u-privacy-{n}", "name": NAME if planted else f"Продавец {n}"},
        "contacts": {
            "phones": [PHONE if planted else f"8 701 400 00 0{n}"],
            "emails": [EMAIL if planted else f"seller{n}@mail.kz"],
            "cards": [CARD] if planted else [],
        },
        "photos": [
            {"url": f"https://kolesa.kz/p/{n}.jpg", "pdq": PDQ if planted else f"{n:02x}" * 32}
        ],
        "signal": {"scheme": "prepaid_delivery", "score": 70, "explanation": "Предоплата."},
    }


@pytest.fixture
def planted(kolesa, moderator):
    _key, secret = api_key_create(actor=None, partner=kolesa, name="kolesa backend")
    response = client_for(secret).post(
        "/api/v1/reports/", {"reports": [report(n) for n in range(6)]}, format="json"
    )
    assert response.status_code == 200 and response.json()["accepted"] == 6, response.json()
    policy = Policy.objects.get(code="prepaid-delivery", is_current=True)
    for case in Case.objects.order_by("pk"):
        is_planted = case.subject.external_id == EXTERNAL
        phone = SubjectIdentifier.objects.filter(
            subject_id__in=[case.subject_id, case.subject.account_id], kind="phone"
        ).first()
        services.case_claim(actor=moderator, case_id=case.pk)
        outcome = services.decision_record(
            actor=moderator,
            case_id=case.pk,
            request=DecisionRequest(
                action="block_account",
                policy_id=policy.pk,
                statement_of_reasons=(
                    f"Продавец просил предоплату на {PHONE} и писал с {EMAIL}, карта {CARD}."
                    if is_planted
                    else "Продавец просил полную предоплату за запчасть."
                ),
                indicators=(IndicatorChoice(identifier_id=phone.pk, list="black"),)
                if is_planted and phone is not None
                else (),
            ),
        )
        assert not outcome.pending, "the block waits for a second moderator"
    assert Decision.objects.filter(action="block_account").count() == 6
    assert Photo.objects.filter(pdq_hash=PDQ).exists(), "the planted photo hash was not stored"
    now = timezone.localtime()
    figures_recompute(month=now.date().replace(day=1))
    assert MonthlyFigure.objects.filter(metric="blocked", value__gte=6).exists()
    return now


def leaks(text: str) -> list[str]:
    flat = " ".join(html.unescape(text).split())
    return [value for value in FORBIDDEN if value.casefold() in flat.casefold()]


PUBLIC = [
    "/policies/",
    "/policies/prepaid-delivery/",
    "/policies/prepaid-delivery/v1/",
    "/transparency/",
    "/transparency/figures.csv",
    "/transparency/figures.json",
    "/scams/",
    "/scams/print/",
]


@pytest.mark.parametrize("language", ["en", "ru", "kk"])
def test_no_planted_value_on_any_public_page_or_download(planted, language):
    client = Client()
    for path in PUBLIC:
        response = client.get(f"{path}?lang={language}")
        assert response.status_code == 200, path
        body = response.content.decode()
        assert leaks(body) == [], f"{path} in {language} shows {leaks(body)}"


def test_the_published_figures_count_the_planted_block(planted):
    """The pages read above are not empty: they carry this month's blocks."""
    body = Client().get("/transparency/figures.json").json()
    blocked = [
        f
        for f in body["figures"]
        if f["metric"] == "blocked" and f["partner"] == "all" and f["key"] == "prepaid_delivery"
    ]
    assert blocked and blocked[0]["value"] == 6


def test_no_planted_value_in_the_statement_of_reasons_export(planted, kolesa):
    supervisor = UserFactory(username="kolesa.sup", partner=kolesa, role=Role.SUPERVISOR)
    client = Client()
    client.force_login(supervisor)
    day = planted.date().isoformat()
    for name in ("statements-export-csv", "statements-export-json"):
        response = client.get(reverse(name), {"from": day, "to": day})
        assert response.status_code == 200, name
        body = b"".join(response.streaming_content).decode()
        assert leaks(body) == [], f"{name} shows {leaks(body)}"
        if name.endswith("json"):
            statements = json.loads(body)["statements"]
            assert len(statements) == 6
            # The planted decision is there, its facts kept and its contacts taken out.
            assert any("предоплату" in s["decision_facts"] for s in statements)
