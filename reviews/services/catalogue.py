"""What the hub's administrators set beside the published policies: the defaults a block
under each policy starts from (indicator kinds listed, block lengths) and the reply templates
appeal reviewers start from. Each change is checked, locked and audited with its old and new
values."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.languages import LANGUAGE_CODES
from accounts.models import User
from antifraud import access
from antifraud.audit import audit_record
from antifraud.errors import InvalidInput, NotAllowed
from antifraud.models import IndicatorKind
from reviews.limits import TEXT_MAX
from reviews.models import Policy, ReplyTemplate
from reviews.public_site import generation_bump

# The lengths offered everywhere (days, 0 permanent); any other positive length up to ten
# years may be set too.
BLOCK_DAYS_USUAL = (0, 7, 30, 90)
BLOCK_DAYS_MAX = 3650


def _require_hub_admin(actor: User | None, perm: str) -> None:
    """The catalogue serves every partner: only the hub's administrators change it."""
    if not (access.is_hub(actor) and access.may(actor, perm)):
        raise NotAllowed(_("Only the hub's administrators change the policy catalogue."))


def block_durations_problem(durations: Iterable[object]) -> str:
    """Why these block lengths cannot be a policy's, or "" when they can."""
    seen: set[int] = set()
    for days in durations:
        if isinstance(days, bool) or not isinstance(days, int):
            return _("A block length is a whole number of days.")
        if days not in BLOCK_DAYS_USUAL and not 0 < days <= BLOCK_DAYS_MAX:
            return _("A block lasts from 1 to %(max)d days, or 0 for permanent.") % {
                "max": BLOCK_DAYS_MAX
            }
        if days in seen:
            return _("Each block length is given once.")
        seen.add(days)
    return ""


def indicator_kinds_problem(kinds: Iterable[object]) -> str:
    known = set(IndicatorKind.values)
    unknown = sorted(str(kind) for kind in kinds if kind not in known)
    if unknown:
        return _("Unknown indicator kinds: %(kinds)s.") % {"kinds": ", ".join(unknown)}
    return ""


@transaction.atomic
def policy_defaults_set(
    *,
    actor: User | None,
    policy_id: int,
    indicator_kinds: list[str],
    block_durations: list[int],
) -> Policy:
    """Set what a block under the policy lists by default and how long it may last (the
    first length is the form's default). Changing nothing writes nothing."""
    _require_hub_admin(actor, "reviews.change_policy")
    problem = indicator_kinds_problem(indicator_kinds) or block_durations_problem(block_durations)
    if problem:
        raise InvalidInput(problem, code="invalid_policy_defaults")
    policy = Policy.objects.select_for_update().filter(pk=policy_id).first()
    if policy is None:
        raise InvalidInput(_("No such policy."), code="not_found")
    kinds = list(dict.fromkeys(indicator_kinds))
    changes = {
        name: {"old": getattr(policy, name), "new": value}
        for name, value in (
            ("default_indicator_kinds", kinds),
            ("block_durations", list(block_durations)),
        )
        if getattr(policy, name) != value
    }
    if not changes:
        return policy
    for name, change in changes.items():
        setattr(policy, name, change["new"])
    policy.save(update_fields=list(changes))
    audit_record(
        actor=actor, action="policy.defaults_changed", target=policy, payload={"changes": changes}
    )
    # The public catalogue shows the block lengths.
    generation_bump()
    return policy


def _reply_template_check(*, outcome: str, policy_code: str, language: str, text: str) -> None:
    if outcome not in ReplyTemplate.Outcome.values:
        raise InvalidInput(_("A reply template is for upholding or overturning."), code="invalid")
    if language not in LANGUAGE_CODES:
        raise InvalidInput(_("Choose English, Russian or Kazakh."), code="invalid")
    if policy_code and not Policy.objects.filter(code=policy_code).exists():
        raise InvalidInput(
            _("No policy has the code %(code)s.") % {"code": policy_code}, code="unknown_policy"
        )
    if not text.strip():
        raise InvalidInput(_("The template's text is required."), code="invalid")
    if len(text) > TEXT_MAX:
        raise InvalidInput(
            _("The template's text has at most %(n)d characters.") % {"n": TEXT_MAX},
            code="invalid",
        )


@transaction.atomic
def reply_template_save(
    *,
    actor: User | None,
    template_id: int | None,
    outcome: str,
    policy_code: str,
    language: str,
    text: str,
) -> ReplyTemplate:
    """Add a reply template (`template_id` None) or change one."""
    _require_hub_admin(
        actor, "reviews.change_replytemplate" if template_id else "reviews.add_replytemplate"
    )
    text = text.strip()
    _reply_template_check(outcome=outcome, policy_code=policy_code, language=language, text=text)
    clash = ReplyTemplate.objects.select_for_update().filter(
        outcome=outcome, policy_code=policy_code, language=language
    )
    if template_id:
        clash = clash.exclude(pk=template_id)
    if clash.exists():
        raise InvalidInput(
            _("There is already a template for this outcome, policy and language."),
            code="duplicate",
        )
    fields = {"outcome": outcome, "policy_code": policy_code, "language": language, "text": text}
    if template_id is None:
        template = ReplyTemplate.objects.create(**fields)
        audit_record(
            actor=actor, action="reply_template.added", target=template, payload=dict(fields)
        )
        return template
    existing = ReplyTemplate.objects.select_for_update().filter(pk=template_id).first()
    if existing is None:
        raise InvalidInput(_("No such reply template."), code="not_found")
    template = existing
    changes = {
        name: {"old": getattr(template, name), "new": value}
        for name, value in fields.items()
        if getattr(template, name) != value
    }
    if changes:
        for name, change in changes.items():
            setattr(template, name, change["new"])
        template.save(update_fields=list(changes))
        audit_record(
            actor=actor,
            action="reply_template.changed",
            target=template,
            payload={"changes": changes},
        )
    return template


@transaction.atomic
def reply_template_delete(*, actor: User | None, template_id: int) -> None:
    _require_hub_admin(actor, "reviews.delete_replytemplate")
    template = ReplyTemplate.objects.select_for_update().filter(pk=template_id).first()
    if template is None:
        raise InvalidInput(_("No such reply template."), code="not_found")
    audit_record(
        actor=actor,
        action="reply_template.deleted",
        target=template,
        payload={
            "outcome": template.outcome,
            "policy_code": template.policy_code,
            "language": template.language,
            "text": template.text,
        },
    )
    template.delete()
