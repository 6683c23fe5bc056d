"""Versions of the published policy catalogue: drafted by one of the hub's administrators,
put in effect by another.

A published version never changes its texts: decisions cite the version they were made
under, and the appeal page and /policies/<code>/v<n>/ show that version's words for as long
as anyone may appeal. A new wording is a draft (one per code), a copy of the current version
to start from; publishing it makes it the current version and closes the one before.
"""

from __future__ import annotations

import re
from typing import Any, TypedDict, Unpack

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.languages import LANGUAGE_CODES
from accounts.models import User
from antifraud.audit import audit_record
from antifraud.errors import DomainError, InvalidInput, NotAllowed, NotFound
from antifraud.models import Scheme
from reviews.limits import TEXT_MAX
from reviews.models import Policy
from reviews.public_site import generation_bump
from reviews.services.catalogue import (
    _require_hub_admin,
    block_durations_problem,
    indicator_kinds_problem,
)

TEXT_KINDS = ("title", "text", "statement")
# Everything of a version an administrator writes; the rest (code, version, status, who and
# when) is the service's.
TEXT_FIELDS = tuple(f"{kind}_{lang}" for kind in TEXT_KINDS for lang in LANGUAGE_CODES)
EDITABLE = (
    "scheme",
    "allowed_actions",
    *TEXT_FIELDS,
    "default_indicator_kinds",
    "block_durations",
)
CODE_MAX = 64
# fake-photos, other-fraud: lower-case words joined by single hyphens.
CODE_FORM = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
TITLE_MAX = 200


class PolicyFields(TypedDict, total=False):
    scheme: str
    allowed_actions: list[str]
    title_en: str
    title_ru: str
    title_kk: str
    text_en: str
    text_ru: str
    text_kk: str
    statement_en: str
    statement_ru: str
    statement_kk: str
    default_indicator_kinds: list[str]
    block_durations: list[int]


class PolicyRefused(DomainError):
    """A state the version is not in (published, already a draft of the code): 409."""

    code = "policy_refused"


def _text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInput(
            _("A policy's titles, public texts and statement templates are text."),
            code="invalid_policy",
        )
    # Browsers send \r\n; kept as \n so that an unchanged text compares equal.
    value = value.replace("\r\n", "\n").strip()
    limit = TITLE_MAX if name.startswith("title_") else TEXT_MAX
    if len(value) > limit:
        raise InvalidInput(
            _("A policy's title or text is at most %(n)d characters long.") % {"n": limit},
            code="invalid_policy",
        )
    return value


def _cleaned(fields: dict[str, Any]) -> dict[str, Any]:
    """The values as they will be stored. What a draft holds must make sense; whether it is
    complete is asked when it is published."""
    unknown = sorted(set(fields) - set(EDITABLE))
    if unknown:
        raise InvalidInput(
            _("A policy has no field %(fields)s.") % {"fields": ", ".join(unknown)},
            code="invalid_policy",
        )
    cleaned: dict[str, Any] = {}
    for name, value in fields.items():
        if name in TEXT_FIELDS:
            cleaned[name] = _text(name, value)
        elif name == "scheme":
            if value not in ("", *Scheme.values):
                raise InvalidInput(_("Choose one of the schemes."), code="invalid_policy")
            cleaned[name] = value
        else:
            if not isinstance(value, list | tuple):
                raise InvalidInput(
                    _("A policy's actions, indicator kinds and block lengths are lists."),
                    code="invalid_policy",
                )
            cleaned[name] = list(dict.fromkeys(value))
    problem = (
        _actions_problem(cleaned.get("allowed_actions", []), allow_empty=True)
        or indicator_kinds_problem(cleaned.get("default_indicator_kinds", []))
        or block_durations_problem(fields.get("block_durations", []))
    )
    if problem:
        raise InvalidInput(problem, code="invalid_policy")
    return cleaned


def _actions_problem(actions: list[Any], *, allow_empty: bool = False) -> str:
    if not actions and not allow_empty:
        return _("Say which decisions may cite the policy: at least one action.")
    unknown = sorted(str(action) for action in actions if action not in Policy.Action.values)
    if unknown:
        return _("Unknown actions: %(actions)s.") % {"actions": ", ".join(unknown)}
    return ""


def code_problem(code: str) -> str:
    """Why `code` cannot name a policy, or "" when it can (it is in every address and
    statement that cites the policy)."""
    if len(code) > CODE_MAX or not CODE_FORM.fullmatch(code):
        return _(
            "A policy's code is made of lower-case letters, digits and hyphens, at most "
            "%(max)d of them."
        ) % {"max": CODE_MAX}
    return ""


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: {"old": before.get(name), "new": value}
        for name, value in after.items()
        if before.get(name) != value
    }


def _values(policy: Policy) -> dict[str, Any]:
    return {name: getattr(policy, name) for name in EDITABLE}


def _require_draft(policy: Policy) -> None:
    if policy.status != Policy.Status.DRAFT:
        raise PolicyRefused(
            _(
                "Version %(version)d of %(code)s is published: its texts never change. "
                "Draft a new version instead."
            )
            % {"version": policy.version, "code": policy.code},
            code="not_a_draft",
        )


@transaction.atomic
def policy_draft_create(
    *,
    actor: User | None,
    code: str,
    based_on_id: int | None = None,
    **fields: Unpack[PolicyFields],
) -> Policy:
    """Start the next version of `code` as a draft: a copy of the current version (or of the
    published version `based_on_id`) with `fields` written over it. A code not yet in the
    catalogue starts a new policy at version 1."""
    _require_hub_admin(actor, "reviews.add_policy")
    code = (code or "").strip()
    problem = code_problem(code)
    if problem:
        raise InvalidInput(problem, code="invalid_code")
    given = _cleaned(dict(fields))
    # Every version of the code, locked: the next version number and "one draft per code"
    # are read from them and must hold until this commits.
    versions = list(Policy.objects.select_for_update().filter(code=code).order_by("version"))
    draft = next((v for v in versions if v.status == Policy.Status.DRAFT), None)
    if draft is not None:
        raise PolicyRefused(
            _(
                "Version %(version)d of %(code)s is already being drafted: change that draft, "
                "or discard it first."
            )
            % {"version": draft.version, "code": code},
            code="draft_exists",
        )
    if based_on_id is not None:
        base = next((v for v in versions if v.pk == based_on_id), None)
        if base is None:
            raise InvalidInput(
                _("A new version starts from a published version of the same policy."),
                code="invalid_base",
            )
    else:
        base = next((v for v in versions if v.is_current), None)
    start: dict[str, Any] = _values(base) if base is not None else {}
    values = {**start, **given}
    policy = Policy(
        code=code,
        version=(versions[-1].version + 1) if versions else 1,
        status=Policy.Status.DRAFT,
        is_current=False,
        published_at=None,
        drafted_by=actor,
        drafted_at=timezone.now(),
        **values,
    )
    try:
        # A brand-new code has no row to lock: two administrators drafting it at once meet
        # at the unique version instead.
        with transaction.atomic():
            policy.save()
    except IntegrityError as exc:
        raise PolicyRefused(
            _("Someone else is drafting %(code)s at this moment. Reload and try again.")
            % {"code": code},
            code="draft_exists",
        ) from exc
    audit_record(
        actor=actor,
        action="policy.drafted",
        target=policy,
        payload={
            "code": code,
            "version": policy.version,
            "based_on": base.version if base is not None else None,
            "changes": _changes(start, _values(policy)),
        },
    )
    return policy


def _draft_locked(policy_id: int) -> Policy:
    policy = Policy.objects.select_for_update().filter(pk=policy_id).first()
    if policy is None:
        raise NotFound(_("No such policy."))
    return policy


@transaction.atomic
def policy_draft_update(
    *, actor: User | None, policy_id: int, **fields: Unpack[PolicyFields]
) -> Policy:
    """Change a draft's texts, scheme, actions or defaults. Only its drafter does: whoever
    wrote any of a version's words must not be the one who puts it in effect, so the
    other administrators read a draft, publish it or discard it."""
    _require_hub_admin(actor, "reviews.change_policy")
    given = _cleaned(dict(fields))
    policy = _draft_locked(policy_id)
    _require_draft(policy)
    if actor is None or policy.drafted_by_id != actor.pk:
        raise NotAllowed(
            _("Only the administrator who drafted this version changes it."), code="not_drafter"
        )
    changes = _changes(_values(policy), given)
    if not changes:
        return policy
    for name, change in changes.items():
        setattr(policy, name, change["new"])
    policy.save(update_fields=list(changes))
    audit_record(
        actor=actor,
        action="policy.draft_changed",
        target=policy,
        payload={"code": policy.code, "version": policy.version, "changes": changes},
    )
    return policy


def _label(name: str) -> str:
    field = Policy._meta.get_field(name)
    assert isinstance(field, models.Field)
    return str(field.verbose_name)


def publish_problem(policy: Policy) -> tuple[str, str] | None:
    """(machine code, message) saying why the version cannot be published yet, or None."""
    missing = [_label(name) for name in TEXT_FIELDS if not getattr(policy, name).strip()]
    if missing:
        return "text_missing", _(
            "A version is published with its title, public text and statement template in "
            "English, Russian and Kazakh. Missing: %(fields)s."
        ) % {"fields": ", ".join(missing)}
    problem = _actions_problem(policy.allowed_actions)
    if problem:
        return "invalid_actions", problem
    if policy.scheme not in ("", *Scheme.values):
        return "invalid_policy", _("Choose one of the schemes.")
    problem = indicator_kinds_problem(policy.default_indicator_kinds) or block_durations_problem(
        policy.block_durations
    )
    if problem:
        return "invalid_policy_defaults", problem
    return None


@transaction.atomic
def policy_publish(*, actor: User | None, policy_id: int) -> Policy:
    """Put a draft in effect: it becomes the code's current version, and the version before
    it is replaced now (decisions that cited it keep citing it)."""
    _require_hub_admin(actor, "reviews.publish_policy")
    code = Policy.objects.filter(pk=policy_id).values_list("code", flat=True).first()
    if code is None:
        raise NotFound(_("No such policy."))
    # The code's every version, locked in one order: two publishes of the same draft wait
    # for each other, and the second finds it published.
    versions = {
        v.pk: v for v in Policy.objects.select_for_update().filter(code=code).order_by("version")
    }
    policy = versions.get(policy_id)
    if policy is None:
        raise NotFound(_("No such policy."))
    _require_draft(policy)
    if actor is not None and policy.drafted_by_id == actor.pk:
        raise NotAllowed(
            _("You drafted this version: another administrator publishes it."), code="own_draft"
        )
    problem = publish_problem(policy)
    if problem is not None:
        raise InvalidInput(problem[1], code=problem[0])
    now = timezone.now()
    previous = next((v for v in versions.values() if v.is_current), None)
    if previous is not None:
        # Before the draft becomes current: one current version per code, always.
        previous.is_current = False
        previous.superseded_at = now
        previous.save(update_fields=["is_current", "superseded_at"])
    policy.status = Policy.Status.PUBLISHED
    policy.is_current = True
    policy.published_by = actor
    policy.published_at = now
    policy.save(update_fields=["status", "is_current", "published_by", "published_at"])
    audit_record(
        actor=actor,
        action="policy.published",
        target=policy,
        payload={
            "code": code,
            "version": policy.version,
            "replaces": previous.version if previous is not None else None,
            "changes": _changes(_values(previous) if previous is not None else {}, _values(policy)),
        },
    )
    generation_bump()
    return policy


@transaction.atomic
def policy_draft_discard(*, actor: User | None, policy_id: int) -> None:
    """Throw a draft away (any of the hub's administrators may). The trail keeps what it
    said."""
    _require_hub_admin(actor, "reviews.delete_policy")
    policy = _draft_locked(policy_id)
    _require_draft(policy)
    audit_record(
        actor=actor,
        action="policy.draft_discarded",
        target=policy,
        payload={
            "code": policy.code,
            "version": policy.version,
            "drafted_by": policy.drafted_by_id,
            "values": _values(policy),
        },
    )
    policy.delete()
