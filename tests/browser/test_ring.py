"""Ring decisions that cannot go wrong, in a real browser: boxes ticked with the mouse, keys
pressed while a box has the focus, a refusal that keeps every tick and brings its error into
view, and the whole ring decided at once. Also Enter with no action chosen, and Enter in the
escalation note."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from antifraud.models import Subject
from reviews.models import Case, Decision, Policy
from tests.browser.pages import claim_first_case, key_for, wait_for_next_case, waiting_cases
from tests.factories import IdentifierFactory, SubjectFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DEVICE = "device-fingerprint-ring-7f3a"


def link_three(case: Case) -> list[Subject]:
    """Three new listings of three new accounts, sharing a device with the case's subject."""
    IdentifierFactory(subject=case.subject, kind="device", value=DEVICE, display=DEVICE)
    members = []
    for number in range(3):
        account = SubjectFactory(
            partner=case.partner, kind="account", external_id=f"ring-account-{number}"
        )
        listing = SubjectFactory(
            partner=case.partner,
            kind="listing",
            account=account,
            external_id=f"ring-listing-{number}",
            title=f"Ring member {number}",
        )
        IdentifierFactory(subject=listing, kind="device", value=DEVICE, display=DEVICE)
        members.append(listing)
    return members


def ring_box(page: Page, subject: Subject):
    return page.locator(f'input[name="ring"][value="{subject.pk}"]')


def test_tick_three_refuse_keep_the_ticks_and_decide_the_ring(
    page: Page, live_server, sign_in, console
):
    sign_in("krisha.moderator1")
    user = User.objects.get(username="krisha.moderator1")
    first = waiting_cases(user).first()
    assert first is not None and key_for(first) == "b"
    members = link_three(first)
    case_id = claim_first_case(page, live_server, user)
    assert case_id == first.pk

    for member in members:
        ring_box(page, member).click()
    last = ring_box(page, members[-1])
    expect(last).to_be_focused()
    summary = page.locator("#decision-summary")
    expect(summary).to_have_text("No action chosen yet: nothing will be decided.")

    # A shortcut while a box has the focus is still a shortcut.
    page.keyboard.press("b")
    expect(page.locator('input[name="action"][value="block_account"]')).to_be_checked()
    expect(page.locator("#decide-submit")).to_be_focused()
    expect(summary).to_contain_text("Blocks 4 accounts: this one and 3 linked.")

    # A refusal: the statement the user reads is emptied, and the form sent.
    page.fill("#id_statement_of_reasons", "")
    page.keyboard.press("Control+Enter")
    error = page.locator("#decision-errors")
    expect(error).to_be_visible()
    expect(error).to_have_attribute("role", "alert")
    expect(error).to_be_in_viewport()
    expect(error).to_be_focused()
    expect(page.locator(".decide-card .errorlist")).to_contain_text(
        "The user will read this: it is required."
    )
    assert page.locator("#workspace").get_attribute("data-case") == str(case_id)
    for member in members:
        expect(ring_box(page, member)).to_be_checked()
    expect(page.locator('input[name="action"][value="block_account"]')).to_be_checked()
    expect(summary).to_contain_text("Blocks 4 accounts: this one and 3 linked.")
    assert not Decision.objects.filter(case_id=case_id).exists()

    # Corrected, and sent with Enter from a ticked box.
    page.fill("#id_statement_of_reasons", "Предоплата за несуществующую квартиру.")
    ring_box(page, members[0]).focus()
    page.keyboard.press("Enter")
    wait_for_next_case(page, live_server, case_id)
    expect(page.locator("#workspace .messages")).to_contain_text(
        f"Case {case_id} decided: Block account, 4 decisions."
    )

    decisions = list(Decision.objects.filter(batch_id__isnull=False, decided_by=user))
    assert len(decisions) == 4
    assert len({d.batch_id for d in decisions}) == 1
    assert {d.subject_id for d in decisions} == {first.subject_id, *(m.pk for m in members)}
    assert {d.action for d in decisions} == {Decision.Action.BLOCK_ACCOUNT}
    for member in members:
        member.refresh_from_db()
        assert member.account.status == Subject.Status.BLOCKED
    # The browser reports the refusal's 422 itself; nothing else went wrong.
    errors = [e for e in console.errors if "status of 422" not in e]
    assert errors == [], "\n".join(errors)


def test_enter_on_a_box_with_no_action_asks_for_one(page: Page, live_server, sign_in, console):
    sign_in("krisha.moderator1")
    user = User.objects.get(username="krisha.moderator1")
    first = waiting_cases(user).first()
    members = link_three(first)
    case_id = claim_first_case(page, live_server, user)

    ring_box(page, members[1]).click()
    page.keyboard.press("Enter")
    hint = page.locator("#decision-hint")
    expect(hint).to_be_visible()
    expect(hint).to_have_attribute("role", "alert")
    expect(hint).to_contain_text("Choose an action first")
    expect(page.locator('input[name="action"][value="block_account"]')).to_be_focused()
    # The arrows move through the actions without being taken for shortcuts.
    page.keyboard.press("ArrowRight")
    expect(page.locator('input[name="action"]:checked')).to_have_count(1)
    assert page.locator("#workspace").get_attribute("data-case") == str(case_id)
    assert not Decision.objects.filter(case_id=case_id).exists()
    assert Case.objects.get(pk=case_id).claimed_by == user
    assert console.errors == [], "\n".join(console.errors)


def test_the_default_indicators_can_be_changed_by_keyboard(
    page: Page, live_server, sign_in, console
):
    sign_in("krisha.moderator1")
    user = User.objects.get(username="krisha.moderator1")
    first = waiting_cases(user).first()
    IdentifierFactory(subject=first.subject, kind="phone", value="+77015550199")
    claim_first_case(page, live_server, user)
    page.keyboard.press("b")
    row = page.locator(".indicators tr[data-kind='phone']").first
    black = row.locator('input[value="black"]')
    expect(black).to_be_checked()
    summary = page.locator("#decision-summary")
    expect(summary).to_contain_text("on the black list")
    # To the phone's row with the mouse, then the arrows: gray.
    black.focus()
    page.keyboard.press("ArrowRight")
    expect(row.locator('input[value="gray"]')).to_be_checked()
    expect(summary).to_contain_text("on the gray list")
    # Changed by hand, the row stays as set when the action changes.
    page.keyboard.press("w")
    expect(row.locator('input[value="gray"]')).to_be_checked()
    assert console.errors == [], "\n".join(console.errors)


def test_enter_sends_the_escalation_note(page: Page, live_server, sign_in, console):
    sign_in("olx.moderator1")
    user = User.objects.get(username="olx.moderator1")
    case_id = claim_first_case(page, live_server, user)
    page.keyboard.press("e")
    expect(page.locator("#id_internal_note")).to_be_focused()
    page.keyboard.type("Same phone as a Krisha ring.")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("A senior should look.")
    page.keyboard.press("Enter")
    wait_for_next_case(page, live_server, case_id)
    case = Case.objects.get(pk=case_id)
    assert case.status == Case.Status.ESCALATED
    assert case.escalation_note == "Same phone as a Krisha ring.\nA senior should look."
    assert console.errors == [], "\n".join(console.errors)


def test_the_policy_sets_the_block_lengths_and_the_listed_kinds(
    page: Page, live_server, sign_in, console
):
    sign_in("krisha.moderator1")
    user = User.objects.get(username="krisha.moderator1")
    first = waiting_cases(user).first()
    IdentifierFactory(subject=first.subject, kind="phone", value="+77015550198")
    claim_first_case(page, live_server, user)
    page.keyboard.press("b")
    phone = page.locator(".indicators tr[data-kind='phone']").first
    expect(phone.locator('input[value="black"]')).to_be_checked()
    lengths = page.locator('input[name="block_days"]')
    summary = page.locator("#decision-summary")

    photos = Policy.objects.get(code="fake-photos")
    page.select_option("#id_policy", str(photos.pk))
    expect(lengths).to_have_count(len(photos.durations))
    assert [lengths.nth(i).get_attribute("value") for i in range(lengths.count())] == [
        str(days) for days in photos.durations
    ]
    expect(page.locator('input[name="block_days"]:checked')).to_have_value(str(photos.durations[0]))
    expect(summary).to_contain_text(f"Block length: {photos.durations[0]} days.")
    # Fake photos list photos, not phones: the phone's row follows the policy.
    expect(phone.locator('input[value=""]')).to_be_checked()
    # The lengths are radios: the arrows choose another.
    page.locator('input[name="block_days"]:checked').focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator('input[name="block_days"]:checked')).to_have_value(str(photos.durations[1]))
    expect(summary).to_contain_text(f"Block length: {photos.durations[1]} days.")
    # Another action hides them.
    page.keyboard.press("c")
    expect(lengths.first).to_be_hidden()
    assert console.errors == [], "\n".join(console.errors)
