"""Intake: a partner's report becomes a subject, a signal and a case.

Each report is ingested in its own transaction, so that in a batch the valid reports are
stored even when others are refused. A report is idempotent on the partner's `report_id`:
the same id again returns the first answer and writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Partner
from antifraud import detection
from antifraud.audit import AuditEntry, audit_record_many
from antifraud.models import IndicatorKind, Photo, Signal, Subject, SubjectIdentifier
from antifraud.normalize import Normalized
from reviews.models import Case, Report
from reviews.scoring import case_priority, case_risk

# Fields of a subject a report may set; its status belongs to decisions alone.
SUBJECT_FIELDS = (
    "title",
    "text",
    "category",
    "price",
    "currency",
    "city",
    "url",
    "language",
    "registered_at",
)


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


CHUNK = 100  # reports per transaction: few commits, and the audit chain's lock held briefly


def _upsert(
    partner: Partner, kind: str, external_id: str, values: dict[str, Any], now: datetime
) -> Subject:
    """Caller holds a transaction. A subject first seen now has `first_seen_at == now`."""
    existing = Subject.objects.select_for_update().filter(
        partner=partner, kind=kind, external_id=external_id
    )
    subject = existing.first()
    if subject is None:
        # ON CONFLICT DO NOTHING: a concurrent request may be creating the same subject; then
        # its row is read and updated like any other.
        fresh = Subject(
            partner=partner,
            kind=kind,
            external_id=external_id,
            first_seen_at=now,
            updated_at=now,
            **values,
        )
        Subject.objects.bulk_create([fresh], ignore_conflicts=True)
        subject = existing.get()
        if subject.first_seen_at == now:
            return subject
    changed = [
        name
        for name, value in values.items()
        if value not in (None, "") and getattr(subject, name) != value
    ]
    for name in changed:
        setattr(subject, name, values[name])
    if changed:
        subject.updated_at = now
        subject.save(update_fields=[*changed, "updated_at"])
    return subject


def _attach_identifiers(
    subject: Subject,
    identifiers: tuple[Normalized, ...],
    photos: tuple[PhotoInput, ...],
    *,
    new: bool,
) -> None:
    rows = [
        SubjectIdentifier(subject=subject, kind=i.kind, value=i.value, display=i.display)
        for i in identifiers
    ]
    known = [] if new or not photos else list(subject.photos.values_list("pdq_hash", flat=True))
    seen = set(known)
    new_photos: list[Photo] = []
    for photo in photos:
        if photo.pdq_hash:
            rows.append(
                SubjectIdentifier(
                    subject=subject,
                    kind=IndicatorKind.PHOTO,
                    value=photo.pdq_hash,
                    display=photo.pdq_hash[:12],
                )
            )
            if photo.pdq_hash in seen:
                continue
            seen.add(photo.pdq_hash)
        new_photos.append(
            Photo(
                subject=subject,
                position=len(known) + len(new_photos),
                source_url=photo.url,
                pdq_hash=photo.pdq_hash,
            )
        )
    if rows:
        SubjectIdentifier.objects.bulk_create(rows, ignore_conflicts=True)
    if new_photos:
        Photo.objects.bulk_create(new_photos)


def _open_or_attach(
    subject: Subject,
    signals: list[Signal],
    now: datetime,
    audit: list[AuditEntry],
    *,
    partner: Partner,
    new: bool,
) -> Case | None:
    """The open case of the subject gains the signals and its priority rises; without one, a
    case opens — unless the subject is already blocked or removed, which needs no review."""
    if subject.status in (Subject.Status.BLOCKED, Subject.Status.REMOVED):
        return None
    case = (
        None
        if new  # a subject first seen now has no case yet
        else Case.objects.select_for_update()
        .filter(subject=subject)
        .exclude(status=Case.Status.DECIDED)
        .first()
    )
    if case is None:
        every = signals
        case = Case(
            subject=subject,
            partner_id=subject.partner_id,
            subject_kind=subject.kind,
            opened_at=now,
            deadline=now + timedelta(hours=settings.CASE_DEADLINE_HOURS),
        )
        audit.append(AuditEntry(action="case.opened", partner=partner, target=case, at=now))
    else:
        every = [*case.signals.all(), *signals]
    strongest = max(every, key=lambda s: s.score)
    case.scheme = strongest.scheme
    case.risk_score = case_risk(s.score for s in every)
    case.priority = case_priority(
        risk_score=case.risk_score,
        signal_count=len(every),
        list_match=any(s.source == Signal.Source.LIST_MATCH for s in every),
    )
    case.updated_at = now
    case.save()
    case.signals.add(*signals)
    return case


def reports_ingest(*, partner: Partner, reports: Sequence[ReportInput]) -> list[ReportOutcome]:
    """Ingest a batch: one outcome per report, in order. Reports are written in chunks, each
    report in a savepoint of its chunk's transaction, so one report's failure undoes only
    that report; the audit events of a chunk are appended together at its end."""
    ids = [r.report_id for r in reports]
    known = {
        r.report_id: r.result for r in Report.objects.filter(partner=partner, report_id__in=ids)
    }
    outcomes: list[ReportOutcome | None] = [None] * len(reports)
    pending: list[int] = []
    queued: set[str] = set()
    for index, report in enumerate(reports):
        if report.report_id in known:
            outcomes[index] = ReportOutcome(result=known[report.report_id], created=False)
        elif report.report_id not in queued:  # the same id twice in one batch: the first counts
            queued.add(report.report_id)
            pending.append(index)
    for start in range(0, len(pending), CHUNK):
        chunk = pending[start : start + CHUNK]
        with transaction.atomic():
            audit: list[AuditEntry] = []
            for index in chunk:
                outcomes[index] = _ingest_one(partner, reports[index], audit)
            audit_record_many(audit)
    by_id = {o.result["report_id"]: o for o in outcomes if o is not None}
    return [
        o if o is not None else ReportOutcome(result=by_id[r.report_id].result, created=False)
        for o, r in zip(outcomes, reports, strict=True)
    ]


def report_ingest(*, partner: Partner, report: ReportInput) -> ReportOutcome:
    """Upsert the subject (and a listing's account), store the signal, run detection, and
    open a case or add to the open one. Returns the answer for this report."""
    return reports_ingest(partner=partner, reports=[report])[0]


def _ingest_one(partner: Partner, report: ReportInput, audit: list[AuditEntry]) -> ReportOutcome:
    for _attempt in (1, 2):
        mark = len(audit)
        try:
            with transaction.atomic():
                return _ingest(partner, report, audit)
        except IntegrityError:
            del audit[mark:]
            # Another request stored this report_id first: its answer is the answer.
            known = Report.objects.filter(partner=partner, report_id=report.report_id).first()
            if known is not None:
                return ReportOutcome(result=known.result, created=False)
    return ReportOutcome(
        result={
            "report_id": report.report_id,
            "status": "rejected",
            "errors": {
                "report": [
                    {
                        "code": "conflict",
                        "message": "another request was writing the same subject; send it again",
                    }
                ]
            },
        },
        created=False,
    )


def _ingest(partner: Partner, report: ReportInput, audit: list[AuditEntry]) -> ReportOutcome:
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
    new = subject.first_seen_at == now
    _attach_identifiers(subject, report.identifiers, report.photos, new=new)
    contacts = tuple(i for i in report.identifiers if i.kind != IndicatorKind.PHOTO)
    if account is not None and contacts:
        # Contacts belong to the person: the account carries them too, so its other listings link.
        _attach_identifiers(account, contacts, (), new=False)

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
    known_pairs = None
    if new and (account is None or account.first_seen_at == now):
        # Nothing else is known of a subject (and account) first seen now.
        known_pairs = {(i.kind, i.value) for i in report.identifiers} | {
            ("photo", p.pdq_hash) for p in report.photos if p.pdq_hash
        }
    findings = detection.run(subject=subject, now=now, pairs=known_pairs)
    case = _open_or_attach(
        subject, [signal, *findings.signals], now, audit, partner=partner, new=new
    )
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
        partner=partner,
        report_id=report.report_id,
        received_at=now,
        subject=subject,
        signal=signal,
        case=case,
        result=result,
    )
    audit.append(
        AuditEntry(
            action="report.ingested",
            partner=partner,
            target=signal,
            payload={
                "report_id": report.report_id,
                "case": result["case_id"],
                "matches": len(findings.list_matches),
            },
            at=now,
        )
    )
    return ReportOutcome(result=result, created=True)
