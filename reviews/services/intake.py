"""Intake: a partner's report becomes a subject, a signal and a case.

Each report is ingested in its own transaction, so that in a batch the valid reports are
stored even when others are refused. A report is idempotent on the partner's `report_id`:
the same id again returns the first answer and writes nothing.

A report of indicators alone — a card, IBAN, phone… used in a fraud, with no listing
behind it, as banks, telecoms and the police send them — puts each value on the gray list
with the partner among its supporters (antifraud.services.indicators.indicator_propose),
and becomes a signal on every open subject, on any partner, that carries a value.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Partner
from antifraud import detection
from antifraud.audit import AuditEntry, audit_record_many
from antifraud.detection.photos import photos_index
from antifraud.detection.rings import rings_update
from antifraud.models import IndicatorKind, Photo, Signal, Subject, SubjectIdentifier
from antifraud.normalize import Normalized
from antifraud.services.registry import hits_record
from reviews.models import Case, Decision, Report
from reviews.scoring import case_priority, case_risk, report_weight, signal_contribution

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
    "attributes",
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
    attributes: dict[str, Any] = field(default_factory=dict)


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
    quality: int | None = None
    # The eight mirrored and rotated hashes, when the hub had the image itself.
    dihedral: tuple[str, ...] = ()


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
class IndicatorReportInput:
    """A report of values used in a fraud, with no account or listing behind it."""

    report_id: str
    # Already normalised, each once, in the order sent, with its position in the report.
    values: tuple[tuple[int, Normalized], ...]
    scheme: str
    amount: int | None = None  # what was lost, in tenge
    occurred_on: date | None = None
    description: str = ""
    source: str = Signal.Source.PARTNER_REPORT
    score: int = 50


@dataclass(frozen=True)
class ReportOutcome:
    result: dict[str, Any]
    created: bool  # False for a resend of a known report_id


class EveryValueRefused(Exception):
    """Raised inside a report's savepoint when nothing of it could be stored: the report
    is rejected with this answer and leaves nothing behind."""

    def __init__(self, result: dict[str, Any]) -> None:
        super().__init__(result.get("report_id"))
        self.result = result


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
        if value not in (None, "", {}) and getattr(subject, name) != value
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
) -> list[Photo]:
    """Store the identifiers and photos; returns the photos that are new."""
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
                pdq_quality=photo.quality,
            )
        )
    if rows:
        SubjectIdentifier.objects.bulk_create(rows, ignore_conflicts=True)
    if new_photos:
        Photo.objects.bulk_create(new_photos)
    return new_photos


def _open_or_attach(
    subject: Subject,
    signals: list[Signal],
    now: datetime,
    audit: list[AuditEntry],
    *,
    partner: Partner,
    new: bool,
) -> Case | None:
    """The open case of the subject gains the signals and its risk is scored again; without
    one, a case opens — unless the subject is already blocked or removed, which needs no
    review."""
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
    case_score(case, every, now)
    case.save()
    case.signals.add(*signals)
    return case


def case_score(case: Case, every: Sequence[Signal], now: datetime) -> None:
    """The case's scheme, risk and priority from all its signals (the caller saves it)."""
    counted = [s for s in every if not s.shadow] or list(every)
    strongest = max(counted, key=signal_contribution)
    case.scheme = strongest.scheme
    case.risk_score = case_risk(every)
    case.priority = case_priority(
        risk_score=case.risk_score,
        signal_count=len(counted),
        list_match=any(s.source == Signal.Source.LIST_MATCH and not s.shadow for s in every),
    )
    case.updated_at = now


@dataclass
class _Stored:
    """A report written (subject, signal, report row), waiting for detection over its
    chunk before its case is opened and its answer written."""

    index: int
    report: ReportInput
    subject: Subject
    signal: Signal
    row: Report
    new: bool
    now: datetime


def reports_ingest(
    *, partner: Partner, reports: Sequence[ReportInput | IndicatorReportInput]
) -> list[ReportOutcome]:
    """Ingest a batch: one outcome per report, in order. Reports are written in chunks, each
    report in a savepoint of its chunk's transaction, so one report's failure undoes only
    that report; detection then runs over the chunk's subjects at once, and the audit events
    of a chunk are appended together at its end."""
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
    weight = partner_report_weight(partner) if pending else 1.0
    for start in range(0, len(pending), CHUNK):
        chunk = pending[start : start + CHUNK]
        with transaction.atomic():
            audit: list[AuditEntry] = []
            stored: list[_Stored] = []
            for index in chunk:
                got = _ingest_one(partner, index, reports[index], weight, audit)
                if isinstance(got, ReportOutcome):
                    outcomes[index] = got
                else:
                    stored.append(got)
            subjects = [item.subject for item in stored]
            now = timezone.now()
            findings = detection.run_batch(subjects, now=now)
            rings_update([s.pk for s in subjects])
            # Each reported subject carrying a listed value is a hit of its entry: it keeps
            # a gray entry fresh, and a sudden flood (a platform's support number pasted
            # into listings) quarantines the entry.
            hits = Counter(m["id"] for f in findings.values() for m in f.list_matches)
            if hits:
                hits_record(dict(hits), now=now)
            for item in stored:
                outcomes[item.index] = _conclude(partner, item, findings[item.subject.pk], audit)
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


def partner_report_weight(partner: Partner) -> float:
    """How much this partner's reports count, from how often its past reports were upheld
    (reviews.scoring.report_weight)."""
    decisions = Decision.objects.filter(
        case__signals__partner=partner,
        case__signals__source=Signal.Source.PARTNER_REPORT,
    ).exclude(action=Decision.Action.REVERSE)
    decided = decisions.values("case").distinct().count()
    upheld = (
        decisions.filter(
            action__in=[Decision.Action.BLOCK_ACCOUNT, Decision.Action.REMOVE_LISTING],
            reversed_by__isnull=True,
        )
        .values("case")
        .distinct()
        .count()
    )
    return report_weight(decided=decided, upheld=upheld)


def _ingest_one(
    partner: Partner,
    index: int,
    report: ReportInput | IndicatorReportInput,
    weight: float,
    audit: list[AuditEntry],
) -> _Stored | ReportOutcome:
    for _attempt in (1, 2):
        try:
            with transaction.atomic():
                if isinstance(report, IndicatorReportInput):
                    # Imported here: that module builds on this one (case_score, the inputs).
                    from reviews.services.indicator_reports import indicator_report_store

                    return indicator_report_store(
                        partner=partner, report=report, weight=weight, audit=audit
                    )
                return _store(partner, index, report, weight)
        except EveryValueRefused as refused:
            return ReportOutcome(result=refused.result, created=False)
        except IntegrityError:
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


def _store(partner: Partner, index: int, report: ReportInput, weight: float) -> _Stored:
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
    photos = _attach_identifiers(subject, report.identifiers, report.photos, new=new)
    contacts = tuple(i for i in report.identifiers if i.kind != IndicatorKind.PHOTO)
    if account is not None and contacts:
        # Contacts belong to the person: the account carries them too, so its other listings link.
        _attach_identifiers(account, contacts, (), new=False)
    if photos:
        photos_index(photos, {p.pdq_hash: p.dihedral for p in report.photos if p.dihedral})
        if settings.PHOTO_FETCH_ENABLED:
            # Photos known only by their URL (or without mirrored hashes) are fetched and hashed
            # by the worker, which runs detection on the subject again.
            from antifraud.tasks import photo_fetch

            with_image = {p.pdq_hash for p in report.photos if p.dihedral}
            for photo in photos:
                if photo.source_url and photo.pdq_hash not in with_image:
                    photo_fetch.delay_on_commit(photo.pk)
    signal = Signal.objects.create(
        subject=subject,
        source=report.source,
        scheme=report.scheme,
        score=report.score,
        weight=weight if report.source == Signal.Source.PARTNER_REPORT else 1.0,
        explanation=report.explanation,
        details=report.details,
        partner=partner,
        report_id=report.report_id,
        created_at=now,
    )
    row = Report.objects.create(
        partner=partner,
        report_id=report.report_id,
        received_at=now,
        subject=subject,
        signal=signal,
        result={"report_id": report.report_id, "status": "accepted"},
    )
    return _Stored(index, report, subject, signal, row, new, now)


def _conclude(
    partner: Partner, item: _Stored, findings: detection.Findings, audit: list[AuditEntry]
) -> ReportOutcome:
    subject, report = item.subject, item.report
    case = _open_or_attach(
        subject, [item.signal, *findings.signals], item.now, audit, partner=partner, new=item.new
    )
    result = {
        "report_id": report.report_id,
        "status": "accepted",
        "subject_id": subject.pk,
        "subject_status": subject.status,
        "case_id": case.pk if case else None,
        "risk_score": case.risk_score if case else None,
        "list_matches": findings.list_matches,
        "signals": [
            {"rule": s.rule, "score": s.score, "shadow": s.shadow, "explanation": s.explanation}
            for s in findings.signals
        ],
    }
    item.row.result = result
    item.row.case = case
    item.row.save(update_fields=["result", "case"])
    audit.append(
        AuditEntry(
            action="report.ingested",
            partner=partner,
            target=item.signal,
            payload={
                "report_id": report.report_id,
                "case": result["case_id"],
                "matches": len(findings.list_matches),
                "rules": sorted({s.rule for s in findings.signals}),
            },
            at=item.now,
        )
    )
    return ReportOutcome(result=result, created=True)
