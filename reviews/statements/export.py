"""The export of statements of reasons: which days, which decisions, which files, on record.

A supervisor picks a range of days (`SpanForm`: `from` and `to`, both included, at most
MAX_DAYS apart, in the site's time zone) and downloads the restrictions decided in it that
they may see (`statement_decisions`), as CSV or as JSON. Both files are written while they
are sent: the decisions are read CHUNK at a time, with a fixed number of queries per chunk
and none per row, and the JSON goes out in pieces of about FLUSH_BYTES, so memory stays flat
however long the range. The export is in the audit trail (`statements_export_record`)
before its first row is read. What a statement holds is reviews.statements.layout's.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from antifraud import access
from antifraud.audit import audit_record
from antifraud.csv_export import FLUSH_BYTES
from antifraud.date_filters import EARLIEST, LATEST
from antifraud.errors import NotAllowed
from antifraud.models import AuditEvent, Photo, Signal, SubjectIdentifier
from reviews.models import Decision
from reviews.statements.layout import EXPORTED, FIELDS, statement_of

PERMISSION = "reviews.export_statements"
# Rows read per query (and per prefetch query): memory stays flat however long the range.
CHUNK = 500
# The longest range one export covers, in days, both ends included.
MAX_DAYS = 366


# --- the date range ---------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """Days from `first` to `last`, both included, in the site's time zone."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return _day_start(self.first)

    @property
    def end(self) -> datetime:
        """The start of the day after the last: decisions before it are in."""
        return _day_start(self.last + timedelta(days=1))

    def as_query(self) -> str:
        return f"from={self.first.isoformat()}&to={self.last.isoformat()}"


def _day_start(day: date) -> datetime:
    # The site's zone (Asia/Almaty), whatever zone a request may have activated.
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def _day_field(label: str, missing: str, malformed: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": missing, "invalid": malformed},
    )


class SpanForm(forms.Form):
    """`from` and `to` (YYYY-MM-DD, both included), at most MAX_DAYS days apart. The field
    names are the query's, which Python keeps from being class attributes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from"] = _day_field(
            _("First day"),
            _("Give the first day of the range."),
            _("Write the first day as a date: YYYY-MM-DD."),
        )
        self.fields["to"] = _day_field(
            _("Last day"),
            _("Give the last day of the range."),
            _("Write the last day as a date: YYYY-MM-DD."),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("from", "to"):
            day = data.get(name)
            if day is not None and not EARLIEST <= day <= LATEST:
                self.add_error(
                    name,
                    _("Choose a day from %(first)s to %(last)s.")
                    % {"first": EARLIEST.isoformat(), "last": LATEST.isoformat()},
                )
        first, last = data.get("from"), data.get("to")
        if self.errors or first is None or last is None:
            return data
        if first > last:
            self.add_error("to", _("The last day comes before the first."))
        elif (last - first).days + 1 > MAX_DAYS:
            self.add_error("to", _("A range covers at most %(days)s days.") % {"days": MAX_DAYS})
        return data

    def span(self) -> Span:
        """The range; the form must be valid."""
        return Span(first=self.cleaned_data["from"], last=self.cleaned_data["to"])

    def one_line(self) -> str:
        """Every error on one line, for a download's plain-text refusal."""
        return " ".join(str(message) for errors in self.errors.values() for message in errors)


def last_month(today: date | None = None) -> Span:
    """The calendar month before this one: what the page offers first."""
    today = today or timezone.localdate(timezone=timezone.get_default_timezone())
    last = today.replace(day=1) - timedelta(days=1)
    return Span(first=last.replace(day=1), last=last)


# --- the decisions ----------------------------------------------------------------------


def _restrictions(user: User, span: Span) -> QuerySet[Decision]:
    return access.visible(user, Decision.objects.all()).filter(
        action__in=EXPORTED, decided_at__gte=span.start, decided_at__lt=span.end
    )


def statement_count(*, user: User, span: Span) -> int:
    """How many statements the range holds for the user (the page says it before a
    download)."""
    return _restrictions(user, span).count()


def statement_decisions(*, user: User, span: Span) -> QuerySet[Decision]:
    """The restrictions decided in the range that the user may see, oldest first, with what
    a statement needs: a fixed number of queries per chunk of `.iterator(chunk_size=…)` (the
    decisions with their policy, subject, account and partner; the subject's identifiers,
    its account's and its photos), none per row."""
    signals = Signal.objects.filter(cases=OuterRef("case_id"))
    identifiers = SubjectIdentifier.objects.only("subject_id", "kind", "value", "display")
    return (
        _restrictions(user, span)
        .select_related("policy", "subject__partner", "subject__account")
        .annotate(
            noticed=Exists(
                signals.filter(
                    source__in=(Signal.Source.USER_COMPLAINT, Signal.Source.PARTNER_REPORT)
                )
            ),
            police=Exists(signals.filter(source=Signal.Source.LAW_ENFORCEMENT)),
            reversed_at=F("reversed_by__decided_at"),
        )
        .prefetch_related(
            Prefetch("subject__identifiers", queryset=identifiers),
            Prefetch("subject__account__identifiers", queryset=identifiers),
            Prefetch(
                "subject__photos", queryset=Photo.objects.only("subject_id", "pdq_hash", "sha256")
            ),
        )
        .order_by("decided_at", "pk")
    )


def statements(decisions: QuerySet[Decision]) -> Iterator[dict[str, Any]]:
    """The statements of `decisions` (from `statement_decisions`), read CHUNK at a time."""
    urls: dict[tuple[str, int], str] = {}
    for decision in decisions.iterator(chunk_size=CHUNK):
        key = (decision.policy.code, decision.policy.version)
        if key not in urls:
            path = reverse("public-policy-version", kwargs={"code": key[0], "version": key[1]})
            urls[key] = settings.PUBLIC_BASE_URL + path
        yield statement_of(decision, policy_url=urls[key])


# --- the files --------------------------------------------------------------------------


def csv_values(statement: dict[str, Any]) -> list[Any]:
    """One CSV row: lists as JSON arrays, as in the DSA database's own CSV files."""
    return [
        json.dumps(value, ensure_ascii=False) if isinstance(value, list) else value
        for value in (statement[name] for name in FIELDS)
    ]


def json_chunks(items: Iterable[dict[str, Any]]) -> Iterator[str]:
    """`{"statements": [...]}` written a statement at a time, in pieces of about FLUSH_BYTES,
    without a count ahead: valid JSON once the last piece is out."""
    buffer = io.StringIO()
    buffer.write('{"statements": [')
    separator = "\n"
    for item in items:
        buffer.write(separator)
        buffer.write(json.dumps(item, ensure_ascii=False))
        separator = ",\n"
        if buffer.tell() >= FLUSH_BYTES:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    buffer.write("\n]}\n")
    yield buffer.getvalue()


# --- the record of an export ------------------------------------------------------------


@transaction.atomic
def statements_export_record(*, actor: User, span: Span, file_format: str) -> AuditEvent:
    """The export is in the trail before its first row is read: who took which days, in
    which format (the partner whose statements they are is the actor's, on the event)."""
    if not access.may(actor, PERMISSION):
        raise NotAllowed(_("Your role cannot export statements of reasons."))
    return audit_record(
        actor=actor,
        action="statements.exported",
        payload={
            "from": span.first.isoformat(),
            "to": span.last.isoformat(),
            "format": file_format,
        },
    )
