"""The moderator's workflow in a real browser: sign in, claim the next case with `n`, decide
it with a key and Enter, escalate with `e` and Ctrl+Enter, and move on to the next case of
the queue without a page load (htmx swaps the workspace and pushes the URL).

Every step is checked twice: on the page (URL, workspace, messages) and in the database
(case status and holder, decision and its evidence snapshot, audit trail).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from antifraud.models import Subject
from reviews.models import Case, Decision
from tests.browser.pages import (
    audit_events,
    claim_first_case,
    held_by,
    key_for,
    wait_for_next_case,
    waiting_cases,
)

pytestmark = [
    pytest.mark.browser,
    # serialized_rollback: the flush after a transactional test empties every table, the
    # policy catalogue and role groups written by data migrations included; this restores
    # them before the next test.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ACTION_LABELS = {"b": "Block account", "r": "Remove listing"}


def decide_with_keyboard(page: Page, live_server, user: User, case_id: int) -> int:
    """Decide the case on the page with one key and Enter; return the case shown next."""
    key = key_for(Case.objects.get(pk=case_id))
    expected_next = waiting_cases(user).first()
    page.keyboard.press(key)
    expect(page.locator("#decide-submit")).to_be_focused()
    page.keyboard.press("Enter")
    next_id = wait_for_next_case(page, live_server, case_id)
    expect(page.locator("#workspace .messages")).to_contain_text(
        f"Case {case_id} decided: {ACTION_LABELS[key]}, 1 decision."
    )
    assert expected_next is not None and next_id == expected_next.pk
    decided = Case.objects.get(pk=case_id)
    assert decided.status == Case.Status.DECIDED
    assert decided.claimed_by is None
    decision = Decision.objects.get(case_id=case_id)
    assert decision.decided_by == user
    assert decision.action == {"b": "block_account", "r": "remove_listing"}[key]
    nxt = Case.objects.get(pk=next_id)
    assert (nxt.status, nxt.claimed_by) == (Case.Status.CLAIMED, user)
    expect(held_by(page)).to_contain_text(user.username)
    return next_id


# --- the tests --------------------------------------------------------------------------


def test_claim_block_and_move_on(page: Page, live_server, sign_in, console, artifacts):
    sign_in("krisha.moderator1")
    user = User.objects.get(username="krisha.moderator1")

    case_id = claim_first_case(page, live_server, user)
    case = Case.objects.select_related("subject__account").get(pk=case_id)
    subject = case.subject
    assert key_for(case) == "b", "the demo's first krisha case should be blockable at once"
    expect(page.locator("#workspace h1")).to_have_text(subject.title or subject.external_id)
    # The photos come from the live server, out of the test's MEDIA_ROOT.
    photos = page.locator("#workspace .photos img")
    assert photos.count() == subject.photos.exclude(image="").count() > 0
    for index in range(photos.count()):
        photos.nth(index).scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=photos.nth(index).element_handle()
        )
    # caret="initial": hiding the caret leaves style="" on every field, which htmx would
    # then copy over on the next swap (a CSP violation caused by the screenshot alone).
    page.screenshot(path=str(artifacts / "case-page.png"), full_page=True, caret="initial")
    expected_next = waiting_cases(user).first()

    page.keyboard.press("b")
    expect(
        page.locator('#decision-form input[name="action"][value="block_account"]')
    ).to_be_checked()
    expect(page.locator("#decide-submit")).to_be_focused()
    page.keyboard.press("Enter")

    next_id = wait_for_next_case(page, live_server, case_id)
    assert next_id == expected_next.pk
    expect(page.locator("#workspace .messages")).to_have_text(
        f"Case {case_id} decided: Block account, 1 decision."
    )

    case.refresh_from_db()
    assert case.status == Case.Status.DECIDED
    assert case.claimed_by is None
    decision = Decision.objects.get(case=case)
    assert decision.action == Decision.Action.BLOCK_ACCOUNT
    assert decision.decided_by == user
    assert decision.evidence["subject"]["external_id"] == subject.external_id
    assert decision.evidence["subject"]["id"] == subject.pk
    assert decision.statement_of_reasons.strip()
    # The decision took effect: the account is blocked and the listing removed.
    subject.refresh_from_db()
    subject.account.refresh_from_db()
    assert subject.status == Subject.Status.REMOVED
    assert subject.account.status == Subject.Status.BLOCKED

    assert audit_events("case.claimed", Case, case_id).filter(actor=user).count() == 1
    recorded = audit_events("decision.recorded", Decision, decision.pk).get()
    assert recorded.actor == user
    assert recorded.payload["case"] == case_id
    assert recorded.payload["action"] == "block_account"
    # The next case was claimed for the moderator as well.
    assert audit_events("case.claimed", Case, next_id).filter(actor=user).exists()
    assert console.errors == [], "\n".join(console.errors)


def test_three_cases_in_a_row_with_the_keyboard_alone(page: Page, live_server, sign_in, console):
    sign_in("kolesa.moderator1")
    user = User.objects.get(username="kolesa.moderator1")

    seen = [claim_first_case(page, live_server, user)]
    for _ in range(3):
        seen.append(decide_with_keyboard(page, live_server, user, seen[-1]))

    assert len(set(seen)) == len(seen), seen
    decided = Case.objects.filter(pk__in=seen[:3])
    assert set(decided.values_list("status", flat=True)) == {Case.Status.DECIDED}
    assert Decision.objects.filter(case_id__in=seen[:3], decided_by=user).count() == 3
    # Only the case on the page is still held.
    assert list(Case.objects.filter(claimed_by=user).values_list("pk", flat=True)) == [seen[-1]]
    assert console.errors == [], "\n".join(console.errors)


def test_escalate_with_a_note(page: Page, live_server, sign_in, console):
    sign_in("olx.moderator1")
    user = User.objects.get(username="olx.moderator1")
    case_id = claim_first_case(page, live_server, user)
    expected_next = waiting_cases(user).first()
    note = "Same phone as a ring on Krisha: a senior should look at the whole ring."

    page.keyboard.press("e")
    expect(page.locator('#decision-form input[name="action"][value="escalate"]')).to_be_checked()
    expect(page.locator("#id_internal_note")).to_be_focused()
    page.keyboard.type(note)
    page.keyboard.press("Control+Enter")

    next_id = wait_for_next_case(page, live_server, case_id)
    assert next_id == expected_next.pk
    expect(page.locator("#workspace .messages")).to_have_text(
        f"Case {case_id} escalated to the senior moderators."
    )
    case = Case.objects.get(pk=case_id)
    assert case.status == Case.Status.ESCALATED
    assert case.is_escalated
    assert case.escalation_note == note
    assert case.claimed_by is None
    assert not Decision.objects.filter(case=case).exists()
    escalated = audit_events("case.escalated", Case, case_id).get()
    assert escalated.actor == user
    assert escalated.payload["note"] == note
    nxt = Case.objects.get(pk=next_id)
    assert (nxt.status, nxt.claimed_by) == (Case.Status.CLAIMED, user)
    expect(held_by(page)).to_contain_text(user.username)
    expect(page.locator("#id_internal_note")).to_have_value("")
    assert console.errors == [], "\n".join(console.errors)


def test_shortcuts_work_on_the_case_after_an_escalation(page: Page, live_server, sign_in):
    sign_in("olx.moderator1")
    user = User.objects.get(username="olx.moderator1")
    case_id = claim_first_case(page, live_server, user)
    page.keyboard.press("e")
    page.keyboard.type("Needs a senior.")
    page.keyboard.press("Control+Enter")
    next_id = wait_for_next_case(page, live_server, case_id)
    assert Case.objects.get(pk=case_id).status == Case.Status.ESCALATED

    page.keyboard.press(key_for(Case.objects.get(pk=next_id)))
    expect(page.locator("#id_internal_note")).to_have_value("", timeout=1000)
    expect(page.locator("#decide-submit")).to_be_focused(timeout=1000)


def test_question_mark_opens_the_shortcuts_help(page: Page, live_server, sign_in, console):
    sign_in("hub.moderator1")
    user = User.objects.get(username="hub.moderator1")
    claim_first_case(page, live_server, user)
    help_dialog = page.locator("dialog#shortcuts-help")
    expect(help_dialog).to_be_hidden()

    page.keyboard.press("?")
    expect(help_dialog).to_be_visible()
    assert help_dialog.evaluate("d => d.open")
    expect(help_dialog).to_contain_text("Keyboard shortcuts")
    expect(help_dialog.locator("kbd", has_text=re.compile(r"^b$"))).to_have_count(1)

    page.keyboard.press("?")
    expect(help_dialog).to_be_hidden()
    assert console.errors == [], "\n".join(console.errors)


def test_no_console_errors_and_a_strict_csp(page: Page, live_server, sign_in, console):
    responses = []
    page.on(
        "response", lambda r: responses.append(r) if r.request.resource_type == "document" else None
    )
    sign_in("krisha.moderator1")
    user = User.objects.get(username="krisha.moderator1")
    case_id = claim_first_case(page, live_server, user)

    response = page.goto(f"{live_server.url}/cases/{case_id}/?queue=all")
    assert response is not None and response.status == 200
    decide_with_keyboard(page, live_server, user, case_id)
    page.keyboard.press("?")
    expect(page.locator("dialog#shortcuts-help")).to_be_visible()

    csp = response.headers.get("content-security-policy")
    assert csp, "the case page has no Content-Security-Policy header"
    directives = {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in csp.split(";")) if part
    }
    script_src = directives.get("script-src", directives.get("default-src"))
    assert script_src, csp
    assert "'unsafe-inline'" not in script_src, csp
    assert "'unsafe-eval'" not in script_src, csp
    # Every page load (login, queue, case) carried the policy.
    assert responses and all(r.headers.get("content-security-policy") for r in responses)
    assert console.errors == [], "\n".join(console.errors)
