"""Money, dates and times as each language writes them, on Almaty's clock."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.template import engines
from django.utils import formats, timezone, translation

from reviews.templatetags.reviews_tags import kzt, local_time, long_date

NNBSP = "\u202f"  # narrow no-break space: groups of digits in Russian and Kazakh
NBSP = "\u00a0"
# 20:30 UTC on the 3rd is 01:30 on the 4th in Almaty (UTC+5).
LATE_EVENING_UTC = datetime(2026, 12, 3, 20, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", f"1,234,567{NBSP}₸"),
        ("ru", f"1{NNBSP}234{NNBSP}567{NBSP}₸"),
        ("kk", f"1{NNBSP}234{NNBSP}567{NBSP}₸"),
    ],
)
def test_tenge_are_grouped_as_the_language_writes_numbers(language, expected):
    with translation.override(language):
        assert kzt(1234567) == expected
        assert kzt(999) == f"999{NBSP}₸"
        assert kzt(0) == f"0{NBSP}₸"
        assert kzt(None) == "—"


def test_tenge_in_a_template_follow_the_active_language():
    template = engines["django"].from_string("{% load reviews_tags %}{{ price|kzt }}")
    with translation.override("en"):
        assert template.render({"price": 6050000}) == f"6,050,000{NBSP}₸"
    with translation.override("kk"):
        assert template.render({"price": 6050000}) == f"6{NNBSP}050{NNBSP}000{NBSP}₸"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Dec. 4, 2026"), ("ru", "4 декабря 2026 г."), ("kk", "4 Желтоқсан 2026 ж.")],
)
def test_dates_in_words_are_in_the_language_and_on_the_almaty_calendar(language, expected):
    with translation.override(language):
        assert long_date(LATE_EVENING_UTC) == expected
        assert long_date(date(2026, 12, 4)) == expected
        assert long_date(None) == "—"


def test_times_are_on_the_almaty_clock():
    assert local_time(LATE_EVENING_UTC) == "04.12.2026 01:30"
    assert local_time(None) == "—"
    # Django's own date filter, which the pages use, converts the same way.
    template = engines["django"].from_string('{{ at|date:"d.m.Y H:i" }}')
    assert template.render({"at": LATE_EVENING_UTC}) == "04.12.2026 01:30"


def test_day_names_in_words_follow_the_language():
    template = engines["django"].from_string('{{ at|date:"D d.m.Y" }}')
    with translation.override("ru"):
        assert template.render({"at": LATE_EVENING_UTC}) == "Пт 04.12.2026"
    with translation.override("en"):
        assert template.render({"at": LATE_EVENING_UTC}) == "Fri 04.12.2026"


def test_kazakh_has_formats_of_its_own():
    """Django ships none for kk: without antifraud/formats/kk the English ones would show."""
    with translation.override("kk"):
        assert formats.get_format("SHORT_DATE_FORMAT") == "d.m.Y"
        assert formats.get_format("FIRST_DAY_OF_WEEK") == 1
        assert formats.number_format(1234567, force_grouping=True) == f"1{NBSP}234{NBSP}567"
        at = timezone.localtime(LATE_EVENING_UTC)
        assert formats.date_format(at, "SHORT_DATETIME_FORMAT") == "04.12.2026 01:30"
