"""What the browser tests read off the pages and the database, shared by the test modules."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from antifraud.models import AuditEvent, Subject
from reviews.models import Case


def waiting_cases(user: User):
    """The open cases of the queue `all` as the user sees it, in the order claims take them."""
    return (
        Case.objects.visible_to(user)
        .filter(status=Case.Status.OPEN, is_escalated=False)
        .order_by("-priority", "opened_at", "pk")
    )


def case_on_page(page: Page, live_server, queue: str = "all") -> int:
    """The id of the case the workspace shows; checks the address bar shows the same case."""
    workspace = page.locator("#workspace")
    expect(workspace).to_have_count(1)
    case_id = int(workspace.get_attribute("data-case"))
    expect(page).to_have_url(f"{live_server.url}/cases/{case_id}/?queue={queue}")
    return case_id


def wait_for_next_case(page: Page, live_server, previous: int) -> int:
    expect(page.locator("#workspace")).not_to_have_attribute("data-case", str(previous))
    return case_on_page(page, live_server)


def held_by(page: Page):
    return (
        page.locator(".case-facts > div")
        .filter(has=page.locator("dt", has_text="Held by"))
        .locator("dd")
    )


def key_for(case: Case) -> str:
    """`b` when blocking the account takes effect at once, else `r` (remove the listing).

    Blocking is refused when the account is already blocked (an earlier case of the same
    account) and waits for a second approval when the account is older than a year.
    """
    subject = Case.objects.select_related("subject__account").get(pk=case.pk).subject
    owner = subject if subject.kind == Subject.Kind.ACCOUNT else subject.account
    old = timezone.now() - timedelta(days=settings.SECOND_APPROVAL_ACCOUNT_AGE_DAYS)
    if (
        owner is None
        or owner.status == Subject.Status.BLOCKED
        or (owner.registered_at and owner.registered_at < old)
    ):
        assert subject.kind == Subject.Kind.LISTING, f"case {case.pk}: no way to decide it at once"
        return "r"
    return "b"


def audit_events(action: str, model, pk: int):
    return AuditEvent.objects.filter(
        action=action, target_type=ContentType.objects.get_for_model(model), target_id=str(pk)
    )


def claim_first_case(page: Page, live_server, user: User) -> int:
    """Press `n` on the queue page; return the case it opened after checking it is the most
    urgent waiting case and that the page and the database say the user holds it."""
    expected = waiting_cases(user).first()
    assert expected is not None, "the demo has no open case for this moderator"
    page.keyboard.press("n")
    case_id = case_on_page(page, live_server)
    assert case_id == expected.pk
    expect(held_by(page)).to_contain_text(user.username)
    case = Case.objects.get(pk=case_id)
    assert case.status == Case.Status.CLAIMED
    assert case.claimed_by == user
    assert case.lease_until > timezone.now()
    return case_id
