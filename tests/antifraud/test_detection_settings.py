"""Detection rule settings: only administrators change a rule's mode and thresholds; each
change raises the version and is audited with the old and new settings; a refusal changes
nothing."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from antifraud.detection import rules
from antifraud.detection.base import settings_of
from antifraud.errors import InvalidInput, NotAllowed, NotFound
from antifraud.models import AuditEvent, DetectionRule
from antifraud.services import detection_rule_configure
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RULE = "lists.match"  # thresholds black_score (90) and gray_score (60), live by default


@pytest.fixture
def admin(kolesa):
    return UserFactory(username="hub.admin", partner=None, role=Role.ADMIN)


def current() -> tuple[str, dict[str, float], int]:
    setting = settings_of(rules())[RULE]
    return setting.mode, dict(setting.thresholds), setting.version


def changes() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="detection_rule.changed").order_by("pk"))


def test_a_rule_without_a_row_runs_with_its_defaults():
    assert current() == ("live", {"black_score": 90.0, "gray_score": 60.0}, 1)


def test_an_admin_changes_the_mode_and_the_version_rises(admin):
    row = detection_rule_configure(actor=admin, code=RULE, mode="shadow")

    assert (row.mode, row.version, row.changed_by) == ("shadow", 2, admin)
    assert current() == ("shadow", {"black_score": 90.0, "gray_score": 60.0}, 2)
    [event] = changes()
    assert event.actor == admin and event.target_id == str(row.pk)
    assert event.payload == {
        "code": RULE,
        "old": {
            "mode": "live",
            "thresholds": {"black_score": 90.0, "gray_score": 60.0},
            "version": 1,
        },
        "new": {
            "mode": "shadow",
            "thresholds": {"black_score": 90.0, "gray_score": 60.0},
            "version": 2,
        },
    }


def test_thresholds_not_given_stay_as_they_are(admin):
    detection_rule_configure(actor=admin, code=RULE, thresholds={"black_score": 85})
    row = detection_rule_configure(actor=admin, code=RULE, thresholds={"gray_score": 40.5})

    assert row.version == 3
    assert current() == ("live", {"black_score": 85.0, "gray_score": 40.5}, 3)
    first, second = changes()
    assert first.payload["new"]["thresholds"] == {"black_score": 85.0, "gray_score": 60.0}
    assert second.payload["old"] == {
        "mode": "live",
        "thresholds": {"black_score": 85.0, "gray_score": 60.0},
        "version": 2,
    }
    assert second.payload["new"]["version"] == 3


def test_the_same_settings_again_change_nothing(admin):
    untouched = detection_rule_configure(
        actor=admin, code=RULE, mode="live", thresholds={"black_score": 90}
    )
    assert untouched.pk is None and untouched.version == 1
    assert not DetectionRule.objects.exists() and not changes()

    detection_rule_configure(actor=admin, code=RULE, mode="off")
    again = detection_rule_configure(actor=admin, code=RULE, mode="off", thresholds={})
    assert again.version == 2 and len(changes()) == 1


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.SENIOR_MODERATOR, Role.SUPERVISOR])
def test_only_administrators_change_rules(kolesa, role):
    user = UserFactory(partner=kolesa, role=role)
    with pytest.raises(NotAllowed):
        detection_rule_configure(actor=user, code=RULE, mode="off")
    with pytest.raises(NotAllowed):
        detection_rule_configure(actor=user, code="no.such.rule", mode="off")
    assert not DetectionRule.objects.exists() and not changes()


@pytest.mark.parametrize(
    ("thresholds", "says"),
    [
        ({"black_score": 80, "whatever": 1}, "has no threshold whatever"),
        ({"black_score": "80"}, "must be a number"),
        ({"black_score": None}, "must be a number"),
        ({"black_score": True}, "must be a number"),
        ({"black_score": -1}, "zero or more"),
        ({"black_score": float("nan")}, "finite"),
        ({"gray_score": float("inf")}, "finite"),
    ],
)
def test_bad_thresholds_are_refused_and_nothing_changes(admin, thresholds, says):
    detection_rule_configure(actor=admin, code=RULE, mode="shadow")
    before = current()

    with pytest.raises(InvalidInput) as refused:
        detection_rule_configure(actor=admin, code=RULE, mode="off", thresholds=thresholds)

    assert says in refused.value.message
    assert current() == before
    assert len(changes()) == 1


def test_an_unknown_mode_is_refused(admin):
    with pytest.raises(InvalidInput) as refused:
        detection_rule_configure(actor=admin, code=RULE, mode="sometimes")
    assert "off, shadow, live" in refused.value.message
    assert not DetectionRule.objects.exists()


def test_an_unknown_rule_is_not_found_and_the_known_ones_are_named(admin):
    with pytest.raises(NotFound) as refused:
        detection_rule_configure(actor=admin, code="prices.magic", mode="off")
    assert RULE in refused.value.message
    assert not changes()


def test_a_partners_administrator_cannot_change_a_rule_that_runs_on_every_partner(kolesa):
    partner_admin = UserFactory(username="kolesa.admin", partner=kolesa, role=Role.ADMIN)
    with pytest.raises(NotAllowed):
        detection_rule_configure(actor=partner_admin, code=RULE, mode="off")
    assert not DetectionRule.objects.exists() and not changes()
