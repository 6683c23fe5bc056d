"""The case page's decision form: ticks and choices survive a refusal, the summary line says
what will happen, the policy's indicator kinds and block lengths are pre-chosen, the claim
button shows only when a claim can succeed, and linked subjects are links."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from antifraud.models import Subject
from reviews import services
from reviews.forms import DecisionForm
from reviews.models import Case, Decision, DecisionProposal, Policy
from reviews.selectors import case_detail
from tests.factories import IdentifierFactory, SubjectFactory, UserFactory, listing_case

pytestmark = pytest.mark.django_db

PHONE = "+77015550101"
QUEUE = "partner:kolesa:listing"


@pytest.fixture
def held(kolesa, moderator):
    """A Kolesa listing case the moderator holds, with a phone and an e-mail."""
    case = listing_case(kolesa, phone=PHONE)
    IdentifierFactory(subject=case.subject, kind="email", value="seller@mail.kz")
    services.case_claim(actor=moderator, case_id=case.pk)
    return case


def linked_listings(partner, count: int) -> list[Subject]:
    """Listings of other accounts that share the case's phone."""
    members = []
    for _ in range(count):
        listing = SubjectFactory(
            partner=partner, kind="listing", account=SubjectFactory(partner=partner, kind="account")
        )
        IdentifierFactory(subject=listing, kind="phone", value=PHONE, display=PHONE)
        members.append(listing)
    return members


def ticked(content: str) -> set[int]:
    return {
        int(value)
        for value, attributes in re.findall(
            r'<input type="checkbox" name="ring" value="(\d+)"([^>]*)>', content
        )
        if re.search(r"\bchecked\b", attributes)
    }


def checked_radio(content: str, name: str) -> str | None:
    for value, attributes in re.findall(
        rf'<input type="radio" name="{re.escape(name)}" value="([^"]*)"([^>]*)>', content
    ):
        if re.search(r"\bchecked\b", attributes):
            return value
    return None


def summary(content: str) -> str:
    found = re.search(r'<p id="decision-summary"[^>]*>([^<]*)</p>', content)
    assert found, "the page has no summary line"
    return found.group(1)


def decide(client, case: Case, **data):
    return client.post(
        reverse("case-decide", args=[case.pk]), {"language": "ru", "queue": QUEUE, **data}
    )


# --- a refusal keeps every choice -----------------------------------------------------------


def test_a_form_error_keeps_the_ticks_and_every_choice(client, moderator, kolesa, held):
    members = linked_listings(kolesa, 3)
    phone = held.subject.identifiers.get(kind="phone")
    email = held.subject.identifiers.get(kind="email")
    client.force_login(moderator)
    response = decide(
        client,
        held,
        action="block_account",
        policy=Policy.objects.get(code="fake-rental").pk,
        statement_of_reasons="   ",
        internal_note="Same phone as three others.",
        ring=[members[0].pk, members[2].pk],
        block_days="90",
        **{f"indicator_{phone.pk}": "black", f"indicator_{email.pk}": "gray"},
    )
    assert response.status_code == 422
    content = response.content.decode()
    assert ticked(content) == {members[0].pk, members[2].pk}
    assert checked_radio(content, "action") == "block_account"
    assert checked_radio(content, "block_days") == "90"
    assert checked_radio(content, f"indicator_{phone.pk}") == "black"
    assert checked_radio(content, f"indicator_{email.pk}") == "gray"
    assert "Same phone as three others.</textarea>" in content
    assert re.search(
        rf'<option value="{Policy.objects.get(code="fake-rental").pk}"[^>]*selected', content
    )
    # The error is announced and said at the top of the form.
    assert 'id="decision-errors" role="alert"' in content
    assert summary(content) == (
        "Blocks 3 accounts: this one and 2 linked. Block length: 90 days. "
        "Lists 1 indicator on the black list. Lists 1 indicator on the gray list."
    )
    assert not Decision.objects.exists()


def test_a_refusal_keeps_the_ticks(client, moderator, kolesa, held):
    members = linked_listings(kolesa, 2)
    client.force_login(moderator)
    response = decide(
        client,
        held,
        action="block_account",
        policy=Policy.objects.get(code="no-violation").pk,
        statement_of_reasons="Цена ниже рынка.",
        ring=[m.pk for m in members],
    )
    assert response.status_code == 409
    content = response.content.decode()
    assert ticked(content) == {m.pk for m in members}
    assert 'id="decision-errors" role="alert"' in content
    assert "Blocks 3 accounts: this one and 2 linked." in summary(content)
    assert not Decision.objects.exists()


def test_junk_in_the_ring_is_a_form_error_not_a_crash(client, moderator, kolesa, held):
    members = linked_listings(kolesa, 1)
    client.force_login(moderator)
    response = decide(client, held, action="block_account", ring=["x", str(members[0].pk)])
    assert response.status_code == 422
    assert ticked(response.content.decode()) == {members[0].pk}


# --- what the form says and pre-chooses -----------------------------------------------------


def test_the_policy_defaults_are_chosen_before_anything_is_pressed(client, moderator, held):
    client.force_login(moderator)
    content = client.get(reverse("case", args=[held.pk])).content.decode()
    phone = held.subject.identifiers.get(kind="phone")
    email = held.subject.identifiers.get(kind="email")
    # The case's scheme (underpriced vehicle) lists phones and cards by default.
    assert Policy.objects.get(code="underpriced-vehicle").default_indicator_kinds == [
        "phone",
        "card",
    ]
    assert checked_radio(content, f"indicator_{phone.pk}") == "black"
    assert checked_radio(content, f"indicator_{email.pk}") == ""
    # Its block lengths, the first one checked.
    assert re.findall(r'name="block_days" value="(\d+)"', content) == ["0", "90", "30"]
    assert checked_radio(content, "block_days") == "0"
    assert summary(content) == "No action chosen yet: nothing will be decided."
    assert "To escalate: write the note, then Enter (Shift+Enter starts a new line)." in content


def test_b_and_enter_lists_the_default_indicators(client, moderator, held):
    """What the page sends when the moderator presses b and Enter at once."""
    client.force_login(moderator)
    page = client.get(reverse("case", args=[held.pk]))
    form = page.context["form"]
    data = {name: form.choice(name) for name in form.fields if form.choice(name)}
    data["action"] = "block_account"
    response = decide(client, held, **data)
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert [i.value for i in decision.listed_indicators.all()] == [PHONE]


def test_the_summary_texts_cover_the_whole_ring(client, moderator, kolesa, held):
    linked_listings(kolesa, 4)
    client.force_login(moderator)
    page = client.get(reverse("case", args=[held.pk]))
    texts = json.loads(page.context["summary_json"])
    assert texts["block_account"][0] == "Blocks this subject's account."
    assert texts["block_account"][4] == "Blocks 5 accounts: this one and 4 linked."
    assert texts["remove_listing"][1] == "Removes 2 listings: this one and 1 linked."
    assert texts["black"][1:] == [
        "Lists 1 indicator on the black list.",
        "Lists 2 indicators on the black list.",
    ]
    assert texts["labels"]["0"] == "permanent" and texts["labels"]["7"] == "7 days"


def test_the_block_length_goes_to_the_decision_request_for_a_block_only(held):
    detail = case_detail(held)
    policy = Policy.objects.get(code="fake-rental")
    base = {"policy": policy.pk, "statement_of_reasons": "x", "language": "ru", "block_days": "90"}
    for action, expected in (("block_account", 90), ("remove_listing", None)):
        form = DecisionForm(
            {**base, "action": action}, identifiers=detail.identifiers, linked_ids=[]
        )
        assert form.is_valid(), form.errors
        assert form.to_request().block_days == expected


# --- messages -------------------------------------------------------------------------------


def test_the_decided_message_counts_in_words(client, moderator, kolesa, held):
    members = linked_listings(kolesa, 2)
    client.force_login(moderator)
    response = decide(
        client,
        held,
        action="remove_listing",
        policy=Policy.objects.get(code="fake-photos").pk,
        statement_of_reasons="Фото из чужого объявления.",
        ring=[m.pk for m in members],
    )
    assert response.status_code == 302
    home = client.get(response["Location"]).content.decode()
    assert f"Case {held.pk} decided: Remove listing, 3 decisions." in home
    assert "decision(s)" not in home

    single = listing_case(kolesa)
    services.case_claim(actor=moderator, case_id=single.pk)
    response = decide(
        client,
        single,
        action="remove_listing",
        policy=Policy.objects.get(code="fake-photos").pk,
        statement_of_reasons="Фото из чужого объявления.",
    )
    assert (
        f"Case {single.pk} decided: Remove listing, 1 decision."
        in client.get(response["Location"]).content.decode()
    )


# --- the claim button -------------------------------------------------------------------------


def claim_button(client, case: Case) -> bool:
    return 'data-shortcut="claim"' in client.get(reverse("case", args=[case.pk])).content.decode()


def test_claim_is_offered_only_when_a_claim_can_succeed(client, moderator, kolesa):
    colleague = UserFactory(partner=kolesa, role=Role.MODERATOR)
    client.force_login(moderator)
    waiting = listing_case(kolesa)
    assert claim_button(client, waiting)

    held_by_other = listing_case(kolesa)
    services.case_claim(actor=colleague, case_id=held_by_other.pk)
    assert not claim_button(client, held_by_other)
    # A lapsed lease can be taken over.
    Case.objects.filter(pk=held_by_other.pk).update(
        lease_until=timezone.now() - timedelta(minutes=1)
    )
    assert claim_button(client, held_by_other)

    awaiting = listing_case(kolesa)
    Case.objects.filter(pk=awaiting.pk).update(status=Case.Status.AWAITING_APPROVAL)
    content = client.get(reverse("case", args=[awaiting.pk])).content.decode()
    assert 'data-shortcut="claim"' not in content
    assert "This case waits for a second moderator's approval." in content

    decided = listing_case(kolesa)
    Case.objects.filter(pk=decided.pk).update(status=Case.Status.DECIDED, decided_at=timezone.now())
    assert not claim_button(client, decided)


def test_the_next_button_says_resume_while_a_case_is_held(client, moderator, kolesa, held):
    other = listing_case(kolesa)
    client.force_login(moderator)
    assert "Resume this case" in client.get(reverse("case", args=[held.pk])).content.decode()
    assert f"Resume case {held.pk}" in client.get(reverse("case", args=[other.pk])).content.decode()
    services.case_release(actor=moderator, case_id=held.pk)
    content = client.get(reverse("case", args=[other.pk])).content.decode()
    assert "Resume" not in content and "Next case" in content


# --- linked subjects are links ----------------------------------------------------------------


def test_linked_subjects_link_to_their_case_or_story(client, moderator, kolesa, krisha, held):
    with_case, without_case = linked_listings(kolesa, 2)
    foreign = linked_listings(krisha, 1)[0]
    their_case = listing_case(kolesa)
    Case.objects.filter(pk=their_case.pk).update(subject=with_case)
    client.force_login(moderator)
    content = client.get(reverse("case", args=[held.pk])).content.decode()
    assert f'<a href="{reverse("case", args=[their_case.pk])}">' in content
    assert f'<a href="{reverse("subject-story", args=[without_case.pk])}">' in content
    # Another partner's subject is named, not linked, for a partner's moderator.
    assert reverse("subject-story", args=[foreign.pk]) not in content


def test_the_held_case_page_queries_do_not_grow_with_the_ring(
    client, moderator, kolesa, held, django_assert_max_num_queries
):
    linked_listings(kolesa, 1)
    client.force_login(moderator)
    url = reverse("case", args=[held.pk])
    client.get(url)
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    linked_listings(kolesa, 15)
    for number in range(5):
        IdentifierFactory(subject=held.subject, kind="card", value=f"card-digest-{number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["detail"].linked) == 16


def test_the_approved_message_counts_in_words(client, moderator, kolesa, held, settings):
    settings.SECOND_APPROVAL_RING_SIZE = 1
    members = linked_listings(kolesa, 2)
    client.force_login(moderator)
    decide(
        client,
        held,
        action="remove_listing",
        policy=Policy.objects.get(code="fake-photos").pk,
        statement_of_reasons="Фото из чужого объявления.",
        ring=[m.pk for m in members],
    )
    held.refresh_from_db()
    assert held.status == Case.Status.AWAITING_APPROVAL
    senior = UserFactory(partner=kolesa, role=Role.SENIOR_MODERATOR)
    client.force_login(senior)
    proposal = DecisionProposal.objects.get(case=held)
    response = client.post(reverse("proposal-approve", args=[proposal.pk]), follow=True)
    assert "Approved: 3 decisions took effect." in response.content.decode()
