"""manage.py rule_backtest on fixed data: a real rule (lists.match) over past decided cases,
its confusion matrix printed, and nothing written."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.roles import Role
from antifraud import detection
from antifraud.detection.base import Explanation, Hit, Rule
from antifraud.models import AuditEvent, DetectionRule, Indicator, Scheme, Signal
from antifraud.services import indicator_list
from reviews.management.commands import rule_backtest
from reviews.models import Case, Decision, Policy
from tests.factories import UserFactory, listing_case

pytestmark = pytest.mark.django_db

BLACK = "+77015550101"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("rule_backtest", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def figures(output: str) -> dict[str, str]:
    found = dict(re.findall(r"^(TP|FP|FN|TN|precision|recall)\s+(\S+)", output, re.MULTILINE))
    assert set(found) == {"TP", "FP", "FN", "TN", "precision", "recall"}, output
    return found


@pytest.fixture
def decided(kolesa) -> dict[str, Case]:
    """Decided cases on listings, some with the black-listed phone; decisions as rows."""
    moderator = UserFactory(partner=kolesa, role=Role.MODERATOR)
    senior = UserFactory(partner=kolesa, role=Role.SENIOR_MODERATOR)
    policy = Policy.objects.get(code="fake-contacts", is_current=True)
    indicator_list(
        actor=None,
        kind="phone",
        value=BLACK,
        display=BLACK,
        list=Indicator.List.BLACK,
        origin=Indicator.Origin.DECISION,
        origin_ref="decision:0",
    )
    now = timezone.now()

    def case(phone: str | None, *actions: str, days_ago: int = 5) -> Case:
        made = listing_case(kolesa, phone=phone)
        opened = now - timedelta(days=days_ago)
        Case.objects.filter(pk=made.pk).update(
            opened_at=opened, status="decided", decided_at=opened
        )
        made.refresh_from_db()
        first = None
        for hours, action in enumerate(actions, start=1):
            decision = Decision.objects.create(
                case=made,
                subject=made.subject,
                action=action,
                policy=policy,
                statement_of_reasons="Контактные данные в чёрном списке.",
                decided_by=senior if action == "reverse" else moderator,
                decided_at=opened + timedelta(hours=hours),
                reverses=first if action == "reverse" else None,
            )
            first = first or decision
        return made

    return {
        "tp": case(BLACK, "remove_listing"),
        "fp_cleared": case(BLACK, "clear"),
        "fp_overturned": case(BLACK, "remove_listing", "reverse"),
        "fn": case("+77015550202", "remove_listing"),
        "tn": case("+77015550303", "clear"),
        "tn_no_phone": case(None, "clear"),
        "warned": case(BLACK, "warn"),
        "undecided": case(BLACK),
        "long_ago": case(BLACK, "remove_listing", days_ago=400),
    }


def test_the_rule_is_judged_against_decisions_and_writes_nothing(decided):
    signals, audits = Signal.objects.count(), AuditEvent.objects.count()

    output = run("lists.match")

    assert figures(output) == {
        "TP": "1",
        "FP": "2",
        "FN": "1",
        "TN": "2",
        "precision": "0.333",
        "recall": "0.500",
    }
    assert "black_score=90, gray_score=60" in output
    assert "6 (2 blocked or removed and upheld, 4 cleared or overturned)" in output
    assert "1 warned left out" in output
    assert "as they are today, not as they were when each case was decided" in output
    assert Signal.objects.count() == signals
    assert not Signal.objects.filter(rule="lists.match").exists()
    assert AuditEvent.objects.count() == audits
    assert not DetectionRule.objects.exists()


def test_the_period_chooses_the_cases(decided):
    today = timezone.localdate()
    since = (today - timedelta(days=500)).isoformat()
    wide = figures(run("lists.match", "--since", since))
    assert (wide["TP"], wide["FP"]) == ("2", "2")

    none = figures(run("lists.match", "--since", since, "--until", since))
    assert none == {
        "TP": "0",
        "FP": "0",
        "FN": "0",
        "TN": "0",
        "precision": "n/a",
        "recall": "n/a",
    }


def test_thresholds_given_with_set_are_used(decided, monkeypatch):
    seen = []
    rule = detection.rule_named("lists.match")
    assert rule is not None
    original = rule.detect

    def spy(batch, thresholds):
        seen.append(dict(thresholds))
        return original(batch, thresholds)

    monkeypatch.setattr(detection, "rules", lambda: [replace(rule, detect=spy)])
    output = run("lists.match", "--set", "gray_score=20", "--set", "black_score=95.5")
    assert seen == [{"black_score": 95.5, "gray_score": 20.0}]
    assert "black_score=95.5, gray_score=20" in output


def test_subjects_are_looked_at_in_chunks(decided, monkeypatch):
    sizes = []
    rule = detection.rule_named("lists.match")
    assert rule is not None
    original = rule.detect

    def spy(batch, thresholds):
        sizes.append(len(batch.subjects))
        return original(batch, thresholds)

    monkeypatch.setattr(detection, "rules", lambda: [replace(rule, detect=spy)])
    monkeypatch.setattr(rule_backtest, "CHUNK", 4)
    result = figures(run("lists.match"))
    assert sizes == [4, 2]
    assert (result["TP"], result["FP"], result["FN"], result["TN"]) == ("1", "2", "1", "2")


def test_a_rule_that_writes_while_it_looks_is_rolled_back(decided, monkeypatch):
    def writes(batch, thresholds):
        for subject in batch.subjects:
            Signal.objects.create(
                subject=subject, source="detection_rule", scheme=Scheme.OTHER, explanation="x"
            )
            yield Hit(subject=subject, score=50, explanation=Explanation("Looked."))

    greedy = Rule(
        code="test.writes",
        title="Writes",
        looks_at="everything",
        scheme=Scheme.OTHER,
        defaults={},
        detect=writes,
    )
    monkeypatch.setattr(detection, "rules", lambda: [greedy])
    signals = Signal.objects.count()
    result = figures(run("test.writes"))
    assert (result["TP"], result["FP"], result["precision"]) == ("2", "4", "0.333")
    assert Signal.objects.count() == signals


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--set", "purple_score=3"], "lists.match has no threshold purple_score"),
        (["--set", "black_score=high"], "'high' is not a number"),
        (["--set", "black_score=-5"], "zero or more"),
        (["--set", "black_score=nan"], "finite"),
        (["--set", "black_score"], "write it as key=value"),
        (["--since", "2026-02-30"], "is not a date"),
        (["--since", "2026-12-02", "--until", "2026-12-01"], "is after --until"),
    ],
)
def test_bad_arguments_are_one_line_errors(decided, args, says):
    with pytest.raises(CommandError) as refused:
        run("lists.match", *args)
    message = str(refused.value)
    assert says in message and "\n" not in message


def test_an_unknown_rule_names_the_known_ones(db):
    with pytest.raises(CommandError) as refused:
        run("prices.magic")
    assert "prices.magic" in str(refused.value) and "lists.match" in str(refused.value)
