"""/transparency/ and its CSV and JSON downloads: the same figures in all three, never a
withheld one; the month asked for; the cache; a number of queries that does not grow with
the subjects; a page that needs no script and no style attribute."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from html.parser import HTMLParser
from typing import cast

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Partner
from antifraud.models import Scheme, Signal
from reviews.models import MonthlyFigure
from reviews.public_site import generation
from reviews.transparency.compute import figures_backfill, local_month
from tests.factories import PartnerFactory
from tests.reviews import test_transparency_figures as subjects
from tests.reviews.test_transparency_suppression import blocked, store

pytestmark = pytest.mark.django_db

# The figures' fixed world (tests/reviews/test_transparency_figures.py), built through the
# services, for the query counts.
clock = subjects.clock
webhooks = subjects.webhooks
world = subjects.world
at, grow = subjects.at, subjects.grow

NOVEMBER, OCTOBER = date(2026, 11, 1), date(2026, 10, 1)
PAGE = reverse("public-transparency")
CSV_URL = reverse("public-transparency-csv")
JSON_URL = reverse("public-transparency-json")


@pytest.fixture
def published(db) -> tuple[Partner, Partner]:
    """Two months of hand-made figures, some of them too small to publish."""
    kolesa = cast(Partner, PartnerFactory(slug="kolesa", name="Kolesa.kz"))
    krisha = cast(Partner, PartnerFactory(slug="krisha", name="Krisha.kz"))
    store(
        OCTOBER, [(kolesa, "blocked", "fake_rental", 9, 9), (None, "blocked", "fake_rental", 9, 9)]
    )
    rows = blocked(kolesa, krisha)
    for partner, figures in (
        (
            kolesa,
            {
                ("reports", "partner_report"): 40,
                ("reports", "user_complaint"): 12,
                ("reports", "detection_rule"): 3,
                ("decisions", ""): 19,
                ("automated_detection", ""): 2,
                ("decided_by_people", ""): 19,
                ("appeals_filed", ""): 6,
                ("appeals_upheld", ""): 5,
                ("appeals_overturned", ""): 1,
                ("entries_listed", "gray"): 7,
                ("entries_disputed", ""): 6,
                ("entries_revoked", ""): 5,
                ("sync_pending", ""): 2,
            },
        ),
        (
            krisha,
            {
                ("reports", "user_complaint"): 25,
                ("reports", "list_match"): 9,
                ("decisions", ""): 27,
                ("automated_detection", ""): 20,
                ("decided_by_people", ""): 27,
            },
        ),
        (
            None,
            {
                ("reports", "partner_report"): 40,
                ("reports", "user_complaint"): 37,
                ("reports", "detection_rule"): 3,
                ("reports", "list_match"): 9,
                ("decisions", ""): 46,
                ("automated_detection", ""): 22,
                ("decided_by_people", ""): 46,
                ("appeals_filed", ""): 6,
                ("appeals_upheld", ""): 5,
                ("appeals_overturned", ""): 1,
                ("entries_listed", "black"): 12,
                ("entries_listed", "gray"): 7,
                ("entries_disputed", ""): 8,
                ("entries_revoked", ""): 5,
                ("sync_pending", ""): 2,
            },
        ),
    ):
        rows += [(partner, metric, key, n, n) for (metric, key), n in figures.items()]
    rows += [
        (kolesa, "appeal_hours_median", "", 14.25, 6),
        (None, "appeal_hours_median", "", 14.25, 6),
        (kolesa, "sync_minutes_median", "", 7.5, 17),
        (krisha, "sync_minutes_median", "", 30.0, 3),
        (None, "sync_minutes_median", "", 20.0, 20),
    ]
    store(NOVEMBER, rows)
    return kolesa, krisha


# --- reading the page -------------------------------------------------------------------


class Tables(HTMLParser):
    """Per section of the page (by id), each table row's header and cells, as text."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, dict[str, list[str]]] = {}
        self.section = ""
        self.row: list[str] | None = None
        self.text: list[str] | None = None
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attributes += attrs
        if tag == "section":
            self.section = dict(attrs).get("id") or ""
            self.sections.setdefault(self.section, {})
        elif tag == "tr":
            self.row = []
        elif tag in ("th", "td") and self.row is not None:
            self.text = []

    def handle_data(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td") and self.row is not None and self.text is not None:
            self.row.append(" ".join("".join(self.text).split()))
            self.text = None
        elif tag == "tr" and self.row:
            rows = self.sections[self.section]
            if len(self.row) > 1:
                assert self.row[0] not in rows, f"{self.row[0]} twice in {self.section}"
                rows[self.row[0]] = self.row[1:]
            self.row = None


def tables(html: str) -> Tables:
    parser = Tables()
    parser.feed(html)
    return parser


SOURCES = dict(Signal.Source.choices)
SCHEMES = dict(Scheme.choices)
ROWS = {
    "decisions": "Decisions",
    "automated_detection_share": "Share raised by automated detection",
    "decided_by_people_share": "Share decided by people",
    "appeals_filed": "Appeals filed",
    "appeals_upheld": "Appeals upheld",
    "appeals_overturned": "Appeals overturned",
    "appeal_hours_median": "Median time from filing to outcome",
    "entries_disputed": "Disputes opened",
    "entries_revoked": "Entries revoked",
    "sync_minutes_median": "Median time from a decision until every partner has it",
    "sync_pending": "Decisions whose events are still being delivered",
}
UNITS = {
    "appeal_hours_median": "{:.1f} h",
    "sync_minutes_median": "{:.1f} min",
    "automated_detection_share": "{:.1%}",
    "decided_by_people_share": "{:.1%}",
}


def on_page(figure: dict) -> tuple[str, int] | None:
    """Where the page shows a downloaded figure: its row and cell."""
    metric, key = figure["metric"], figure["key"]
    if metric == "reports":
        return (str(SOURCES[key]) if key else "All sources", 0)
    if metric in ("blocked", "removed"):
        return (str(SCHEMES[key]) if key else "All schemes", 0 if metric == "blocked" else 1)
    if metric == "entries_listed":
        return (f"Entries put on the {key} list", 0) if key else None
    if metric in ROWS:
        return (ROWS[metric], 0)
    return None  # the counts behind the shares


def written(figure: dict) -> str:
    if figure["suppressed"]:
        records = figure["metric"] in UNITS
        return "fewer than 5 records" if records else "fewer than 5"
    if figure["value"] is None:
        return "—"
    return UNITS.get(figure["metric"], "{:,}").format(figure["value"])


def test_the_page_and_both_downloads_show_the_same_figures(published):
    client = Client()
    page = tables(client.get(PAGE, {"lang": "en"}).content.decode())
    body = client.get(JSON_URL, {"lang": "en"}).json()
    assert body["month"] == "2026-11" and body["min_count"] == 5
    figures = body["figures"]
    anchors = {"all": "all-partners", "kolesa": "partner-kolesa", "krisha": "partner-krisha"}
    checked = 0
    for figure in figures:
        place = on_page(figure)
        if place is None:
            continue
        label, column = place
        rows = page.sections[anchors[figure["partner"]]]
        if figure["metric"] in ("blocked", "removed") and figure["key"] and label not in rows:
            # A scheme with nothing blocked nor removed has no row.
            assert figure["value"] == 0 and not figure["suppressed"], figure
            continue
        assert rows[label][column] == written(figure), figure
        checked += 1
    assert checked > 60

    lines = list(csv.reader(io.StringIO(client.get(CSV_URL).content.decode())))
    assert lines[0] == ["month", "partner", "metric", "key", "value", "suppressed"]
    assert lines[1:] == [
        [
            "2026-11",
            f["partner"],
            f["metric"],
            f["key"],
            "" if f["value"] is None else str(f["value"]),
            "true" if f["suppressed"] else "false",
        ]
        for f in figures
    ]


def test_a_withheld_figure_is_never_published(published):
    figures = Client().get(JSON_URL).json()["figures"]
    withheld = {(f["partner"], f["metric"], f["key"]) for f in figures if f["suppressed"]}
    assert all(f["value"] is None for f in figures if f["suppressed"])
    # Kolesa's 3 fake rentals and the figures withheld with them (see the suppression tests).
    assert {
        ("kolesa", "blocked", "fake_rental"),
        ("kolesa", "blocked", "fake_photos"),
        ("kolesa", "blocked", "underpriced_vehicle"),
        ("krisha", "blocked", "fake_rental"),
        ("krisha", "blocked", "underpriced_vehicle"),
        ("all", "blocked", "fake_rental"),
        ("all", "blocked", "fake_photos"),
    } <= withheld
    assert ("all", "blocked", "underpriced_vehicle") not in withheld
    # Kolesa's 3 reports by detection take its 12 complaints with them (its row), those
    # Krisha's 25 (their column), those Krisha's 9 list matches (its row), and those all
    # partners' 9 (their column).
    assert {
        ("kolesa", "reports", "detection_rule"),
        ("kolesa", "reports", "user_complaint"),
        ("krisha", "reports", "user_complaint"),
        ("krisha", "reports", "list_match"),
        ("all", "reports", "detection_rule"),
        ("all", "reports", "list_match"),
    } == {w for w in withheld if w[1] == "reports"}
    page = tables(Client().get(PAGE, {"lang": "en"}).content.decode())
    kolesa = page.sections["partner-kolesa"]
    assert kolesa["Detection rule"] == ["fewer than 5"]
    assert kolesa["User complaint"] == ["fewer than 5"]
    assert kolesa["Partner report"] == ["40"]
    assert kolesa["All sources"] == ["55"]
    assert kolesa["Fake short-term rental"] == ["fewer than 5", "0"]
    assert kolesa["Median time from filing to outcome"] == ["14.2 h"]
    krisha = page.sections["partner-krisha"]
    # 3 decisions reached the partners: too few for a median.
    assert krisha["Median time from a decision until every partner has it"] == [
        "fewer than 5 records"
    ]
    assert page.sections["all-partners"]["Share raised by automated detection"] == ["47.8%"]
    csv_text = Client().get(CSV_URL).content.decode()
    assert "2026-11,kolesa,blocked,fake_rental,,true" in csv_text


# --- the month --------------------------------------------------------------------------


def month_shown(response) -> str:
    html = response.content.decode()
    assert response.status_code == 200
    current = html.split('aria-current="page">', 2)[2].split("<", 1)[0]
    return current


@pytest.mark.parametrize(
    ("asked", "shown", "note"),
    [
        ({}, "November 2026", ""),
        ({"month": "2026-11"}, "November 2026", ""),
        ({"month": "2026-10"}, "October 2026", ""),
        ({"month": "2026-13"}, "November 2026", "is not written as a year and a month"),
        ({"month": "November"}, "November 2026", "is not written as a year and a month"),
        ({"month": "<script>alert(1)</script>"}, "November 2026", "is not written as"),
        ({"month": "0000-01"}, "November 2026", "is not written as"),
        ({"month": "2025-01"}, "November 2026", "There are no figures for the month asked for"),
    ],
)
def test_the_month_asked_for(published, asked, shown, note):
    response = Client().get(PAGE, {"lang": "en", **asked})
    html = response.content.decode()
    # The month links are the page's first "current" mark after the site's own nav.
    assert month_shown(response) == shown
    assert f"The figures of {shown} as a CSV file" in html
    if note:
        assert note in html
    else:
        assert 'class="message warning"' not in html
    assert "<script>" not in html


def test_the_month_links_and_the_language_links_keep_the_month(published):
    html = Client().get(PAGE, {"month": "2026-10", "lang": "en"}).content.decode()
    assert '<a href="?month=2026-11">November 2026</a>' in html
    assert '<a href="?month=2026-10" aria-current="page">October 2026</a>' in html
    assert 'href="/transparency/?month=2026-10&amp;lang=kk"' in html
    assert f'href="{CSV_URL}?month=2026-10"' in html
    assert f'href="{JSON_URL}?month=2026-10"' in html
    assert 'href="#method"' in html and 'id="method"' in html


@pytest.mark.parametrize("language", ["en", "ru", "kk"])
def test_the_downloads_follow_the_month_and_name_their_file(published, language):
    client = Client()
    for path, kind in ((CSV_URL, "text/csv"), (JSON_URL, "application/json")):
        extension = path.rsplit(".", 1)[1]
        for _ in range(2):  # the second from the cache, with its headers all the same
            response = client.get(path, {"month": "2026-10", "lang": language})
            assert response.status_code == 200
            assert response["Content-Type"].startswith(kind)
            assert response["Content-Disposition"] == (
                f'attachment; filename="transparency-2026-10.{extension}"'
            )
    body = client.get(JSON_URL, {"month": "2026-10"}).json()
    assert body["month"] == "2026-10"
    assert {(f["partner"], f["metric"], f["key"], f["value"]) for f in body["figures"]} >= {
        ("kolesa", "blocked", "fake_rental", 9),
        ("all", "blocked", "fake_rental", 9),
    }
    bad = client.get(CSV_URL, {"month": "garbage"})
    assert bad["Content-Disposition"] == 'attachment; filename="transparency-2026-11.csv"'


def test_before_any_figure_is_computed(db):
    client = Client()
    page = client.get(PAGE, {"lang": "en", "month": "2026-11"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "No figures have been computed yet." in html
    assert 'id="method"' in html
    assert client.get(CSV_URL).content.decode() == "month,partner,metric,key,value,suppressed\n"
    assert client.get(JSON_URL).json() == {
        "month": None,
        "min_count": 5,
        "computed_at": None,
        "figures": [],
    }


# --- the page itself --------------------------------------------------------------------


def test_the_page_needs_no_script_and_no_style_attribute(published):
    html = Client().get(PAGE, {"lang": "en"}).content.decode()
    assert "<script" not in html and "style=" not in html
    # Charts drawn as SVG bars, each beside its table.
    assert html.count("<svg") >= 4
    assert '<rect class="chart-bar" x="' in html and 'width="' in html and 'height="' in html
    assert html.count("<table") >= 2 * html.count("<svg")


def test_the_page_in_russian_and_kazakh(published):
    """Months and numbers as each language writes them (the interface's own sentences are
    translated in the catalogues)."""
    for language, month, share in (
        ("ru", "Ноябрь 2026 г.", "47,8"),
        ("kk", "Қараша 2026 ж.", "47,8"),
    ):
        response = Client().get(PAGE, {"lang": language})
        assert response.status_code == 200
        assert response["Content-Language"] == language
        html = response.content.decode()
        assert f'<html lang="{language}">' in html
        assert month in html
        rows = tables(html).sections["all-partners"]
        assert rows[month] == ["46", "0"]  # the trend's row of the month
        assert any(cell.startswith(share) for cells in rows.values() for cell in cells)


# --- the cache and the queries ----------------------------------------------------------


def test_the_second_visit_is_served_from_the_cache(published, django_assert_num_queries):
    client = Client()
    first = client.get(PAGE, {"lang": "en"})
    csv_first = client.get(CSV_URL)
    client.get(JSON_URL)
    with django_assert_num_queries(0):
        again = client.get(PAGE, {"lang": "en"})
    assert again.content == first.content
    with django_assert_num_queries(0):
        assert client.get(CSV_URL).content == csv_first.content
        client.get(JSON_URL)
    assert again["Cache-Control"] == "public, max-age=300"


def test_new_figures_show_at_once(published, django_capture_on_commit_callbacks):
    kolesa, _krisha = published
    client = Client()
    assert client.get(JSON_URL).json()["computed_at"]
    before = client.get(PAGE, {"lang": "en"}).content
    with django_capture_on_commit_callbacks(execute=True):
        store(NOVEMBER, [(kolesa, "decisions", "", 50, 50), (None, "decisions", "", 50, 50)])
    after = client.get(PAGE, {"lang": "en"}).content.decode()
    assert after.encode() != before
    assert tables(after).sections["partner-kolesa"]["Decisions"] == ["50"]


def page_queries(client: Client) -> int:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        for path in (PAGE, CSV_URL, JSON_URL):
            assert client.get(path, {"lang": "en"}).status_code == 200
    return len(captured)


def test_the_page_asks_as_much_for_many_subjects_as_for_few(world):
    client = Client()
    world.clock.set(at(12, 5, 9))
    figures_backfill()
    few = page_queries(client)
    grow(world, 6, 24)
    world.clock.set(at(12, 5, 10))
    figures_backfill()
    assert MonthlyFigure.objects.filter(month=NOVEMBER, metric="decisions").exists()
    many = page_queries(client)
    assert many == few
    # The page reads the months and the figures; each download, the figures.
    assert few <= 5


def test_a_month_under_way_is_shown_when_asked_for_or_when_it_is_all_there_is(db):
    kolesa = cast(Partner, PartnerFactory(slug="kolesa", name="Kolesa.kz"))
    under_way = local_month(timezone.now())
    ended = (under_way - timedelta(days=1)).replace(day=1)
    store(
        under_way,
        [(kolesa, "blocked", "fake_rental", 9, 9), (None, "blocked", "fake_rental", 9, 9)],
    )
    # Only the month under way has figures: it is the one shown.
    assert month_shown(Client().get(PAGE, {"lang": "en"})) == under_way.strftime("%B %Y")
    store(ended, [(kolesa, "blocked", "fake_rental", 7, 7), (None, "blocked", "fake_rental", 7, 7)])
    generation_bump_now()
    # Then the last month that has ended comes first; the one under way is a link away.
    assert month_shown(Client().get(PAGE, {"lang": "en"})) == ended.strftime("%B %Y")
    asked = Client().get(PAGE, {"lang": "en", "month": under_way.strftime("%Y-%m")})
    assert month_shown(asked) == under_way.strftime("%B %Y")
    assert "is not over yet" in asked.content.decode()


def generation_bump_now() -> None:
    from django.core.cache import cache

    from reviews.public_site import GENERATION_KEY

    cache.set(GENERATION_KEY, generation() + 1, timeout=None)
