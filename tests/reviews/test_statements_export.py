"""The statement-of-reasons export (`/oversight/statements/`): every field of the DSA layout
for a block, a time-limited block, a removal and a warning; the redaction of the facts; a
subject's own details nowhere in either file; who gets which decisions; bad ranges refused
whole; JSON that parses however it is cut; the audit event; queries per chunk, not per row.

The data is made as users make it: partners report through intake, moderators claim and
decide, reviewers overturn on appeal."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from antifraud.models import AuditEvent, Signal, Subject
from antifraud.normalize import normalize
from reviews import services, statements
from reviews.models import Decision, Policy
from reviews.services import DecisionRequest
from reviews.services.intake import (
    AccountInput,
    PhotoInput,
    ReportInput,
    SubjectInput,
    report_ingest,
)
from reviews.statements import FIELDS, export, redact
from tests.factories import SignalFactory, UserFactory, listing_case
from tests.oversight.logs_world import signed_in

pytestmark = pytest.mark.django_db

PAGE = reverse("statements")
CSV = reverse("statements-export-csv")
JSON = reverse("statements-export-json")
BASE = "https://antifraud.example.kz"

# 20:30 UTC on 10 November is already 11 November in Almaty.
DECIDED = datetime(2026, 11, 10, 20, 30, tzinfo=UTC)
DAY = "2026-11-11"
RANGE = f"?from={DAY}&to={DAY}"
REGISTERED = datetime(2026, 10, 2, 6, 0, tzinfo=UTC)  # 2 October in Almaty

PDQ = "c3d1f0a9b8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170695a4b"


def card_number(prefix: str) -> str:
    """A card number that passes its check digit: 15 digits and the Luhn digit."""
    digits = [int(d) for d in prefix]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return prefix + str((10 - total % 10) % 10)


@pytest.fixture(autouse=True)
def _site(settings) -> None:
    settings.PUBLIC_BASE_URL = BASE


@pytest.fixture
def staff(kolesa, krisha) -> dict[str, User]:
    def person(name: str, partner, role: str) -> User:
        made = UserFactory(username=name, partner=partner, role=role)
        assert isinstance(made, User)
        return made

    return {
        "kolesa.moderator": person("kolesa.moderator", kolesa, Role.MODERATOR),
        "kolesa.senior": person("kolesa.senior", kolesa, Role.SENIOR_MODERATOR),
        "kolesa.supervisor": person("kolesa.supervisor", kolesa, Role.SUPERVISOR),
        "kolesa.admin": person("kolesa.admin", kolesa, Role.ADMIN),
        "krisha.moderator": person("krisha.moderator", krisha, Role.MODERATOR),
        "krisha.supervisor": person("krisha.supervisor", krisha, Role.SUPERVISOR),
        "hub.moderator": person("hub.moderator", None, Role.MODERATOR),
        "hub.senior": person("hub.senior", None, Role.SENIOR_MODERATOR),
        "hub.supervisor": person("hub.supervisor", None, Role.SUPERVISOR),
    }


@pytest.fixture
def at_decision_time(monkeypatch):
    """Everything reported and decided at DECIDED."""
    monkeypatch.setattr(timezone, "now", lambda: DECIDED)
    yield
    monkeypatch.undo()


def report_listing(
    partner,
    n: int,
    *,
    source: str = Signal.Source.PARTNER_REPORT,
    photo: str = "",
    identifiers: tuple[tuple[str, str], ...] = (),
    name: str = "Ерлан Т.",
    title: str = "",
    text: str = "Продаю, торг уместен.",
    url: str = "",
    language: str = "ru",
) -> int:
    """A partner reports a listing (and the account that posted it); the case's id."""
    outcome = report_ingest(
        partner=partner,
        report=ReportInput(
            report_id=f"r-{partner.slug}-{n}",
            subject=SubjectInput(
                kind="listing",
                external_id=f"L-{partner.slug}-{n}",
                title=title or f"Toyota Camry 70, 2019 г. №{n}",
                text=text,
                category="cars",
                price=9_500_000,
                city="Алматы",
                url=url,
                language=language,
                registered_at=REGISTERED,
            ),
            account=AccountInput(external_id=f"U-{partner.slug}-{n}", name=name),
            identifiers=tuple(normalize(kind, value) for kind, value in identifiers),
            photos=(PhotoInput(pdq_hash=photo),) if photo else (),
            scheme="underpriced_vehicle",
            explanation="Покупатель пожаловался партнёру.",
            source=source,
        ),
    )
    case_id = outcome.result["case_id"]
    assert case_id is not None, outcome.result
    return int(case_id)


def report_account(partner, n: int, *, name: str, language: str = "kk") -> int:
    outcome = report_ingest(
        partner=partner,
        report=ReportInput(
            report_id=f"a-{partner.slug}-{n}",
            subject=SubjectInput(
                kind="account",
                external_id=f"A-{partner.slug}-{n}",
                title=name,
                language=language,
                registered_at=REGISTERED,
            ),
            scheme="fake_photos",
            explanation="Чужие фотографии в профиле.",
        ),
    )
    return int(outcome.result["case_id"])


def decide(
    user: User,
    case_id: int,
    action: str,
    policy: str,
    statement: str = "Нарушение правил площадки.",
    *,
    block_days: int | None = None,
) -> Decision:
    services.case_claim(actor=user, case_id=case_id)
    return services.decision_record(
        actor=user,
        case_id=case_id,
        request=DecisionRequest(
            action=action,
            policy_id=Policy.objects.get(code=policy, is_current=True).pk,
            statement_of_reasons=statement,
            block_days=block_days,
        ),
    ).decisions[0]


def download(user: User, url: str, query: str = "") -> Any:
    response = signed_in(user).get(url + query)
    assert response.status_code == 200, response.content
    return response


def streamed(response: Any) -> bytes:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content)  # type: ignore[arg-type]


def csv_statements(user: User, query: str = RANGE) -> list[dict[str, str]]:
    response = download(user, CSV, query)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header == list(FIELDS)
    return [dict(zip(header, row, strict=True)) for row in rows]


def json_statements(user: User, query: str = RANGE) -> list[dict[str, Any]]:
    response = download(user, JSON, query)
    assert response["Content-Type"] == "application/json; charset=utf-8"
    document = json.loads(b"".join(response.streaming_content))
    assert list(document) == ["statements"]
    return document["statements"]


def by_puid(rows: list[dict[str, Any]], decision: Decision) -> dict[str, Any]:
    return next(row for row in rows if row["puid"] == f"antifraud-decision-{decision.pk}")


def policy_url(code: str) -> str:
    policy = Policy.objects.get(code=code, is_current=True)
    return f"{BASE}/policies/{code}/v{policy.version}/"


# --- the fields ---------------------------------------------------------------------------


def test_a_permanent_block_of_a_listings_account(staff, kolesa, at_decision_time):
    case_id = report_listing(kolesa, 1, photo=PDQ)
    decision = decide(
        staff["kolesa.moderator"],
        case_id,
        "block_account",
        "underpriced-vehicle",
        "Цена вдвое ниже рынка, продавец требовал задаток до осмотра.",
        block_days=0,
    )
    assert decision.automated_detection is False and decision.ends_at is None
    policy = Policy.objects.get(code="underpriced-vehicle", is_current=True)
    expected = {
        "puid": f"antifraud-decision-{decision.pk}",
        "platform_name": "Kolesa.kz",
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
        "decision_visibility_other": None,
        "end_date_visibility_restriction": None,
        "decision_monetary": None,
        "decision_monetary_other": None,
        "end_date_monetary_restriction": None,
        "decision_provision": None,
        "end_date_service_restriction": None,
        "decision_account": "DECISION_ACCOUNT_TERMINATED",
        "end_date_account_restriction": None,
        "account_type": None,
        "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "decision_ground_reference_url": policy_url("underpriced-vehicle"),
        "illegal_content_legal_ground": None,
        "illegal_content_explanation": None,
        "incompatible_content_ground": f"underpriced-vehicle v{policy.version}",
        "incompatible_content_explanation": policy.text_ru,
        "incompatible_content_illegal": None,
        "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        "category_addition": [],
        "category_specification": ["KEYWORD_INAUTHENTIC_LISTINGS"],
        "category_specification_other": None,
        "content_type": ["CONTENT_TYPE_IMAGE", "CONTENT_TYPE_PRODUCT", "CONTENT_TYPE_TEXT"],
        "content_type_other": None,
        "content_language": "RU",
        "content_date": "2026-10-02",
        "territorial_scope": ["KZ"],
        "application_date": DAY,
        "decision_facts": "Цена вдвое ниже рынка, продавец требовал задаток до осмотра.",
        "source_type": "SOURCE_ARTICLE_16",
        "source_identity": None,
        "automated_detection": "No",
        "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
        "decision_id": decision.pk,
        "policy_code": "underpriced-vehicle",
        "policy_version": policy.version,
        "action": "block_account",
        "reversed_on": None,
    }
    supervisor = staff["kolesa.supervisor"]
    assert json_statements(supervisor) == [expected]
    # The CSV holds the same values: lists as JSON arrays, nothing as an empty cell.
    [row] = csv_statements(supervisor)
    assert row["decision_visibility"] == '["DECISION_VISIBILITY_CONTENT_REMOVED"]'
    assert row["territorial_scope"] == '["KZ"]'
    assert row["category_addition"] == "[]"
    assert row["end_date_account_restriction"] == "" and row["account_type"] == ""
    assert row["decision_id"] == str(decision.pk) and row["application_date"] == DAY
    assert row["content_type"] == json.dumps(expected["content_type"])


def test_a_time_limited_block_of_an_account(staff, kolesa, at_decision_time):
    decision = decide(
        staff["kolesa.moderator"],
        report_account(kolesa, 1, name="Асель Нурланқызы"),
        "block_account",
        "fake-photos",
        "Фотографии профиля взяты из чужого аккаунта.",
        block_days=30,
    )
    # 30 days after 11 November (Almaty), whatever the UTC day.
    assert decision.ends_at == DECIDED + timedelta(days=30)
    row = by_puid(json_statements(staff["kolesa.supervisor"]), decision)
    assert row["decision_account"] == "DECISION_ACCOUNT_SUSPENDED"
    assert row["end_date_account_restriction"] == "2026-12-11"
    assert row["decision_visibility"] == [] and row["decision_visibility_other"] is None
    assert row["content_type"] == ["CONTENT_TYPE_OTHER"]
    assert row["content_type_other"] == "User account"
    assert row["content_language"] == "KK" and row["content_date"] == "2026-10-02"
    assert row["category_specification"] == ["KEYWORD_INAUTHENTIC_LISTINGS"]
    assert row["decision_ground_reference_url"] == policy_url("fake-photos")
    assert row["source_type"] == "SOURCE_ARTICLE_16"  # a partner's report is a notice
    assert row["action"] == "block_account" and row["application_date"] == DAY


def test_a_listing_removal_reported_by_the_police(staff, kolesa, at_decision_time):
    case_id = report_listing(kolesa, 2, source=Signal.Source.LAW_ENFORCEMENT)
    decision = decide(
        staff["kolesa.moderator"], case_id, "remove_listing", "fake-contacts", "Контакты ложные."
    )
    row = by_puid(json_statements(staff["kolesa.supervisor"]), decision)
    assert row["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert row["end_date_visibility_restriction"] is None
    assert row["decision_account"] is None and row["end_date_account_restriction"] is None
    # No photo: a product described in text.
    assert row["content_type"] == ["CONTENT_TYPE_PRODUCT", "CONTENT_TYPE_TEXT"]
    assert row["source_type"] == "SOURCE_TYPE_OTHER_NOTIFICATION"
    assert row["category_specification"] == ["KEYWORD_INAUTHENTIC_ACCOUNTS"]
    assert row["decision_facts"] == "Контакты ложные."
    assert row["action"] == "remove_listing"


def test_a_warning_raised_by_detection_alone(staff, kolesa, at_decision_time):
    # A case that only a detection rule raised: our own initiative.
    case = listing_case(kolesa)
    case.signals.set([SignalFactory(subject=case.subject, source=Signal.Source.DETECTION_RULE)])
    decision = decide(
        staff["kolesa.moderator"], case.pk, "warn", "false-call", "Звонки от имени банка."
    )
    assert decision.automated_detection is True
    row = by_puid(json_statements(staff["kolesa.supervisor"]), decision)
    assert row["decision_visibility"] == ["DECISION_VISIBILITY_OTHER"]
    assert row["decision_visibility_other"] == statements.WARNING_TEXT
    assert row["decision_account"] is None
    assert row["automated_detection"] == "Yes"
    assert row["automated_decision"] == "AUTOMATED_DECISION_NOT_AUTOMATED"
    assert row["source_type"] == "SOURCE_VOLUNTARY"
    assert row["category_specification"] == ["KEYWORD_OTHER"]
    assert row["category_specification_other"] == "False call"
    assert row["action"] == "warn"


def test_clearances_and_reversals_are_not_statements(staff, kolesa, at_decision_time):
    mod = staff["kolesa.moderator"]
    cleared = decide(mod, report_listing(kolesa, 3), "clear", "no-violation", "Нарушений нет.")
    blocked = decide(mod, report_listing(kolesa, 4), "block_account", "underpriced-vehicle")
    appeal = services.appeal_file(
        decision_id=blocked.pk, statement="Это моя машина, цена честная.", consent=True
    )
    services.appeal_claim(actor=staff["hub.senior"], appeal_id=appeal.pk)
    services.appeal_resolve(
        actor=staff["hub.senior"], appeal_id=appeal.pk, overturn=True, reply="Решение отменено."
    )
    reversal = Decision.objects.get(reverses=blocked)
    rows = json_statements(staff["kolesa.supervisor"])
    assert [row["decision_id"] for row in rows] == [blocked.pk]
    assert {cleared.pk, reversal.pk}.isdisjoint(row["decision_id"] for row in rows)
    # The block stays a statement, and says when it was reversed (Almaty's day).
    assert rows[0]["reversed_on"] == DAY


# --- redaction ----------------------------------------------------------------------------


def test_what_a_moderator_typed_is_redacted(staff, kolesa, at_decision_time):
    card = card_number("440043012345678")
    written = (
        "Продавец просил задаток на карту "
        f"{card[:4]} {card[4:8]} {card[8:12]} {card[12:]} или на KZ86125KZT5004100100, "
        "звонить +7 (705) 987-65-43 или 255-12-34, писать scam.seller@mail.ru "
        "или в Telegram @seller_kz, оплата на https://pay-kaspi.example/order?id=7 и "
        "kaspi-pay.example/x. Цена 9 500 000 тг, осмотр 12.11.2026 в 10:30."
    )
    decision = decide(
        staff["kolesa.moderator"],
        report_listing(kolesa, 5),
        "remove_listing",
        "fake-contacts",
        written,
    )
    facts = by_puid(json_statements(staff["kolesa.supervisor"]), decision)["decision_facts"]
    assert facts == (
        "Продавец просил задаток на карту […] или на […], звонить […] или […], писать […] "
        "или в Telegram […], оплата на […] и […] Цена 9 500 000 тг, осмотр 12.11.2026 в 10:30."
    )
    # The internal note and the unredacted statement are nowhere.
    assert card[-8:] not in json.dumps(json_statements(staff["kolesa.supervisor"]))


def test_a_formula_is_never_a_formula_in_the_csv(staff, kolesa, at_decision_time):
    decision = decide(
        staff["kolesa.moderator"], report_listing(kolesa, 9), "warn", "false-call", "=1+2 звонка"
    )
    [row] = csv_statements(staff["kolesa.supervisor"])
    assert row["decision_id"] == str(decision.pk)
    assert row["decision_facts"] == "'=1+2 звонка"
    assert json_statements(staff["kolesa.supervisor"])[0]["decision_facts"] == "=1+2 звонка"


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("Тел. ８７０１２３４５６７８", "Тел. […]"),  # full-width digits
        ("Тел. 8\u200b701\u200b234\u200b56\u200b78", "Тел. […]"),  # zero-width spaces
        ("Call +44 20 7946 0958 today", "Call […] today"),
        ("Хэш 0f1e2d3c4b5a69788796a5b4c3d2e1f0 в базе", "Хэш […] в базе"),
        ("ИИН 900101300123 указан", "ИИН […] указан"),
        ("Цена 6 500 000, 12.05.2026 в 10:30", "Цена 6 500 000, 12.05.2026 в 10:30"),
    ],
)
def test_redaction_reads_the_text_as_a_person_does(text, redacted):
    assert redact(text) == redacted


def test_a_subjects_own_details_are_in_neither_file(staff, kolesa, at_decision_time):
    phone, email = "+77019876543", "zhanbolat.unique@example.kz"
    card = card_number("400000770012345")
    name, title = "Жанболат Ерғалиұлы", "Камри по цене Жигулей ZX-4471"
    text = "Уникальный текст объявления QWERTY-9081."
    url = "https://kolesa.kz/a/show/777000999"
    case_id = report_listing(
        kolesa,
        6,
        photo=PDQ,
        identifiers=(("phone", phone), ("email", email), ("card", card)),
        name=name,
        title=title,
        text=text,
        url=url,
    )
    listing = Subject.objects.get(cases__pk=case_id)
    account = listing.account
    assert account is not None
    statement = (
        f"Мы проверили «{title}» на Kolesa.kz (объявление {listing.external_id}, аккаунт "
        f"{account.external_id}). Продавца зовут {name}, у Жанболата телефон "
        f"8 (701) 987-65-43 и почта {email.upper()}, карта {card}, фото {PDQ}, "
        f"ссылка {url}."
    )
    decision = decide(
        staff["kolesa.moderator"], case_id, "block_account", "underpriced-vehicle", statement
    )
    supervisor = staff["kolesa.supervisor"]
    files = [
        b"".join(download(supervisor, CSV, RANGE).streaming_content).decode("utf-8-sig"),
        b"".join(download(supervisor, JSON, RANGE).streaming_content).decode(),
        json.dumps(json_statements(supervisor), ensure_ascii=False),
    ]
    planted = [
        phone, phone[2:], "8" + phone[2:], "987-65-43", "701 987",
        email, email.upper(), "zhanbolat",
        card, card[:4] + " " + card[4:8], card[-4:],
        "Жанболат", "Ерғалиұлы", title, "ZX-4471", text, "QWERTY", url, "777000999",
        PDQ, PDQ[:16], listing.external_id, account.external_id,
    ]  # fmt: skip
    for content in files:
        assert f"antifraud-decision-{decision.pk}" in content
        found = [value for value in planted if value.lower() in content.lower()]
        assert not found, found


# --- who gets what ------------------------------------------------------------------------


@pytest.fixture
def two_partners(staff, kolesa, krisha) -> dict[str, Decision]:
    today_kolesa = decide(
        staff["kolesa.moderator"], report_listing(kolesa, 10), "remove_listing", "fake-photos"
    )
    today_krisha = decide(
        staff["krisha.moderator"], report_listing(krisha, 11), "remove_listing", "fake-photos"
    )
    return {"kolesa": today_kolesa, "krisha": today_krisha}


def today_range() -> str:
    today = timezone.localdate().isoformat()
    return f"?from={today}&to={today}"


@pytest.mark.parametrize(
    ("name", "sees"),
    [
        ("kolesa.supervisor", {"kolesa"}),
        ("kolesa.admin", {"kolesa"}),
        ("krisha.supervisor", {"krisha"}),
        ("hub.supervisor", {"kolesa", "krisha"}),
    ],
)
def test_each_partner_exports_its_own(staff, two_partners, name, sees):
    wanted = {two_partners[p].pk for p in sees}
    for rows in (
        json_statements(staff[name], today_range()),
        csv_statements(staff[name], today_range()),
    ):
        assert {int(row["decision_id"]) for row in rows} == wanted


@pytest.mark.parametrize("url", [PAGE, CSV, JSON])
@pytest.mark.parametrize(
    "name", ["kolesa.moderator", "kolesa.senior", "hub.moderator", "hub.senior"]
)
def test_those_who_decide_may_not_export(staff, two_partners, url, name):
    assert signed_in(staff[name]).get(url + today_range()).status_code == 403
    assert not AuditEvent.objects.filter(action="statements.exported").exists()


def test_anonymous_is_sent_to_sign_in(client, two_partners):
    response = client.get(CSV + today_range())
    assert response.status_code == 302 and response["Location"].startswith("/login/")


# --- ranges -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Give the first day of the range. Give the last day of the range."),
        ("?from=2026-11-01", "Give the last day of the range."),
        ("?from=01.11.2026&to=2026-11-30", "Write the first day as a date: YYYY-MM-DD."),
        ("?from=2026-02-30&to=2026-03-01", "Write the first day as a date: YYYY-MM-DD."),
        ("?from=2026-11-30&to=2026-11-01", "The last day comes before the first."),
        ("?from=2025-01-01&to=2026-01-02", "A range covers at most 366 days."),
        ("?from=1999-12-31&to=2000-01-01", "Choose a day from 2000-01-01 to 2999-12-31."),
    ],
)
def test_a_bad_range_is_refused_whole(staff, two_partners, query, message):
    supervisor = signed_in(staff["kolesa.supervisor"])
    for url in (CSV, JSON):
        response = supervisor.get(url + query)
        assert response.status_code == 400
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert response.content.decode() == message
    page = supervisor.get(PAGE + (query or "?from="))
    assert page.status_code == 400
    assert message.split(" Give")[0] in page.content.decode()
    assert CSV not in page.content.decode()
    assert not AuditEvent.objects.filter(action="statements.exported").exists()


def test_a_leap_year_is_one_range(staff, two_partners):
    assert json_statements(staff["kolesa.supervisor"], "?from=2024-01-01&to=2024-12-31") == []


def test_the_days_are_almatys(staff, kolesa, at_decision_time):
    decision = decide(staff["kolesa.moderator"], report_listing(kolesa, 7), "warn", "false-call")
    supervisor = staff["kolesa.supervisor"]
    # Decided on 10 November in UTC, 11 November in Almaty.
    assert json_statements(supervisor, "?from=2026-11-10&to=2026-11-10") == []
    assert [r["decision_id"] for r in json_statements(supervisor, RANGE)] == [decision.pk]
    assert [
        r["decision_id"] for r in json_statements(supervisor, "?from=2026-11-11&to=2026-11-30")
    ] == [decision.pk]


# --- the page -----------------------------------------------------------------------------


def test_the_page_offers_last_month_and_the_range_asked(staff, kolesa, at_decision_time):
    decide(staff["kolesa.moderator"], report_listing(kolesa, 8), "warn", "false-call")
    supervisor = signed_in(staff["kolesa.supervisor"])
    first = supervisor.get(PAGE)
    assert first.status_code == 200
    html = first.content.decode()
    # Now is November 2026: the page offers October.
    assert 'value="2026-10-01"' in html and 'value="2026-10-31"' in html
    assert f"{CSV}?from=2026-10-01&amp;to=2026-10-31" in html
    assert "From 01.10.2026 to 31.10.2026: 0 statements of reasons." in html
    asked = supervisor.get(PAGE + RANGE).content.decode()
    assert "From 11.11.2026 to 11.11.2026: 1 statement of reasons." in asked
    assert f"{JSON}?from={DAY}&amp;to={DAY}" in asked
    assert f'href="{PAGE}" aria-current="page"' in asked  # the oversight tab


# --- files, audit, queries ----------------------------------------------------------------


def test_the_json_parses_however_it_is_cut(staff, kolesa, monkeypatch):
    mod = staff["kolesa.moderator"]
    made = [decide(mod, report_listing(kolesa, 20 + n), "warn", "false-call") for n in range(4)]
    monkeypatch.setattr(export, "FLUSH_BYTES", 200)
    response = download(staff["kolesa.supervisor"], JSON, today_range())
    pieces = list(response.streaming_content)
    assert len(pieces) >= 4
    document = json.loads(b"".join(pieces))
    assert [row["decision_id"] for row in document["statements"]] == [d.pk for d in made]
    assert response["Content-Disposition"].startswith('attachment; filename="statements-')
    assert response["Cache-Control"] == "no-store"


def test_an_export_is_recorded_when_it_starts(staff, two_partners):
    supervisor = staff["kolesa.supervisor"]
    today = timezone.localdate().isoformat()
    response = signed_in(supervisor).get(JSON + today_range())
    # Nothing read yet, and the export is already in the trail.
    event = AuditEvent.objects.get(action="statements.exported")
    assert event.actor == supervisor and event.partner_id == supervisor.partner_id
    assert event.payload == {"from": today, "to": today, "format": "json"}
    streamed(response)
    signed_in(staff["hub.supervisor"]).get(CSV + today_range())
    hub = AuditEvent.objects.filter(action="statements.exported").latest("pk")
    assert hub.actor == staff["hub.supervisor"] and hub.partner_id is None
    assert hub.payload == {"from": today, "to": today, "format": "csv"}


def _queries_to_export(user: User, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = signed_in(user).get(url + today_range())
        rows = streamed(response)
    return len(queries), rows.count(b"antifraud-decision-")


def _more_decisions(staff, partner, start: int, count: int) -> None:
    mod = staff["kolesa.moderator"]
    for n in range(start, start + count):
        case = listing_case(partner, phone=f"+7701{n:07d}")
        action = ("block_account", "remove_listing", "warn")[n % 3]
        decide(mod, case.pk, action, "fake-photos", f"Чужие фото, случай {n}.")


@pytest.mark.parametrize("url", [CSV, JSON])
def test_the_queries_do_not_grow_with_the_rows(staff, kolesa, url):
    _more_decisions(staff, kolesa, 100, 5)
    few, rows = _queries_to_export(staff["kolesa.supervisor"], url)
    assert rows == 5
    _more_decisions(staff, kolesa, 200, 25)
    many, rows = _queries_to_export(staff["kolesa.supervisor"], url)
    assert rows == 30
    assert many == few


def test_the_queries_grow_with_the_chunks(staff, kolesa, monkeypatch):
    monkeypatch.setattr(export, "CHUNK", 10)
    _more_decisions(staff, kolesa, 300, 10)
    one_chunk, rows = _queries_to_export(staff["kolesa.supervisor"], JSON)
    assert rows == 10
    _more_decisions(staff, kolesa, 400, 1)
    two_chunks, _rows = _queries_to_export(staff["kolesa.supervisor"], JSON)
    per_chunk = two_chunks - one_chunk
    # The subject's identifiers, its account's and its photos: three prefetches a chunk.
    assert per_chunk == 3
    _more_decisions(staff, kolesa, 500, 19)
    three_chunks, rows = _queries_to_export(staff["kolesa.supervisor"], JSON)
    assert rows == 30
    assert three_chunks == one_chunk + 2 * per_chunk


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_slow_reader_outside_a_transaction(staff, kolesa, monkeypatch):
    """As in production: autocommit, a server-side cursor read a chunk at a time while the
    file is sent, and moderators deciding meanwhile. The file holds the range as it was when
    the download started, whole and valid."""
    monkeypatch.setattr(export, "CHUNK", 2)
    monkeypatch.setattr(export, "FLUSH_BYTES", 100)
    _more_decisions(staff, kolesa, 600, 5)
    response = download(staff["kolesa.supervisor"], JSON, today_range())
    pieces = iter(response.streaming_content)
    first = next(pieces)
    _more_decisions(staff, kolesa, 700, 1)
    document = json.loads(first + b"".join(pieces))
    assert len(document["statements"]) == 5
    assert Decision.objects.count() == 6
