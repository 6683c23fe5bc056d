"""Intake: a partner's report becomes a subject, a signal and a case.

Each report is ingested in its own transaction, so that in a batch the valid reports are
stored even when others are refused. A report is idempotent on the partner's `report_id`:
the same id again returns the first answer and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Partner
from antifraud import detection
from antifraud.audit import audit_record
from antifraud.models import IndicatorKind, Photo, Signal, Subject, SubjectIdentifier
from antifraud.normalize import Normalized
from reviews.models import Case, Report
from reviews.scoring import case_priority, case_risk

# Fields of a subject a report may set; its status belongs to decisions alone.
SUBJECT_FIELDS = ("title", "text", "category", "price", "currency", "city", "url", "language", "registered_at")


@dataclass(frozen=True)
class SubjectInput:
    kind: str
    external_id: str
    title: str = ""
    text: str = ""
    category: str = ""
    price: int | None = None
    currency: str = "KZT"
    city: str = ""
    url: str = ""
    language: str = "ru"
    registered_at: datetime | None = None


@dataclass(frozen=True)
class AccountInput:
    """The account that posted a listing."""

    external_id: str
    name: str = ""
    registered_at: datetime | None = None


@dataclass(frozen=True)
class PhotoInput:
    pdq_hash: str = ""  # normalised, 64 hex digits
    url: str = ""


@dataclass(frozen=True)
class ReportInput:
    report_id: str
    subject: SubjectInput
    scheme: str
    explanation: str
    score: int = 50
    source: str = Signal.Source.PARTNER_REPORT
    account: AccountInput | None = None
    # Already normalised (antifraud.normalize), so that bad values are refused per field
    # before anything is written.
    identifiers: tuple[Normalized, ...] = ()
    photos: tuple[PhotoInput, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportOutcome:
    result: dict[str, Any]
    created: bool  # False for a resend of a known report_id


def _upsert(partner: Partner, kind: str, external_id: str, values: dict[str, Any], now: datetime) -> Subject:
    subject = (
        Subject.objects.select_for_update()
        .filter(partner=partner, kind=kind, external_id=external_id)
        .first()
    )
    if subject is None:
        return Subject.objects.create(
            partner=partner, kind=kind, external_id=external_id, first_seen_at=now, updated_at=now, **values
        )
    changed = [name for name, value in values.items() if value not in (None, "") and getattr(subject, name) != value]
    for name in changed:
        setattr(subject, name, values[name])
    if changed:
        subject.updated_at = now
        subject.save(update_fields=[*changed, "updated_at"])
    return subject


def _attach_identifiers(subject: Subject, identifiers: tuple[Normalized, ...], photos: tuple[PhotoInput, ...]) -> None:
    rows = [SubjectIdentifier(subject=subject, kind=i.kind, value=i.value, display=i.display) for i in identifiers]
    known_photos = set(subject.photos.values_list("pdq_hash", flat=True))
    next_position = subject.photos.count()
    new_photos = []
    for photo in photos:
        if photo.pdq_hash:
            rows.append(
                SubjectIdentifier(
                    subject=subject, kind=IndicatorKind.PHOTO, value=photo.pdq_hash, display=photo.pdq_hash[:12]
                )
            )
        if photo.pdq_hash not in known_photos or not photo.pdq_hash:
            known_photos.add(photo.pdq_hash)
            new_photos.append(
                Photo(subject=subject, position=next_position, source_url=photo.url, pdq_hash=photo.pdq_hash)
            )
            next_position += 1
    SubjectIdentifier.objects.bulk_create(rows, ignore_conflicts=True)
    Photo.objects.bulk_create(new_photos)


def _open_or_attach(subject: Subject, signals: list[Signal], now: datetime) -> Case | None:
    """The open case of the subject gains the signals and its priority rises; without one, a
    case opens — unless the subject is already blocked or removed, which needs no review."""
    if subject.status in (Subject.Status.BLOCKED, Subject.Status.REMOVED):
        return None
    case = Case.objects.select_for_update().filter(subject=subject).exclude(status=Case.Status.DECIDED).first()
    if case is None:
        top = max(signals, key=lambda s: s.score)
        case = Case.objects.create(
            subject=subject,
            partner=subject.partner,
            subject_kind=subject.kind,
            scheme=top.scheme,
            opened_at=now,
            deadline=now + timedelta(hours=settings.CASE_DEADLINE_HOURS),
            updated_at=now,
        )
        audit_record(actor=None, partner=subject.partner, action="case.opened", target=case, payload={"subject": subject.pk})
    case.signals.add(*signals)
    every = list(case.signals.all())
    case.risk_score = case_risk(s.score for s in every)
    case.priority = case_priority(
        risk_score=case.risk_score,
        signal_count=len(every),
        list_match=any(s.source == Signal.Source.LIST_MATCH for s in every),
    )
    strongest = max(every, key=lambda s: s.score)
    case.scheme = strongest.scheme
    case.updated_at = now
    case.save(update_fields=["risk_score", "priority", "scheme", "updated_at"])
    return case


def report_ingest(*, partner: Partner, report: ReportInput) -> ReportOutcome:
    """Upsert the subject (and a listing's account), store the signal, run detection, and
    open a case or add to the open one. Returns the answer for this report."""
    known = Report.objects.filter(partner=partner, report_id=report.report_id).first()
    if known is not None:
        return ReportOutcome(result=known.result, created=False)
    try:
        with transaction.atomic():
            return _ingest(partner, report)
    except IntegrityError:
        # The same report_id arrived twice at once: the other request stored it first.
        known = Report.objects.filter(partner=partner, report_id=report.report_id).first()
        if known is None:
            raise
        return ReportOutcome(result=known.result, created=False)


def _ingest(partner: Partner, report: ReportInput) -> ReportOutcome:
    now = timezone.now()
    values = {name: getattr(report.subject, name) for name in SUBJECT_FIELDS}
    account = None
    if report.subject.kind == Subject.Kind.LISTING and report.account is not None:
        account = _upsert(
            partner,
            Subject.Kind.ACCOUNT,
            report.account.external_id,
            {"title": report.account.name, "registered_at": report.account.registered_at},
            now,
        )
        values["account"] = account
    subject = _upsert(partner, report.subject.kind, report.subject.external_id, values, now)
    _attach_identifiers(subject, report.identifiers, report.photos)
    if account is not None:
        # Contacts belong to the person: the account carries them too, so its other listings link.
        _attach_identifiers(account, tuple(i for i in report.identifiers if i.kind != IndicatorKind.PHOTO), ())

    signal = Signal.objects.create(
        subject=subject,
        source=report.source,
        scheme=report.scheme,
        score=report.score,
        explanation=report.explanation,
        details=report.details,
        partner=partner,
        report_id=report.report_id,
        created_at=now,
    )
    findings = detection.run(subject=subject, now=now)
    case = _open_or_attach(subject, [signal, *findings.signals], now)
    result = {
        "report_id": report.report_id,
        "status": "accepted",
        "subject_id": subject.pk,
        "subject_status": subject.status,
        "case_id": case.pk if case else None,
        "risk_score": case.risk_score if case else None,
        "list_matches": findings.list_matches,
    }
    Report.objects.create(
        partner=partner, report_id=report.report_id, received_at=now, subject=subject, signal=signal, case=case, result=result
    )
    audit_record(
        actor=None,
        partner=partner,
        action="report.ingested",
        target=signal,
        payload={"report_id": report.report_id, "case": result["case_id"], "matches": len(findings.list_matches)},
    )
    return ReportOutcome(result=result, created=True)
