"""A time-limited block in a real browser: a moderator blocks an account for 7 days; eight
days later (the test moves time by passing `now`, it never sleeps) the beat task lifts it,
the subject's story shows it active with the lift recorded, partners are told, and the
appeal page says the block ended."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from antifraud.models import Delivery, Subject
from reviews.links import appeal_token
from reviews.models import BlockLift, Case, Decision, Policy
from reviews.services.block_ends import block_ends_lift
from tests.browser.pages import claim_first_case, key_for, wait_for_next_case

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_seven_day_block_lifts_itself(page: Page, live_server, sign_in, console, artifacts):
    sign_in("krisha.moderator1")
    user = User.objects.get(username="krisha.moderator1")
    case_id = claim_first_case(page, live_server, user)
    case = Case.objects.select_related("subject__account").get(pk=case_id)
    assert key_for(case) == "b", "the demo's first krisha case should be blockable at once"

    page.keyboard.press("b")
    # A policy whose blocks may last 7 days (fake-photos: 30, 7, 90 days or permanent).
    policy = Policy.objects.get(code="fake-photos", is_current=True)
    page.select_option("#id_policy", value=str(policy.pk))
    seven = page.locator('input[name="block_days"][value="7"]')
    expect(seven).to_be_visible()
    seven.check()
    expect(seven).to_be_checked()
    page.locator("#decide-submit").click()
    wait_for_next_case(page, live_server, case_id)

    decision = Decision.objects.get(case_id=case_id)
    assert decision.action == "block_account" and decision.policy == policy
    assert decision.block_days == 7
    assert decision.ends_at == decision.decided_at + timedelta(days=7)
    account = case.subject.owner
    assert account is not None
    account.refresh_from_db()
    assert account.status == Subject.Status.BLOCKED

    # The story already says how long the block lasts.
    page.goto(f"{live_server.url}/subjects/{account.pk}/story/")
    expect(page.locator("tr.story-decision").first).to_contain_text("blocked for 7 days")

    # Eight days on, beat's task runs (time moved by `now`, not slept).
    assert block_ends_lift(now=decision.decided_at + timedelta(days=8)) == 1
    account.refresh_from_db()
    assert account.status == Subject.Status.ACTIVE
    assert BlockLift.objects.get(decision=decision).outcome == BlockLift.Outcome.LIFTED

    page.reload()
    expect(page.locator(".meta .badge.status-active")).to_have_text("Active")
    lift_row = page.locator("tr.story-lift")
    expect(lift_row).to_have_count(1)
    expect(lift_row).to_contain_text("Block ended")
    expect(lift_row).to_contain_text("the account is active again")
    page.screenshot(path=str(artifacts / "time_limited_block_story.png"), full_page=True)

    unblocked = Delivery.objects.filter(event_type="subject.unblocked", subject=account)
    assert unblocked.exists()
    assert {d.payload["data"]["reason"] for d in unblocked} == {"block_ended"}

    # The blocked user's page says the block ended.
    token = appeal_token(decision_id=decision.pk, decided_at=decision.decided_at)
    page.goto(f"{live_server.url}/appeal/{token}/?lang=en")
    term = page.locator(".block-term")
    expect(term).to_contain_text("Blocked for 7 days, until")
    lifted = timezone.localtime(BlockLift.objects.get(decision=decision).lifted_at)
    expect(term).to_contain_text(
        f"The block ended on {lifted:%d.%m.%Y}: the account is active again."
    )
    assert not console.errors, console.errors


def test_the_appeal_is_answered_from_its_template(page: Page, live_server, sign_in, console):
    """A senior answers the appeal of a block: choosing an outcome fills the reply from its
    template in the appellant's language; what the senior then writes is never replaced."""
    from reviews import services
    from reviews.services import DecisionRequest
    from reviews.services.appeals import appeal_reply_prefill

    moderator = User.objects.get(username="krisha.moderator1")
    case = (
        Case.objects.visible_to(moderator)
        .filter(status=Case.Status.OPEN, is_escalated=False)
        .order_by("-priority", "opened_at", "pk")
        .first()
    )
    assert case is not None and key_for(case) == "b"
    services.case_claim(actor=moderator, case_id=case.pk)
    decision = services.decision_record(
        actor=moderator,
        case_id=case.pk,
        request=DecisionRequest(
            action="block_account",
            policy_id=Policy.objects.get(code="fake-photos", is_current=True).pk,
            statement_of_reasons="Фотографии взяты из чужого объявления.",
            block_days=7,
        ),
    ).decisions[0]
    appeal = services.appeal_file(
        decision_id=decision.pk,
        statement="Фотографии мои, машина стоит у меня во дворе, прошу проверить.",
        consent=True,
        language="kk",
    )

    sign_in("krisha.senior1")
    page.goto(f"{live_server.url}/appeals/{appeal.pk}/")
    page.get_by_role("button", name="Claim this appeal").click()
    reply = page.locator("#id_reply")
    expect(reply).to_have_value("")
    page.get_by_label("Uphold the decision").check()
    upheld = appeal_reply_prefill(appeal, "upheld")
    assert upheld.startswith("Біз Krisha.kz")
    expect(reply).to_have_value(upheld)
    # Changing one's mind swaps the page's text for the other outcome's...
    page.get_by_label("Overturn it").check()
    expect(reply).to_have_value(appeal_reply_prefill(appeal, "overturned"))
    # ...but not the senior's own words.
    reply.fill("Фотографии действительно ваши: решение отменено.")
    page.get_by_label("Uphold the decision").check()
    page.get_by_label("Overturn it").check()
    page.wait_for_load_state("networkidle")
    expect(reply).to_have_value("Фотографии действительно ваши: решение отменено.")
    page.get_by_role("button", name="Resolve the appeal").click()
    expect(page.locator(".messages")).to_contain_text(f"Appeal {appeal.pk} resolved.")
    appeal.refresh_from_db()
    assert appeal.status == "overturned"
    assert appeal.reply == "Фотографии действительно ваши: решение отменено."
    assert not console.errors, console.errors
