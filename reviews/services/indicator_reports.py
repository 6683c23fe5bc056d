"""Reports of indicators alone: a card, IBAN, phone, e-mail, device, URL or IIN used in a
fraud, with no account or listing behind it — what banks, telecoms and the police know.

Each value goes on the gray list with the reporting partner among its supporters, with the
fraud as evidence (antifraud.services.indicators.indicator_propose: partners of two kinds
put an entry in the promotion queue; nothing here lists anything black). A value vetted as
honest is refused on its own, the others stay. And the report becomes a signal: every open
subject, on any partner, carrying a reported value (the newest CARRIERS_MAX per value) gets
one signal saying who reported what, and its open case is scored again as intake scores it.
A subject without an open case keeps the signal for the next report that opens one.

Part of intake (reviews.services.intake): the caller holds the report's savepoint.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db.models import Prefetch
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from accounts.models import Partner
from antifraud.audit import AuditEntry
from antifraud.detection.base import Explanation, money
from antifraud.errors import DomainError
from antifraud.models import (
    DIGESTED_KINDS,
    Corroboration,
    Indicator,
    Scheme,
    Signal,
    Subject,
    SubjectIdentifier,
)
from antifraud.normalize import Normalized
from antifraud.services.indicators import indicator_propose
from reviews.models import Case, Report
from reviews.services.intake import (
    EveryValueRefused,
    IndicatorReportInput,
    ReportOutcome,
    case_score,
)

# Subjects per reported value that gain a signal, newest first: a value carried by more
# (a shared office phone) says little about each, and a report must stay quick.
CARRIERS_MAX = 50

# Who reported, by the reporting partner's kind; a whole sentence each, for translation.
# %(scheme)s is the scheme in running text; %(facts)s is ", 250 000 ₸, 2026-11-20" or less.
REPORTED: dict[str, str] = {
    Partner.Kind.BANK: gettext_noop(
        "A bank reported %(shown)s used in a fraud (%(scheme)s%(facts)s)."
    ),
    Partner.Kind.LAW_ENFORCEMENT: gettext_noop(
        "The police reported %(shown)s used in a fraud (%(scheme)s%(facts)s)."
    ),
    Partner.Kind.TELECOM: gettext_noop(
        "A telecom operator reported %(shown)s used in a fraud (%(scheme)s%(facts)s)."
    ),
    Partner.Kind.FINTECH: gettext_noop(
        "A payment company reported %(shown)s used in a fraud (%(scheme)s%(facts)s)."
    ),
}
REPORTED_BY_PARTNER = gettext_noop(
    "A partner reported %(shown)s used in a fraud (%(scheme)s%(facts)s)."
)


def indicator_report_store(
    *,
    partner: Partner,
    report: IndicatorReportInput,
    weight: float,
    audit: list[AuditEntry],
) -> ReportOutcome:
    """Store the report (the caller holds its savepoint): its values on the gray list, its
    signals on the subjects carrying them. Raises EveryValueRefused when no value could be
    listed, so that the savepoint undoes the report."""
    now = timezone.now()
    row = Report.objects.create(
        partner=partner,
        report_id=report.report_id,
        received_at=now,
        result={"report_id": report.report_id, "status": "accepted"},
    )
    reference = f"report:{row.pk}"
    entries: list[dict] = []
    listed: list[tuple[Normalized, Indicator]] = []
    errors: dict[str, list[dict[str, str]]] = {}
    for position, value in report.values:
        try:
            listing = indicator_propose(
                partner=partner,
                kind=value.kind,
                value=value.value,
                display=value.display,
                reason=report.description or _scheme_in_english(report.scheme),
                scheme=report.scheme,
                source=Corroboration.Source.REPORT,
                amount=report.amount,
                occurred_on=report.occurred_on,
                report_ref=reference,
                now=now,
            )
        except DomainError as refused:  # a value vetted as honest
            errors[f"indicators.{position}.value"] = [
                {"code": refused.code, "message": refused.message}
            ]
            continue
        indicator = listing.indicator
        listed.append((value, indicator))
        entries.append(
            {
                "index": position,
                "kind": indicator.kind,
                # Digested values only ever by their last four digits, as look-ups show them.
                "display": indicator.display[-9:]
                if indicator.kind in DIGESTED_KINDS
                else indicator.display,
                "list": indicator.list,
                "created": listing.created,
                "entry": indicator.pk,
            }
        )
    if not listed:
        raise EveryValueRefused(
            {"report_id": report.report_id, "status": "rejected", "errors": errors}
        )
    signals, cases = _signal_carriers(partner, report, row, listed, weight, now)
    result = {
        "report_id": report.report_id,
        "status": "accepted",
        "entries": entries,
        "errors": errors,
    }
    row.result = result
    row.save(update_fields=["result"])
    audit.append(
        AuditEntry(
            action="report.ingested",
            partner=partner,
            target=row,
            payload={
                "report_id": report.report_id,
                "indicators": [entry["entry"] for entry in entries],
                "refused": sorted(errors),
                "signals": len(signals),
                "cases": cases,
            },
            at=now,
        )
    )
    return ReportOutcome(result=result, created=True)


def _scheme_in_english(scheme: str) -> str:
    with translation.override("en"):
        return str(Scheme(scheme).label)


def explanation_of(
    partner: Partner, report: IndicatorReportInput, values: list[Normalized]
) -> Explanation:
    """ "A bank reported Card •••• 1111 used in a fraud (prepaid delivery, 250 000 ₸,
    2026-11-20)." — in the reader's language when shown."""
    facts = []
    if report.amount is not None:
        facts.append(f"{money(report.amount)} ₸")
    if report.occurred_on is not None:
        facts.append(f"{report.occurred_on:%Y-%m-%d}")
    return Explanation(
        REPORTED.get(partner.kind, REPORTED_BY_PARTNER),
        {
            "shown": [[value.kind, value.display] for value in values[:3]],
            "scheme": report.scheme,
            "facts": "".join(f", {fact}" for fact in facts),
        },
    )


def _signal_carriers(
    partner: Partner,
    report: IndicatorReportInput,
    row: Report,
    listed: list[tuple[Normalized, Indicator]],
    weight: float,
    now: datetime,
) -> tuple[list[Signal], list[int]]:
    """One signal on each open subject carrying a reported value (the newest CARRIERS_MAX
    per value, on any partner), and their open cases scored again. Returns the signals and
    the ids of the cases that gained one."""
    carried: dict[int, list[Normalized]] = defaultdict(list)
    for value, _indicator in listed:
        for subject_id in (
            SubjectIdentifier.objects.filter(kind=value.kind, value=value.value)
            .exclude(subject__status__in=[Subject.Status.BLOCKED, Subject.Status.REMOVED])
            .order_by("-subject__first_seen_at", "-subject_id")
            .values_list("subject_id", flat=True)[:CARRIERS_MAX]
        ):
            carried[subject_id].append(value)
    if not carried:
        return [], []
    entries = [indicator.pk for _value, indicator in listed]
    signals = Signal.objects.bulk_create(
        [
            _signal(partner, report, row, subject_id, values, entries, weight, now)
            for subject_id, values in sorted(carried.items())
        ]
    )
    by_subject = {signal.subject_id: signal for signal in signals}
    cases = (
        Case.objects.select_for_update()
        .filter(subject_id__in=list(by_subject))
        .exclude(status=Case.Status.DECIDED)
        .prefetch_related(Prefetch("signals", queryset=Signal.objects.order_by("pk")))
        .order_by("pk")
    )
    refreshed = []
    for case in cases:
        signal = by_subject[case.subject_id]
        case_score(case, [*case.signals.all(), signal], now)
        case.save(update_fields=["scheme", "risk_score", "priority", "updated_at"])
        case.signals.add(signal)
        refreshed.append(case.pk)
    return signals, refreshed


def _signal(
    partner: Partner,
    report: IndicatorReportInput,
    row: Report,
    subject_id: int,
    values: list[Normalized],
    entries: list[int],
    weight: float,
    now: datetime,
) -> Signal:
    explanation = explanation_of(partner, report, values)
    return Signal(
        subject_id=subject_id,
        source=report.source,
        scheme=report.scheme,
        score=report.score,
        # A partner's reports weigh by its track record, as intake weighs them; the
        # police's weigh 1.
        weight=weight if report.source == Signal.Source.PARTNER_REPORT else 1.0,
        explanation=explanation.render("en"),
        details={
            "explain": explanation.as_json(),
            "report": row.pk,
            "report_id": report.report_id,
            "indicators": entries,
            "values": [[value.kind, value.display] for value in values],
            # The reporter's own words, for the moderator; not part of the explanation,
            # which the subject's owner may read.
            "description": report.description,
            "amount": report.amount,
            "occurred_on": f"{report.occurred_on:%Y-%m-%d}" if report.occurred_on else None,
        },
        partner=partner,
        created_at=now,
    )
