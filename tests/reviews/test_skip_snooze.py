"""Skip and snooze: a moderator puts a case aside and moves on; the services, the pages, and
what stays unchanged when the input is bad."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from antifraud.errors import DomainError
from antifraud.models import AuditEvent
from reviews import services
from reviews.models import Case, CaseDeferral
from reviews.queues import Queue
from tests.factories import SignalFactory, UserFactory, listing_case

pytestmark = pytest.mark.django_db

QUEUE = Queue.parse("partner:kolesa:listing")


@pytest.fixture
def colleague(kolesa):
    return UserFactory(username="kolesa.mod2", partner=kolesa, role=Role.MODERATOR)


@pytest.fixture
def three(kolesa):
    """Three waiting cases, the first the most urgent."""
    now = timezone.now()
    return [
        listing_case(kolesa, priority=900, opened_at=now - timedelta(hours=3)),
        listing_case(kolesa, priority=900, opened_at=now - timedelta(hours=2)),
        listing_case(kolesa, priority=900, opened_at=now - timedelta(hours=1)),
    ]


def audited(case: Case, action: str):
    return AuditEvent.objects.filter(
        action=action, target_type__model="case", target_id=str(case.pk)
    )


def claim(user, now=None) -> Case | None:
    return services.case_claim_next(actor=user, queue=QUEUE, now=now)


# --- skip -------------------------------------------------------------------------------


def test_skip_returns_the_case_and_the_next_claim_gives_another(moderator, three, settings):
    settings.CASE_SKIP_MINUTES = 60
    first = claim(moderator)
    assert first.pk == three[0].pk
    now = timezone.now()

    deferral = services.case_skip(actor=moderator, case_id=first.pk, now=now)

    first.refresh_from_db()
    assert (first.status, first.claimed_by, first.lease_until) == ("open", None, None)
    assert deferral.kind == "skip" and deferral.user == moderator
    assert deferral.until == now + timedelta(minutes=60)
    event = audited(first, "case.skipped").get()
    assert event.actor == moderator
    assert event.payload["until"] == deferral.until.isoformat()
    # The skipped case waits behind every other one, for this moderator.
    assert claim(moderator, now).pk == three[1].pk
    services.case_skip(actor=moderator, case_id=three[1].pk, now=now + timedelta(seconds=1))
    assert claim(moderator, now + timedelta(seconds=2)).pk == three[2].pk


def test_only_skipped_cases_left_gives_the_earliest_skipped(moderator, three):
    now = timezone.now()
    for step, case in enumerate(three):
        assert claim(moderator, now + timedelta(seconds=step)).pk == case.pk
        services.case_skip(actor=moderator, case_id=case.pk, now=now + timedelta(seconds=step))
    # Skipped again later, the first case is now the latest skipped.
    claimed = services.case_claim(actor=moderator, case_id=three[0].pk)
    services.case_skip(actor=moderator, case_id=claimed.pk, now=now + timedelta(seconds=10))
    assert claim(moderator, now + timedelta(seconds=11)).pk == three[1].pk


def test_a_skip_ends(moderator, three, settings):
    settings.CASE_SKIP_MINUTES = 30
    now = timezone.now()
    claim(moderator, now)
    services.case_skip(actor=moderator, case_id=three[0].pk, now=now)
    assert claim(moderator, now + timedelta(minutes=29)).pk == three[1].pk
    services.case_release(actor=moderator, case_id=three[1].pk)
    assert claim(moderator, now + timedelta(minutes=31)).pk == three[0].pk


def test_a_skip_does_not_change_anyone_elses_order(moderator, colleague, three):
    claim(moderator)
    services.case_skip(actor=moderator, case_id=three[0].pk)
    assert claim(colleague).pk == three[0].pk


def test_skipping_a_case_one_does_not_hold_changes_nothing(moderator, colleague, three):
    claim(colleague)
    with pytest.raises(DomainError) as refused:
        services.case_skip(actor=moderator, case_id=three[0].pk)
    assert refused.value.code == "not_claimant"
    assert Case.objects.get(pk=three[0].pk).claimed_by == colleague
    assert not CaseDeferral.objects.exists()
    assert not audited(three[0], "case.skipped").exists()


# --- snooze -----------------------------------------------------------------------------


def test_snooze_hides_the_case_from_the_snoozer_only(moderator, colleague, three):
    now = timezone.now()
    claim(moderator, now)
    deferral = services.case_snooze(
        actor=moderator,
        case_id=three[0].pk,
        until=now + timedelta(hours=1),
        note="Waiting for the partner's answer.",
        now=now,
    )
    case = Case.objects.get(pk=three[0].pk)
    assert (case.status, case.claimed_by) == ("open", None)
    assert (deferral.kind, deferral.note) == ("snooze", "Waiting for the partner's answer.")
    event = audited(case, "case.snoozed").get()
    assert event.actor == moderator
    assert event.payload == {
        "until": (now + timedelta(hours=1)).isoformat(),
        "note": "Waiting for the partner's answer.",
    }
    later = now + timedelta(minutes=1)
    # Not even when only skipped or snoozed cases are left.
    for step, expected in enumerate(three[1:]):
        assert claim(moderator, later).pk == expected.pk
        services.case_skip(actor=moderator, case_id=expected.pk, now=later)
        later += timedelta(seconds=step + 1)
    assert claim(moderator, later).pk == three[1].pk
    services.case_release(actor=moderator, case_id=three[1].pk)
    # Another moderator claims it as usual.
    assert claim(colleague, later).pk == three[0].pk


def test_a_snooze_ends_at_its_time(moderator, three):
    now = timezone.now()
    claim(moderator, now)
    services.case_snooze(
        actor=moderator, case_id=three[0].pk, until=now + timedelta(hours=4), note="x", now=now
    )
    assert claim(moderator, now + timedelta(hours=3)).pk == three[1].pk
    services.case_release(actor=moderator, case_id=three[1].pk)
    assert claim(moderator, now + timedelta(hours=4, seconds=1)).pk == three[0].pk


def test_a_new_signal_wakes_a_snoozed_case(kolesa, moderator):
    case = listing_case(kolesa)
    now = timezone.now()
    claim(moderator, now)
    services.case_snooze(
        actor=moderator, case_id=case.pk, until=now + timedelta(days=3), note="Later.", now=now
    )
    assert claim(moderator, now + timedelta(minutes=5)) is None
    # A signal older than the snooze joining the case does not count.
    case.signals.add(SignalFactory(subject=case.subject, created_at=now - timedelta(minutes=1)))
    assert claim(moderator, now + timedelta(minutes=5)) is None
    case.signals.add(SignalFactory(subject=case.subject, created_at=now + timedelta(minutes=2)))
    assert claim(moderator, now + timedelta(minutes=5)).pk == case.pk


@pytest.mark.parametrize(
    ("note", "until", "code"),
    [
        ("  ", timedelta(hours=1), "note_required"),
        ("why", timedelta(minutes=-1), "snooze_out_of_range"),
        ("why", timedelta(days=14, minutes=1), "snooze_out_of_range"),
    ],
)
def test_a_bad_snooze_changes_nothing(kolesa, moderator, note, until, code):
    case = listing_case(kolesa)
    now = timezone.now()
    claim(moderator, now)
    with pytest.raises(DomainError) as refused:
        services.case_snooze(
            actor=moderator, case_id=case.pk, until=now + until, note=note, now=now
        )
    assert refused.value.code == code
    case.refresh_from_db()
    assert (case.status, case.claimed_by) == ("claimed", moderator)
    assert not CaseDeferral.objects.exists()
    assert not audited(case, "case.snoozed").exists()


# --- the pages ----------------------------------------------------------------------------


def test_skip_from_the_page_opens_another_case(client, moderator, three):
    client.force_login(moderator)
    claim(moderator)
    response = client.post(
        reverse("case-skip", args=[three[0].pk]),
        {"queue": QUEUE.key},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response["HX-Push-Url"].startswith(reverse("case", args=[three[1].pk]))
    content = response.content.decode()
    assert f"Case {three[0].pk} skipped: it is back in the queue." in content
    assert Case.objects.get(pk=three[1].pk).claimed_by == moderator
    assert Case.objects.get(pk=three[0].pk).status == "open"


def test_claiming_when_only_skipped_cases_wait_says_so(client, moderator, kolesa):
    case = listing_case(kolesa)
    client.force_login(moderator)
    claim(moderator)
    response = client.post(reverse("case-skip", args=[case.pk]), {"queue": QUEUE.key})
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.context["case"].pk == case.pk
    assert "Only cases you skipped are waiting" in page.content.decode()


def test_skip_of_a_case_not_held_is_a_message(client, moderator, colleague, three):
    claim(colleague)
    client.force_login(moderator)
    response = client.post(
        reverse("case-skip", args=[three[0].pk]), {"queue": QUEUE.key}, follow=True
    )
    assert "Claim the case before skipping it." in response.content.decode()
    assert Case.objects.get(pk=three[0].pk).claimed_by == colleague
    assert not CaseDeferral.objects.exists()


def test_snooze_from_the_page(client, moderator, colleague, three):
    client.force_login(moderator)
    claim(moderator)
    response = client.post(
        reverse("case-snooze", args=[three[0].pk]),
        {"queue": QUEUE.key, "snooze-preset": "4h", "snooze-note": "Ждём ответа <b>партнёра</b>."},
    )
    assert response.status_code == 302
    deferral = CaseDeferral.objects.get()
    assert deferral.note == "Ждём ответа <b>партнёра</b>."
    assert (
        timedelta(hours=3, minutes=59) < deferral.until - deferral.created_at <= timedelta(hours=4)
    )
    assert Case.objects.get(pk=three[1].pk).claimed_by == moderator

    # Everyone working the case reads the note, escaped.
    client.force_login(colleague)
    page = client.get(reverse("case", args=[three[0].pk])).content.decode()
    assert "Snoozed by kolesa.mod until" in page
    assert "Ждём ответа &lt;b&gt;партнёра&lt;/b&gt;." in page
    # The queue marks it for the snoozer alone.
    assert (
        "snoozed until" not in client.get(reverse("home") + f"?queue={QUEUE.key}").content.decode()
    )
    client.force_login(moderator)
    assert "snoozed until" in client.get(reverse("home") + f"?queue={QUEUE.key}").content.decode()


def test_snooze_until_tomorrow_morning_in_almaty(client, moderator, kolesa):
    case = listing_case(kolesa)
    client.force_login(moderator)
    claim(moderator)
    client.post(
        reverse("case-snooze", args=[case.pk]),
        {"queue": QUEUE.key, "snooze-preset": "tomorrow", "snooze-note": "Утром."},
    )
    until = timezone.localtime(CaseDeferral.objects.get().until, timezone.get_default_timezone())
    assert str(until.tzinfo) == "Asia/Almaty"
    assert (until.hour, until.minute) == (9, 0)
    assert until.date() == timezone.localdate(timezone.now(), timezone.get_default_timezone()) + (
        timedelta(days=1)
    )


@pytest.mark.parametrize(
    "data",
    [
        {"snooze-preset": "1h", "snooze-note": ""},
        {"snooze-preset": "at", "snooze-note": "x", "snooze-until": ""},
        {"snooze-preset": "at", "snooze-note": "x", "snooze-until": "2001-01-01T10:00"},
        {"snooze-preset": "at", "snooze-note": "x", "snooze-until": "not a time"},
        {"snooze-preset": "next-year", "snooze-note": "x"},
    ],
)
def test_a_bad_snooze_form_is_a_form_error(client, moderator, kolesa, data):
    case = listing_case(kolesa)
    client.force_login(moderator)
    claim(moderator)
    response = client.post(reverse("case-snooze", args=[case.pk]), {"queue": QUEUE.key, **data})
    assert response.status_code == 422
    content = response.content.decode()
    assert 'id="snooze-dialog"' in content and "data-reopen" in content
    assert response.context["snooze_form"].errors
    assert not CaseDeferral.objects.exists()
    assert Case.objects.get(pk=case.pk).claimed_by == moderator


def test_a_chosen_time_beyond_two_weeks_is_refused(client, moderator, kolesa):
    case = listing_case(kolesa)
    client.force_login(moderator)
    claim(moderator)
    later = timezone.localtime(timezone.now() + timedelta(days=15))
    response = client.post(
        reverse("case-snooze", args=[case.pk]),
        {"snooze-preset": "at", "snooze-note": "x", "snooze-until": f"{later:%Y-%m-%dT%H:%M}"},
    )
    assert response.status_code == 422
    assert "at most 14 days" in response.content.decode()
    assert not CaseDeferral.objects.exists()
