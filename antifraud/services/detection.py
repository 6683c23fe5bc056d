"""Detection rule settings: an administrator turns a rule off, into shadow or live, and
changes its thresholds. Each change raises the rule's version, so every signal says which
settings raised it, and is audited with the old and the new settings.

The rules themselves are code (antifraud.detection); a rule without a row runs with its
defaults at version 1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from antifraud import access, detection
from antifraud.audit import audit_record
from antifraud.detection.base import Rule
from antifraud.errors import InvalidInput, NotAllowed, NotFound
from antifraud.models import DetectionRule


def rule_or_not_found(code: str) -> Rule:
    """The rule with the code; NotFound naming the known codes otherwise."""
    rule = detection.rule_named(code)
    if rule is None:
        known = ", ".join(sorted(r.code for r in detection.rules()))
        raise NotFound(
            _("No detection rule %(code)s (known: %(known)s).")
            % {"code": code, "known": known or "—"},
            code="unknown_rule",
        )
    return rule


def thresholds_checked(rule: Rule, given: Mapping[str, Any]) -> dict[str, float]:
    """`given` as floats, when every key is one of the rule's thresholds and every value a
    finite number not below zero; InvalidInput naming the first fault otherwise."""
    unknown = sorted(set(given) - set(rule.defaults))
    if unknown:
        raise InvalidInput(
            _("%(rule)s has no threshold %(unknown)s; its thresholds are %(known)s.")
            % {
                "rule": rule.code,
                "unknown": ", ".join(unknown),
                "known": ", ".join(sorted(rule.defaults)) or "—",
            },
            code="unknown_threshold",
        )
    checked = {}
    for key, value in given.items():
        # bool is an int to Python, but "true" is no threshold.
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise InvalidInput(
                _("The threshold %(key)s must be a number.") % {"key": key},
                code="invalid_threshold",
            )
        number = float(value)
        if not math.isfinite(number) or number < 0:
            raise InvalidInput(
                _("The threshold %(key)s must be a finite number, zero or more.") % {"key": key},
                code="invalid_threshold",
            )
        checked[key] = number
    return checked


def threshold_shown(value: float) -> str:
    """A threshold as people write it: 90, 0.5, 12500000 (not 90.0 or 1.25e+07)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _as_set(rule: Rule, row: DetectionRule | None) -> dict[str, Any]:
    """The rule's settings as they run now: the same reading as `settings_of`."""
    thresholds = {key: float(value) for key, value in rule.defaults.items()}
    if row is None:
        return {"mode": rule.default_mode, "thresholds": thresholds, "version": 1}
    thresholds.update(
        {k: float(v) for k, v in (row.thresholds or {}).items() if k in rule.defaults}
    )
    return {"mode": row.mode, "thresholds": thresholds, "version": row.version}


def _locked(code: str) -> DetectionRule | None:
    return DetectionRule.objects.select_for_update().filter(code=code).first()


@transaction.atomic
def detection_rule_configure(
    *,
    actor: User,
    code: str,
    mode: str | None = None,
    thresholds: Mapping[str, Any] | None = None,
) -> DetectionRule:
    """Set a rule's mode and thresholds (those not given stay as they are). A change raises
    the version by one and is audited; no change writes nothing and returns the rule's row
    (unsaved when the rule never had one). Refused, nothing changes."""
    if not access.may_change_detection_rules(actor):
        raise NotAllowed(_("Only the hub's administrators change detection rules."))
    rule = rule_or_not_found(code)
    if mode is not None and mode not in DetectionRule.Mode.values:
        raise InvalidInput(
            _("The mode is one of %(modes)s.") % {"modes": ", ".join(DetectionRule.Mode.values)},
            code="invalid_mode",
        )
    wanted = thresholds_checked(rule, thresholds or {})

    row = _locked(code)
    if row is None:
        unchanged = _as_set(rule, None)
        if (mode or unchanged["mode"]) == unchanged["mode"] and all(
            unchanged["thresholds"][k] == v for k, v in wanted.items()
        ):
            return DetectionRule(
                code=code, mode=unchanged["mode"], thresholds=unchanged["thresholds"]
            )
        # The first change of a rule makes its row; get_or_create copes with another
        # administrator making it at the same moment, and the lock then orders the two.
        made, _created = DetectionRule.objects.get_or_create(
            code=code,
            defaults={
                "mode": rule.default_mode,
                "thresholds": unchanged["thresholds"],
                "version": 1,
            },
        )
        row = DetectionRule.objects.select_for_update().get(pk=made.pk)

    old = _as_set(rule, row)
    new_mode = mode or old["mode"]
    new_thresholds = old["thresholds"] | wanted
    if new_mode == old["mode"] and new_thresholds == old["thresholds"]:
        return row

    row.mode = new_mode
    row.thresholds = new_thresholds
    row.version = old["version"] + 1
    row.changed_at = timezone.now()
    row.changed_by = actor
    row.save(update_fields=["mode", "thresholds", "version", "changed_at", "changed_by"])
    audit_record(
        actor=actor,
        action="detection_rule.changed",
        target=row,
        payload={
            "code": code,
            "old": old,
            "new": {"mode": row.mode, "thresholds": new_thresholds, "version": row.version},
        },
    )
    return row
