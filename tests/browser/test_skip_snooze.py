"""Skip and snooze in a real browser: `s` moves on to another case and the skipped one does
not come back while others wait; `z` puts a case aside for this moderator alone, until a new
signal joins it."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from antifraud.models import Signal
from reviews import services
from reviews.models import Case, CaseDeferral
from reviews.queues import Queue
from tests.browser.pages import audit_events, claim_first_case, wait_for_next_case, waiting_cases

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_skip_moves_on_and_the_skipped_case_waits(page: Page, live_server, sign_in, console):
    sign_in("kolesa.moderator1")
    user = User.objects.get(username="kolesa.moderator1")
    order = list(waiting_cases(user).values_list("pk", flat=True)[:3])
    assert len(order) == 3

    first = claim_first_case(page, live_server, user)
    expect(page.locator('[data-shortcut="next"]')).to_contain_text("Resume this case")
    page.keyboard.press("s")
    second = wait_for_next_case(page, live_server, first)
    assert second == order[1]
    expect(page.locator("#workspace .messages")).to_contain_text(
        f"Case {first} skipped: it is back in the queue."
    )
    skipped = Case.objects.get(pk=first)
    assert (skipped.status, skipped.claimed_by) == (Case.Status.OPEN, None)
    assert audit_events("case.skipped", Case, first).filter(actor=user).count() == 1

    # `n` while holding a case resumes it: the skipped one does not come back.
    with page.expect_response(lambda response: response.url.endswith("/queue/next/")):
        page.keyboard.press("n")
    expect(page.locator("#workspace")).to_have_attribute("data-case", str(second))
    expect(page.locator("#workspace")).not_to_have_class(re.compile(r"htmx-(swapping|settling)"))
    page.keyboard.press("s")
    third = wait_for_next_case(page, live_server, second)
    assert third == order[2]
    assert first not in (second, third)
    assert CaseDeferral.objects.filter(user=user, kind="skip").count() == 2
    assert console.errors == [], "\n".join(console.errors)


def test_snooze_hides_a_case_from_me_until_a_new_signal(page: Page, live_server, sign_in, console):
    sign_in("kolesa.moderator1")
    user = User.objects.get(username="kolesa.moderator1")
    colleague = User.objects.get(username="kolesa.moderator2")
    queue = Queue.parse("all")
    first = claim_first_case(page, live_server, user)

    page.keyboard.press("z")
    dialog = page.locator("#snooze-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#id_snooze-note")).to_be_focused()
    expect(page.locator('input[name="snooze-preset"][value="1h"]')).to_be_checked()
    # Keys typed in the dialog are text, not shortcuts.
    page.keyboard.type("Waiting for the bank: is the card stolen?")
    # Nor is a key pressed on a radio of the dialog: no shortcut fires while it is open.
    page.locator('input[name="snooze-preset"][value="1h"]').focus()
    page.keyboard.press("b")
    page.keyboard.press("s")
    expect(page.locator('input[name="action"]:checked')).to_have_count(0)
    expect(page.locator("#workspace")).to_have_attribute("data-case", str(first))
    page.get_by_role("button", name="Snooze and open the next case").click()
    second = wait_for_next_case(page, live_server, first)
    expect(page.locator("#workspace .messages")).to_contain_text(f"Case {first} snoozed until")

    snooze = CaseDeferral.objects.get(user=user, kind="snooze")
    assert not CaseDeferral.objects.filter(kind="skip").exists()
    assert snooze.case_id == first
    assert snooze.note == "Waiting for the bank: is the card stolen?"
    minutes = (snooze.until - snooze.created_at).total_seconds() / 60
    assert 59 < minutes <= 60
    assert audit_events("case.snoozed", Case, first).filter(actor=user).count() == 1
    assert Case.objects.get(pk=first).status == Case.Status.OPEN

    # Another moderator takes it as usual, and lets it go again.
    assert services.case_claim_next(actor=colleague, queue=queue).pk == first
    services.case_release(actor=colleague, case_id=first)

    # Not mine while it sleeps: skipping gives another case.
    page.keyboard.press("s")
    third = wait_for_next_case(page, live_server, second)
    assert third != first

    # A new signal wakes it: it is the most urgent case again, and mine to claim.
    case = Case.objects.get(pk=first)
    case.signals.add(
        Signal.objects.create(
            subject=case.subject,
            source=Signal.Source.USER_COMPLAINT,
            scheme=case.scheme,
            score=70,
            explanation="Another complaint.",
            created_at=timezone.now(),
        )
    )
    page.keyboard.press("s")
    again = wait_for_next_case(page, live_server, third)
    assert again == first
    expect(page.locator("#workspace .snoozed")).to_contain_text("Snoozed by kolesa.moderator1")
    expect(page.locator("#workspace .snoozed")).to_contain_text("A new signal has woken it up")
    assert console.errors == [], "\n".join(console.errors)
