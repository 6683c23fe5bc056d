"""Appeals: a blocked user files one, a senior moderator who did not take the decision
reviews it, and an overturn reverses the decision everywhere. Each step is audited."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.languages import language_or_default
from accounts.models import User
from antifraud import access
from antifraud import services as core
from antifraud.audit import audit_record
from antifraud.errors import DomainError, InvalidInput, NotAllowed, NotFound
from antifraud.models import Delivery, Indicator, Subject
from reviews.limits import APPEAL_STATEMENT_MIN, TEXT_MAX
from reviews.models import Appeal, AppealAttachment, Decision, ReplyTemplate
from reviews.services.cases import NotClaimant, lease_end
from reviews.services.decisions import decision_payload, subject_change, subjects_lock
from reviews.uploads import Upload, attachments_clean


class AppealRefused(DomainError):
    code = "appeal_refused"


def _email_later(appeal: Appeal, kind: str) -> None:
    if appeal.contact_email:
        from reviews.tasks import appeal_email_send

        appeal_email_send.delay_on_commit(appeal.pk, kind)


def appeal_window_open(decision: Decision, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return now <= decision.decided_at + timedelta(days=settings.APPEAL_LINK_MAX_AGE_DAYS)


# --- the appellant ----------------------------------------------------------------------


def appeal_file(
    *,
    decision_id: int,
    statement: str,
    contact_email: str = "",
    language: str = "ru",
    consent: bool,
    attachments: Sequence[Upload] = (),
) -> Appeal:
    """File the one appeal a decision allows. Files are checked before anything is written,
    and removed again if the record cannot be written."""
    statement = (statement or "").strip()
    contact_email = (contact_email or "").strip()
    if not consent:
        raise InvalidInput(
            _("Consent to the processing of your appeal is required."), code="consent_required"
        )
    if len(statement) < APPEAL_STATEMENT_MIN:
        raise InvalidInput(
            _("Explain why the decision is wrong in at least %(n)d characters.")
            % {"n": APPEAL_STATEMENT_MIN},
            code="statement_too_short",
        )
    if len(statement) > TEXT_MAX:
        raise InvalidInput(
            _("The statement has at most %(n)d characters.") % {"n": TEXT_MAX},
            code="statement_too_long",
        )
    if contact_email:
        try:
            validate_email(contact_email)
        except ValidationError as exc:
            raise InvalidInput(_("The e-mail address is not valid."), code="invalid_email") from exc
    if len(attachments) > settings.APPEAL_MAX_ATTACHMENTS:
        raise InvalidInput(
            _("Attach at most %(n)d files.") % {"n": settings.APPEAL_MAX_ATTACHMENTS},
            code="too_many_attachments",
        )
    cleaned = attachments_clean(attachments)
    language = language_or_default(language)

    written: list[str] = []
    try:
        with transaction.atomic():
            decision = Decision.objects.select_for_update().filter(pk=decision_id).first()
            if decision is None:
                raise NotFound(_("No such decision."))
            if not decision.is_appealable:
                raise AppealRefused(_("This decision cannot be appealed."), code="not_appealable")
            if not appeal_window_open(decision):
                raise AppealRefused(
                    _("The time to appeal this decision has passed."), code="appeal_window_closed"
                )
            if Appeal.objects.filter(decision=decision).exists():
                raise AppealRefused(
                    _("An appeal against this decision was already filed."), code="already_filed"
                )
            if Decision.objects.filter(reverses=decision).exists():
                raise AppealRefused(
                    _("This decision was already reversed."), code="already_reversed"
                )
            now = timezone.now()
            appeal = Appeal.objects.create(
                decision=decision,
                statement=statement,
                contact_email=contact_email,
                language=language,
                filed_at=now,
                consent_at=now,
                deadline=now + timedelta(hours=settings.APPEAL_DEADLINE_HOURS),
            )
            for clean in cleaned:
                name = default_storage.save(
                    f"appeals/{uuid.uuid4().hex}.{clean.extension}", ContentFile(clean.data)
                )
                written.append(name)
                AppealAttachment.objects.create(
                    appeal=appeal,
                    file=name,
                    content_type=clean.content_type,
                    size=len(clean.data),
                    sha256=clean.sha256,
                    original_name=clean.original_name,
                    uploaded_at=now,
                )
            audit_record(
                actor=None,
                action="appeal.filed",
                target=appeal,
                payload={
                    "decision": decision.pk,
                    "attachments": len(cleaned),
                    "contact": bool(contact_email),
                },
            )
            _email_later(appeal, "received")
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise
    return appeal


@transaction.atomic
def appeal_withdraw(*, appeal_id: int) -> Appeal:
    """The appellant takes the appeal back before a reviewer has taken it up."""
    appeal = Appeal.objects.select_for_update().filter(pk=appeal_id).first()
    if appeal is None:
        raise NotFound(_("No such appeal."))
    if appeal.status != Appeal.Status.SUBMITTED:
        raise AppealRefused(
            _("Only an appeal that is not yet in review can be withdrawn."), code="not_withdrawable"
        )
    appeal.status = Appeal.Status.WITHDRAWN
    appeal.withdrawn_at = timezone.now()
    appeal.save(update_fields=["status", "withdrawn_at"])
    audit_record(actor=None, action="appeal.withdrawn", target=appeal)
    return appeal


# --- the reviewers ----------------------------------------------------------------------


def _require_reviewer(actor: User) -> None:
    if not access.may_review_appeals(actor):
        raise NotAllowed(_("Your role cannot review appeals."))


def _four_eyes(actor: User, decision: Decision) -> None:
    if access.took_part(actor, decision):
        raise AppealRefused(
            _("Four eyes: you took part in this decision, someone else must review it."),
            code="four_eyes",
        )


def _locked(actor: User, appeal_id: int) -> Appeal:
    return access.visible_or_404(
        actor,
        Appeal.objects.select_for_update(of=("self",)).select_related(
            "decision__subject__partner", "decision__subject__account", "decision__policy"
        ),
        appeal_id,
    )


def _take(appeal: Appeal, actor: User, now: datetime) -> Appeal:
    appeal.status = Appeal.Status.IN_REVIEW
    appeal.claimed_by = actor
    appeal.lease_until = lease_end(now)
    appeal.save(update_fields=["status", "claimed_by", "lease_until"])
    audit_record(actor=actor, action="appeal.claimed", target=appeal)
    return appeal


@transaction.atomic
def appeal_claim_next(*, actor: User) -> Appeal | None:
    """The appeal closest to its deadline that the actor may review (not their own decision)."""
    _require_reviewer(actor)
    now = timezone.now()
    scope = (
        Appeal.objects.visible_to(actor)
        .exclude(decision__decided_by=actor)
        .exclude(decision__approved_by=actor)
    )
    held = scope.filter(
        status=Appeal.Status.IN_REVIEW, claimed_by=actor, lease_until__gt=now
    ).first()
    if held is not None:
        return appeal_lease_renew(actor=actor, appeal_id=held.pk)
    order = ("deadline", "pk")
    waiting = list(
        scope.filter(status=Appeal.Status.SUBMITTED)
        .order_by(*order)
        .select_for_update(skip_locked=True, of=("self",))[:1]
    )
    stale = list(
        scope.filter(status=Appeal.Status.IN_REVIEW, lease_until__lte=now)
        .order_by(*order)
        .select_for_update(skip_locked=True, of=("self",))[:1]
    )
    candidates = sorted(waiting + stale, key=lambda a: (a.deadline, a.pk))
    return _take(candidates[0], actor, now) if candidates else None


@transaction.atomic
def appeal_claim(*, actor: User, appeal_id: int) -> Appeal:
    _require_reviewer(actor)
    appeal = _locked(actor, appeal_id)
    _four_eyes(actor, appeal.decision)
    now = timezone.now()
    if appeal.is_held_by(actor):
        return appeal_lease_renew(actor=actor, appeal_id=appeal.pk)
    stale = (
        appeal.status == Appeal.Status.IN_REVIEW
        and appeal.lease_until
        and appeal.lease_until <= now
    )
    if appeal.status == Appeal.Status.SUBMITTED or stale:
        return _take(appeal, actor, now)
    raise AppealRefused(
        _("This appeal is %(status)s.") % {"status": appeal.get_status_display().lower()},
        code="appeal_not_available",
    )


@transaction.atomic
def appeal_lease_renew(*, actor: User, appeal_id: int) -> Appeal:
    appeal = _locked(actor, appeal_id)
    if not appeal.is_held_by(actor):
        raise NotClaimant(_("You no longer hold this appeal."))
    appeal.lease_until = lease_end(timezone.now())
    appeal.save(update_fields=["lease_until"])
    return appeal


def _back_to_queue(appeal: Appeal) -> None:
    appeal.status = Appeal.Status.SUBMITTED
    appeal.claimed_by = None
    appeal.lease_until = None
    appeal.save(update_fields=["status", "claimed_by", "lease_until"])


@transaction.atomic
def appeal_release(*, actor: User, appeal_id: int) -> Appeal:
    appeal = _locked(actor, appeal_id)
    if not appeal.is_held_by(actor):
        raise NotClaimant(_("You do not hold this appeal."))
    _back_to_queue(appeal)
    audit_record(actor=actor, action="appeal.released", target=appeal)
    return appeal


@transaction.atomic
def appeal_leases_sweep(*, now: datetime | None = None, batch: int = 500) -> int:
    now = now or timezone.now()
    expired = list(
        Appeal.objects.select_for_update(skip_locked=True)
        .filter(status=Appeal.Status.IN_REVIEW, lease_until__lte=now)
        .order_by("lease_until")[:batch]
    )
    for appeal in expired:
        holder = appeal.claimed_by_id
        _back_to_queue(appeal)
        audit_record(
            actor=None, action="appeal.lease_expired", target=appeal, payload={"holder": holder}
        )
    return len(expired)


def appeal_attachment_viewed(*, actor: User, attachment: AppealAttachment) -> None:
    """Evidence an appellant sent is personal data: every look at it is recorded."""
    audit_record(
        actor=actor,
        action="appeal.attachment_viewed",
        target=attachment.appeal,
        payload={"attachment": attachment.pk},
    )


def _reverse(actor: User, appeal: Appeal, reply: str, now: datetime) -> Decision:
    original = appeal.decision
    # The statuses to restore are read from locked rows (see subjects_lock).
    locked = subjects_lock([original.subject_id])
    subject = locked[original.subject_id]
    if subject.account_id is not None:
        subject.account = locked[subject.account_id]
    reversal = Decision.objects.create(
        case=original.case,
        subject=subject,
        action=Decision.Action.REVERSE,
        policy=original.policy,
        statement_of_reasons=reply,
        language=appeal.language,
        decided_by=actor,
        decided_at=now,
        evidence=original.evidence,
        reverses=original,
    )
    listed = list(original.listed_indicators.all())
    revoked = core.indicators_revoke(actor=actor, indicators=listed, reason="overturned on appeal")
    cleared = []
    for indicator in revoked:
        # Vetted as honest: the same phone or photo is not flagged again without new evidence.
        result = core.indicator_list(
            actor=actor,
            kind=indicator.kind,
            value=indicator.value,
            display=indicator.display,
            list=Indicator.List.CLEARED,
            origin=Indicator.Origin.DECISION,
            origin_ref=f"decision:{reversal.pk}",
            reason="overturned on appeal",
            now=now,
        )
        cleared.append(result.indicator)
    if revoked:
        reversal.revoked_indicators.add(*revoked)

    payload = decision_payload(reversal) | {"reverses": original.pk}
    owner = subject.owner
    if original.action == Decision.Action.BLOCK_ACCOUNT and owner is not None:
        subject_change(
            subject=owner,
            status=Subject.Status.ACTIVE if owner.status == Subject.Status.BLOCKED else None,
            event_type=Delivery.EventType.SUBJECT_UNBLOCKED,
            indicators=cleared,
            payload=payload,
            now=now,
        )
    if subject.kind == Subject.Kind.LISTING and subject.status == Subject.Status.REMOVED:
        subject_change(
            subject=subject,
            status=Subject.Status.ACTIVE,
            event_type=Delivery.EventType.LISTING_RESTORED,
            indicators=[] if original.action == Decision.Action.BLOCK_ACCOUNT else cleared,
            payload=payload,
            now=now,
        )
    audit_record(
        actor=actor,
        action="decision.recorded",
        target=reversal,
        payload={"reverses": original.pk, "revoked": [i.pk for i in revoked], "appeal": appeal.pk},
    )
    return reversal


@transaction.atomic
def appeal_resolve(*, actor: User, appeal_id: int, overturn: bool, reply: str) -> Appeal:
    """Uphold or overturn, with a reply the appellant reads. An overturn records a reversal
    decision, restores the subject, revokes what the decision listed and tells every
    partner; the original decision is never edited."""
    _require_reviewer(actor)
    appeal = _locked(actor, appeal_id)
    _four_eyes(actor, appeal.decision)
    if not appeal.is_held_by(actor):
        raise NotClaimant(_("Claim the appeal before resolving it."))
    reply = (reply or "").strip()
    if not reply:
        raise InvalidInput(_("Write the reply the appellant will read."), code="reply_required")
    if len(reply) > TEXT_MAX:
        raise InvalidInput(
            _("The reply has at most %(n)d characters.") % {"n": TEXT_MAX},
            code="reply_too_long",
        )
    now = timezone.now()
    appeal.reviewer = actor
    appeal.reply = reply
    appeal.resolved_at = now
    appeal.claimed_by = None
    appeal.lease_until = None
    if overturn:
        appeal.status = Appeal.Status.OVERTURNED
        appeal.reversal = _reverse(actor, appeal, reply, now)
    else:
        appeal.status = Appeal.Status.UPHELD
    appeal.save(
        update_fields=[
            "reviewer",
            "reply",
            "resolved_at",
            "claimed_by",
            "lease_until",
            "status",
            "reversal",
        ]
    )
    audit_record(
        actor=actor,
        action=f"appeal.{appeal.status}",
        target=appeal,
        payload={"decision": appeal.decision_id, "reversal": appeal.reversal_id},
    )
    _email_later(appeal, "resolved")
    return appeal


# --- reply templates ----------------------------------------------------------------------

REPLY_PLACEHOLDERS = re.compile(r"\{(title|partner|policy)\}")


def _reply_language_order(language: str) -> list[str]:
    return list(dict.fromkeys([language, "ru", "en"]))


def appeal_reply_prefill(appeal: Appeal, outcome: str) -> str:
    """The reply a reviewer starts from for this outcome ("upheld" or "overturned"): the
    template in the appellant's language (else Russian, else English), the policy's own
    before the generic one, with the subject, the partner and the policy's title filled in.
    Only the three known placeholders are filled: any other brace stays as it is. The text
    is plain; the page escapes it once. Empty when no template fits."""
    decision = appeal.decision
    policy = decision.policy
    languages = _reply_language_order(appeal.language)
    found = {
        (t.policy_code, t.language): t.text
        for t in ReplyTemplate.objects.filter(
            outcome=outcome, policy_code__in=[policy.code, ""], language__in=languages
        )
    }
    # The appellant must be able to read it: their language first, then the policy's own.
    best = next(
        (
            (found[(code, language)], language)
            for language in languages
            for code in (policy.code, "")
            if (code, language) in found
        ),
        None,
    )
    if best is None:
        return ""
    text, language = best
    subject = decision.subject
    values = {
        "title": subject.title or subject.external_id,
        "partner": subject.partner.name,
        "policy": policy.localized("title", language),
    }
    # One pass: a title that reads "{policy}" is not filled in again.
    return REPLY_PLACEHOLDERS.sub(lambda m: values[m.group(1)], text)
