"""The scam-awareness figures (reviews.transparency.scams.scam_figures) and the pages that
show them: /scams/ and /scams/print/.

The data is made the way it happens: partners report listings (intake runs detection, which
raises the price and prepayment signals), moderators claim and decide the cases at chosen
times, a senior overturns one on appeal. The pages read only what the maker returned,
saved as MonthlyFigure rows."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from accounts.models import User
from accounts.roles import Role
from antifraud.models import Scheme, Signal, Subject
from antifraud.normalize import normalize
from antifraud.services import market_prices_refresh
from reviews import services
from reviews.models import Case, Decision, MonthlyFigure, Policy
from reviews.services import DecisionRequest
from reviews.services.intake import (
    AccountInput,
    PhotoInput,
    ReportInput,
    SubjectInput,
    report_ingest,
)
from reviews.transparency.scams import phrase_shown, rounded, scam_figures, scam_months
from tests.factories import PartnerFactory, SignalFactory, SubjectFactory, UserFactory

pytestmark = pytest.mark.django_db

ALMATY = ZoneInfo("Asia/Almaty")
NOVEMBER = date(2026, 11, 1)
START = datetime(2026, 11, 1, tzinfo=ALMATY)
END = datetime(2026, 12, 1, tzinfo=ALMATY)
ids = itertools.count(1)

# What one reported listing carries and must never reach a public page.
PLANTED = {
    "title": "Запчасти ZQX-TITLE-4417",
    "text": "Отправлю сразу, только пред0плата. ZQX-TEXT-8812",
    "quote": "пред0плата",
    "url": "https://olx.kz/d/zqx-url-5521",
    "name": "Ерлан ZQX-NAME-3390",
    "phone": "+7 701 555 77 31",
    "email": "zqx-mail-9921@example.com",
    "photo": "https://olx.kz/photo/zqx-photo-6610.jpg",
}
PLANTED_SHOWN = [
    *(PLANTED[k] for k in ("title", "quote", "url", "name", "email", "photo")),
    "ZQX",
    "+77015557731",
    "701 555 77 31",
    "555 77 31",
]


@pytest.fixture
def olx(db):
    return PartnerFactory(
        slug="olx", name="OLX.kz", categories=["cars", "auto_parts", "short_term_rental"]
    )


def hub_staff(username: str, role: str) -> User:
    return cast(User, UserFactory(username=username, partner=None, role=role))


@pytest.fixture
def staff(olx) -> dict[str, User]:
    return {
        "moderator": hub_staff("hub.moderator", Role.MODERATOR),
        "senior": hub_staff("hub.senior", Role.SENIOR_MODERATOR),
    }


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    """The services see `moment` as now (decided_at, signals' created_at, leases)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: moment)
        yield


def market(partner, *, category: str, median: int) -> None:
    """Six honest listings around `median` in Almaty: the price rule's comparables."""
    for price in (median,) * 6:
        SubjectFactory(partner=partner, category=category, city="Алматы", price=price, text="")
    market_prices_refresh()


def report(
    partner,
    *,
    category: str = "cars",
    price: int | None = None,
    text: str = "",
    scheme: str = Scheme.UNDERPRICED_VEHICLE,
    kind: str = "listing",
    planted: bool = False,
) -> Case:
    n = next(ids)
    extra: dict = {}
    if planted:
        extra = {
            "identifiers": (
                normalize("phone", PLANTED["phone"]),
                normalize("email", PLANTED["email"]),
            ),
            "photos": (PhotoInput(pdq_hash="f8" * 32, url=PLANTED["photo"]),),
        }
    outcome = report_ingest(
        partner=partner,
        report=ReportInput(
            report_id=f"r-{n}",
            subject=SubjectInput(
                kind=kind,
                external_id=f"s-{n}",
                title=PLANTED["title"] if planted else f"Объявление {n}",
                text=text,
                category=category if kind == "listing" else "",
                price=price,
                city="Алматы",
                url=PLANTED["url"] if planted else "",
            ),
            account=AccountInput(
                external_id=f"u-{n}", name=PLANTED["name"] if planted else f"Продавец {n}"
            )
            if kind == "listing"
            else None,
            scheme=scheme,
            explanation="Покупатель сообщил о требовании оплаты вперёд.",
            **extra,
        ),
    )
    return Case.objects.get(pk=outcome.result["case_id"])


def decide(user: User, case: Case, action: str, policy: str) -> Decision:
    services.case_claim(actor=user, case_id=case.pk)
    outcome = services.decision_record(
        actor=user,
        case_id=case.pk,
        request=DecisionRequest(
            action=action,
            policy_id=Policy.objects.get(code=policy, is_current=True).pk,
            statement_of_reasons="Требование предоплаты за товар, которого нет.",
        ),
    )
    [decision, *_ring] = outcome.decisions
    return decision


def taken_down(
    user: User, moment: datetime, partner, *, action="remove_listing", policy="", **listing
) -> Decision:
    """A listing (or an account) reported an hour before `moment`, decided at `moment`."""
    with at(moment - timedelta(hours=1)):
        case = report(partner, **listing)
    with at(moment):
        return decide(user, case, action, policy)


def day(n: int) -> datetime:
    """Noon on the n-th of November 2026 in Almaty."""
    return datetime(2026, 11, n, 12, tzinfo=ALMATY)


def figures(made: list[MonthlyFigure]) -> dict[tuple[str, str], tuple[float, int]]:
    return {(f.metric, f.key): (f.value, f.basis) for f in made}


# --- the maker -----------------------------------------------------------------------------


@pytest.fixture
def november(olx, staff) -> dict[str, Decision]:
    """November's take-downs on OLX and Kolesa, and the ones that must not count."""
    kolesa = PartnerFactory(slug="kolesa", name="Kolesa.kz", categories=["cars"])
    market(olx, category="cars", median=6_000_000)
    market(olx, category="short_term_rental", median=20_000)
    mod, senior = staff["moderator"], staff["senior"]
    made = {
        "v1": taken_down(
            mod,
            day(10),
            olx,
            price=2_400_000,
            text="Срочно, только предоплата.",
            policy="underpriced-vehicle",
        ),
        "v2": taken_down(
            mod,
            day(11),
            olx,
            price=1_800_000,
            text="Предоплата и задаток на карту.",
            policy="underpriced-vehicle",
        ),
        # A block of the account behind the listing still counts the listing once.
        "v3": taken_down(
            mod,
            day(12),
            kolesa,
            price=2_700_000,
            text="Задаток обязателен.",
            action="block_account",
            policy="underpriced-vehicle",
        ),
        "rental": taken_down(
            mod,
            day(15),
            olx,
            category="short_term_rental",
            price=5_000,
            text="Бронь только по предоплате.",
            scheme=Scheme.FAKE_RENTAL,
            policy="fake-rental",
        ),
        "account": taken_down(
            mod,
            day(20),
            olx,
            kind="account",
            scheme=Scheme.FALSE_INVESTMENT,
            action="block_account",
            policy="false-investment",
        ),
        # Not counted: a clearance, a warning, a removal overturned on appeal, and removals
        # just before and just after the month — all of them cheap cars asking an advance.
        "cleared": taken_down(
            mod, day(21), olx, price=600_000, text="Аванс.", action="clear", policy="no-violation"
        ),
        "warned": taken_down(
            mod,
            day(22),
            olx,
            price=600_000,
            text="Аванс.",
            action="warn",
            policy="underpriced-vehicle",
        ),
        "overturned": taken_down(
            mod, day(5), olx, price=600_000, text="Аванс.", policy="underpriced-vehicle"
        ),
        "october": taken_down(
            mod,
            datetime(2026, 10, 31, 23, 30, tzinfo=ALMATY),
            olx,
            price=600_000,
            text="Аванс.",
            policy="underpriced-vehicle",
        ),
        "december": taken_down(
            mod,
            datetime(2026, 12, 1, 0, 10, tzinfo=ALMATY),
            olx,
            price=600_000,
            text="Аванс.",
            policy="underpriced-vehicle",
        ),
    }
    with at(day(6)):
        appeal = services.appeal_file(
            decision_id=made["overturned"].pk,
            statement="Это мой автомобиль, я его продаю.",
            consent=True,
        )
        services.appeal_claim(actor=senior, appeal_id=appeal.pk)
        services.appeal_resolve(
            actor=senior, appeal_id=appeal.pk, overturn=True, reply="Решение отменено."
        )
    return made


EXPECTED = {
    ("scam.seen", "underpriced_vehicle"): (3, 3),
    ("scam.price_median", "underpriced_vehicle"): (2_400_000, 3),
    ("scam.price_ratio_median", "underpriced_vehicle"): (0.4, 3),
    ("scam.phrase", "underpriced_vehicle|предоплат*"): (2, 2),
    ("scam.phrase", "underpriced_vehicle|задаток"): (2, 2),
    ("scam.category", "underpriced_vehicle|cars"): (3, 3),
    ("scam.seen", "fake_rental"): (1, 1),
    ("scam.price_median", "fake_rental"): (5_000, 1),
    ("scam.price_ratio_median", "fake_rental"): (0.25, 1),
    ("scam.phrase", "fake_rental|предоплат*"): (1, 1),
    ("scam.phrase", "fake_rental|бронь"): (1, 1),
    ("scam.category", "fake_rental|short_term_rental"): (1, 1),
    ("scam.seen", "false_investment"): (1, 1),
}


def test_the_months_take_downs_become_figures(november):
    made = scam_figures(start=START, end=END)
    assert figures(made) == EXPECTED
    assert {f.month for f in made} == {NOVEMBER}
    assert {f.partner_id for f in made} == {None}
    assert all(f.pk is None for f in made)


def test_the_scheme_is_the_cited_policys_else_the_cases(olx, staff, november):
    # A catalogue entry without a scheme: the case's scheme (from the report) stands.
    Policy.objects.create(
        code="unspecified",
        scheme="",
        allowed_actions=["remove_listing"],
        title_en="Unspecified",
        title_ru="Без схемы",
        text_en="Listings that break the rules are removed.",
        text_ru="Объявления, нарушающие правила, снимаются.",
        statement_en="We removed «{title}».",
        statement_ru="Мы сняли «{title}».",
    )
    taken_down(
        staff["moderator"],
        day(25),
        olx,
        category="auto_parts",
        price=30_000,
        scheme=Scheme.PREPAID_DELIVERY,
        policy="unspecified",
    )
    made = figures(scam_figures(start=START, end=END))
    assert made[("scam.seen", "prepaid_delivery")] == (1, 1)
    assert made[("scam.category", "prepaid_delivery|auto_parts")] == (1, 1)
    assert made[("scam.price_median", "prepaid_delivery")] == (30_000, 1)


def test_only_dictionary_phrases_are_counted_never_the_listings_words(olx, staff, november):
    v1 = november["v1"].subject
    # However a stored signal came to say it, a "phrase" that is not in the dictionary —
    # here the listing's own words and a phone — is not a figure.
    SignalFactory(
        subject=v1,
        source=Signal.Source.DETECTION_RULE,
        rule="text.prepayment",
        scheme=Scheme.UNDERPRICED_VEHICLE,
        details={
            "phrases": [
                {
                    "kind": "advance",
                    "phrase": "звоните +77015557731",
                    "quote": "звоните +77015557731",
                }
            ]
        },
        created_at=day(10) + timedelta(hours=1),
    )
    taken_down(
        staff["moderator"],
        day(26),
        olx,
        category="auto_parts",
        text=PLANTED["text"],
        scheme=Scheme.PREPAID_DELIVERY,
        policy="prepaid-delivery",
    )
    made = scam_figures(start=START, end=END)
    phrases = {f.key for f in made if f.metric == "scam.phrase"}
    assert phrases == {
        "underpriced_vehicle|предоплат*",
        "underpriced_vehicle|задаток",
        "fake_rental|предоплат*",
        "fake_rental|бронь",
        "prepaid_delivery|предоплат*",  # matched by "пред0плата", which is not kept
    }
    assert not any("пред0плата" in f.key or "7701" in f.key for f in made)


def test_the_maker_asks_the_same_few_queries_whatever_the_number_of_subjects(olx, staff, november):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            scam_figures(start=START, end=END)
        return len(captured)

    few = queries()
    for n in range(8):
        taken_down(
            staff["moderator"],
            day(27) + timedelta(minutes=n),
            olx,
            price=2_000_000 + n,
            text="Аванс, задаток.",
            policy="underpriced-vehicle",
        )
    assert figures(scam_figures(start=START, end=END))[("scam.seen", "underpriced_vehicle")] == (
        11,
        11,
    )
    assert queries() == few <= 2


def test_rounding_and_phrases_for_readers():
    assert rounded(2_450_000) == 2_500_000
    assert rounded(2_440_000) == 2_400_000
    assert rounded(7_340) == 7_300
    assert rounded(95) == 95
    assert phrase_shown("предоплат*") == "предоплат…"
    assert phrase_shown("перевед* ~ на карт") == "перевед… на карт"
    assert phrase_shown("pay ~ in advance") == "pay … in advance"
    assert phrase_shown("задаток") == "задаток"


# --- the pages -----------------------------------------------------------------------------

PAGES = ("public-scams", "public-scams-print")
LANGUAGES = ("en", "ru", "kk")


def month_bounds(month: date) -> tuple[datetime, datetime]:
    start = datetime(month.year, month.month, 1, tzinfo=ALMATY)
    following = (month + timedelta(days=32)).replace(day=1)
    return start, datetime(following.year, following.month, 1, tzinfo=ALMATY)


def publish() -> None:
    """Save what the maker returns for this month and the last, as the beat task would."""
    for month in scam_months():
        start, end = month_bounds(month)
        MonthlyFigure.objects.filter(month=month).delete()
        MonthlyFigure.objects.bulk_create(scam_figures(start=start, end=end))
    cache.clear()


def label(scheme: str, language: str) -> str:
    with translation.override(language):
        return str(Scheme(scheme).label)


def page(client, name: str, language: str = "en") -> str:
    response = client.get(reverse(name) + f"?lang={language}")
    assert response.status_code == 200
    assert response["Content-Language"] == language
    return response.content.decode()


class Moments:
    """Times in this month (from its first day, 03:00) and the last (from the 15th)."""

    def __init__(self) -> None:
        this, last = scam_months()
        self.this = itertools.count()
        self.last = itertools.count()
        self.this_start = datetime(this.year, this.month, 1, 3, tzinfo=ALMATY)
        self.last_start = datetime(last.year, last.month, 15, 3, tzinfo=ALMATY)

    def now(self) -> datetime:
        return self.this_start + timedelta(minutes=next(self.this))

    def before(self) -> datetime:
        return self.last_start + timedelta(minutes=next(self.last))


@pytest.fixture
def moments() -> Moments:
    return Moments()


@pytest.fixture
def seen(olx, staff, moments) -> None:
    """Last month six cheap cars were removed, this month one more; this month five prepaid
    car parts (five asked a prepayment, four a deposit too) and two fake rentals."""
    market(olx, category="cars", median=6_000_000)
    market(olx, category="auto_parts", median=100_000)
    mod = staff["moderator"]
    car_prices = (2_400_000, 2_450_000, 2_500_000, 1_800_000, 2_900_000, 2_000_000)
    for n, price in enumerate(car_prices):
        taken_down(
            mod,
            moments.before(),
            olx,
            price=price,
            text="Аванс." if n < 3 else "",
            policy="underpriced-vehicle",
        )
    taken_down(mod, moments.now(), olx, price=2_000_000, policy="underpriced-vehicle")
    for n, price in enumerate((30_000, 35_000, 40_000, 45_000, 20_000)):
        taken_down(
            mod,
            moments.now(),
            olx,
            category="auto_parts",
            price=price,
            text=PLANTED["text"] if n == 0 else "Предоплата и задаток.",
            scheme=Scheme.PREPAID_DELIVERY,
            policy="prepaid-delivery",
            planted=n == 0,
        )
    for _n in range(2):
        taken_down(
            mod,
            moments.now(),
            olx,
            category="short_term_rental",
            price=4_000,
            text="Бронь по предоплате.",
            scheme=Scheme.FAKE_RENTAL,
            policy="fake-rental",
        )
    publish()


def section(html: str, scheme: str) -> str:
    start = html.index(f'id="scheme-{scheme}"')
    end = html.find("</section>", start)
    return html[start:end]


def test_the_schemes_seen_in_order_with_what_was_seen(client, seen, settings):
    settings.TRANSPARENCY_MIN_COUNT = 5
    html = page(client, "public-scams")
    vehicle, prepaid = section(html, "underpriced_vehicle"), section(html, "prepaid_delivery")
    # Six last month (and one this month, too few to say) before five this month.
    assert html.index('id="scheme-underpriced_vehicle"') < html.index(
        'id="scheme-prepaid_delivery"'
    )
    assert html.count('<section class="scam" ') == 2
    assert '<td class="num">fewer than 5</td>' in vehicle
    assert '<td class="num">6</td>' in vehicle
    assert '<td class="num">5</td>' in prepaid and '<td class="num">0</td>' in prepaid
    # Examples: the median price rounded, the ratio, the dictionary phrases used by five.
    assert "The price asked was about 35\u00a0000 ₸." in prepaid
    assert "about 35% of the usual price" in prepaid
    assert '<span class="scam-phrase">«предоплат…»</span>' in prepaid
    assert "задаток" not in prepaid  # four subjects only
    assert "Seen most in these categories: Car parts." in prepaid
    # Last month's six cars give the car figures (this month's single one is too few).
    assert "The price asked was about 2\u00a0400\u00a0000 ₸." in vehicle
    assert "about 40% of the usual price" in vehicle
    assert "аванс" not in vehicle  # three subjects only
    assert "Seen most in these categories: Cars." in vehicle
    # How to recognise it: the rules of the scheme; what to do: the scheme's advice.
    assert "Price far below market" in vehicle and "Asks for payment in advance" in prepaid
    assert "Never pay an advance to “hold” a car" in vehicle
    assert "Do not pay in advance for goods or car parts" in prepaid
    # Two fake rentals are too few: named among the other schemes, linked to their policy.
    others = html[html.index('class="scam-others"') :]
    assert 'id="scheme-fake_rental"' not in html
    assert (
        f'<a href="{reverse("public-policy", args=["fake-rental"])}">Fake short-term rental</a>'
        in others
    )
    assert "call the police on 102" in html
    # With a threshold of four, the deposit asked by four subjects is shown too.
    settings.TRANSPARENCY_MIN_COUNT = 4
    cache.clear()
    prepaid = section(page(client, "public-scams"), "prepaid_delivery")
    assert '<span class="scam-phrase">«задаток»</span>' in prepaid


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_texts_in_each_language(client, seen, language):
    vehicle = Policy.objects.get(code="underpriced-vehicle", is_current=True)
    prepaid = Policy.objects.get(code="prepaid-delivery", is_current=True)
    for name in PAGES:
        html = page(client, name, language)
        assert f'<html lang="{language}">' in html
        for policy in (vehicle, prepaid):
            assert escape(policy.localized("text", language)) in html
        first = html.index(label(Scheme.UNDERPRICED_VEHICLE, language))
        assert first < html.index(label(Scheme.PREPAID_DELIVERY, language))


def test_no_subject_is_ever_named(client, seen):
    planted = Subject.objects.get(title=PLANTED["title"])
    assert planted.account is not None and planted.account.title == PLANTED["name"]
    assert planted.url == PLANTED["url"]
    assert planted.identifiers.filter(kind="email").exists()
    assert planted.photos.filter(source_url=PLANTED["photo"]).exists()
    for name in PAGES:
        for language in LANGUAGES:
            html = page(client, name, language)
            for value in PLANTED_SHOWN:
                assert value not in html, (name, language, value)


def test_an_empty_month_still_names_the_schemes(client):
    html = page(client, "public-scams")
    assert '<section class="scam" ' not in html
    assert "No scheme was taken down often enough" in html
    others = html[html.index('class="scam-others"') :]
    assert all(escape(str(choice.label)) in others for choice in Scheme if choice != "other")
    assert "<li>Other</li>" not in others
    assert "Whatever the scheme" in html


def test_the_page_reads_a_fixed_number_of_queries_then_the_cache(
    client, seen, olx, staff, moments, django_assert_num_queries
):
    def first_request() -> int:
        with CaptureQueriesContext(connection) as captured:
            page(client, "public-scams")
        return len(captured)

    few = first_request()
    for n in range(6):
        taken_down(
            staff["moderator"],
            moments.now(),
            olx,
            category="auto_parts" if n % 2 else "cars",
            price=25_000 + n,
            text="Аванс, задаток, бронь.",
            scheme=Scheme.FICTITIOUS_STORE,
            policy="fictitious-store",
        )
    publish()
    assert first_request() == few <= 2
    assert 'id="scheme-fictitious_store"' in page(client, "public-scams")
    for name in PAGES:
        page(client, name)
        with django_assert_num_queries(0):
            page(client, name)


def test_the_printable_version(client, seen):
    main = page(client, "public-scams")
    printable = page(client, "public-scams-print")
    assert f'href="{reverse("public-scams-print")}?lang=en">Printable version</a>' in main
    this_month = scam_months()[0]
    title = f"Scams on classifieds: {this_month:%B %Y}"
    assert f"<h1>{title}</h1>" in printable and f"<title>{title}</title>" in printable
    assert "public-nav" not in printable and "<nav" not in printable
    assert '<aside class="scam-report"' in printable and "call the police on 102" in printable
    assert section(printable, "prepaid_delivery") == section(main, "prepaid_delivery")
    assert "css/public.css" in printable
    for html in (main, printable):
        assert "<script" not in html and "style=" not in html
