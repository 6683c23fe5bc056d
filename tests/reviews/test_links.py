"""Links everywhere: a subject's link goes to its open case when the reader may see one, else
to its story page, and nowhere for a subject the reader may not see — the same rule on the
story page, the decision and appeal logs and the quality samples."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.roles import Role
from reviews import services
from reviews.models import Case, Policy, QualitySample
from reviews.selectors import with_open_case
from reviews.services import DecisionRequest
from reviews.services.sampling import quality_sample_review
from reviews.templatetags.links_tags import subject_url
from tests.factories import CaseFactory, UserFactory, listing_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor(kolesa):
    return UserFactory(username="kolesa.supervisor", partner=kolesa, role=Role.SUPERVISOR)


@pytest.fixture
def senior(kolesa):
    return UserFactory(username="kolesa.senior", partner=kolesa, role=Role.SENIOR_MODERATOR)


@pytest.fixture
def decided(kolesa, moderator):
    """A Kolesa listing blocked by the moderator; its case is decided."""
    case = listing_case(kolesa)
    services.case_claim(actor=moderator, case_id=case.pk)
    return services.decision_record(
        actor=moderator,
        case_id=case.pk,
        request=DecisionRequest(
            action="block_account",
            policy_id=Policy.objects.get(code="underpriced-vehicle").pk,
            statement_of_reasons="Цена вдвое ниже рынка.",
        ),
    ).decisions[0]


def annotated(subject, user):
    return with_open_case(type(subject).objects.filter(pk=subject.pk), user).get()


def test_the_rule(kolesa, krisha, moderator, supervisor, decided):
    subject = decided.subject
    story = reverse("subject-story", args=[subject.pk])
    # Decided: the story.
    assert subject_url(moderator, annotated(subject, moderator)) == story
    # A new open case: the case, for whoever may see it.
    reopened = CaseFactory(subject=subject)
    for reader in (moderator, supervisor):
        assert subject_url(reader, annotated(subject, reader)) == reverse(
            "case", args=[reopened.pk]
        )
    # Another partner's staff: no link at all, and no case id learnt from the annotation.
    outsider = UserFactory(username="krisha.mod", partner=krisha, role=Role.MODERATOR)
    assert annotated(subject, outsider).open_case_id is None
    assert subject_url(outsider, subject) == ""
    # An open case the page knows otherwise (a sample's reopened case) is passed in.
    assert subject_url(moderator, subject, reopened.pk) == reverse("case", args=[reopened.pk])


def test_the_story_page_links_cases_subjects_and_appeals(client, kolesa, moderator, decided):
    listing = decided.subject
    account = listing.account
    account_case = CaseFactory(subject=account)
    appeal = services.appeal_file(
        decision_id=decided.pk, statement="Это моя машина, я не просил задаток.", consent=True
    )
    client.force_login(UserFactory(username="hub.sup", partner=None, role=Role.SUPERVISOR))
    page = client.get(reverse("subject-story", args=[listing.pk])).content.decode()
    # What happened to the account is told along: "its account" opens its open case.
    assert f'<a href="{reverse("case", args=[account_case.pk])}">its account</a>' in page
    # The appeal opens the appeal page, and "against decision N" its case.
    assert f'href="{reverse("appeal-review", args=[appeal.pk])}"' in page
    assert f'<a href="{reverse("case", args=[decided.case_id])}">against decision' in page
    # The account's own story names its open case at the top.
    page = client.get(reverse("subject-story", args=[account.pk])).content.decode()
    assert (
        f'<a href="{reverse("case", args=[account_case.pk])}">Open case {account_case.pk}</a>'
        in page
    )


def test_the_logs_link_a_subject_to_its_open_case(client, kolesa, senior, supervisor, decided):
    client.force_login(supervisor)
    story = reverse("subject-story", args=[decided.subject_id])
    assert f'href="{story}"' in client.get(reverse("decision-log")).content.decode()
    appeal = services.appeal_file(
        decision_id=decided.pk, statement="Это моя машина, я не просил задаток.", consent=True
    )
    services.appeal_claim(actor=senior, appeal_id=appeal.pk)
    services.appeal_resolve(actor=senior, appeal_id=appeal.pk, overturn=False, reply="В силе.")
    assert f'href="{story}"' in client.get(reverse("appeal-log")).content.decode()
    reopened = CaseFactory(subject=decided.subject)
    case_link = f'href="{reverse("case", args=[reopened.pk])}"'
    for log in ("decision-log", "appeal-log"):
        content = client.get(reverse(log)).content.decode()
        assert case_link in content, log
        assert f'href="{story}"' not in content, log


def test_the_samples_link_the_case_and_the_subject(client, supervisor, decided):
    # A new moderator's decisions are all drawn; else draw this one.
    sample, _ = QualitySample.objects.get_or_create(
        decision=decided, defaults={"reason": QualitySample.Reason.RANDOM}
    )
    client.force_login(supervisor)
    story = f'href="{reverse("subject-story", args=[decided.subject_id])}"'
    case = f'href="{reverse("case", args=[decided.case_id])}"'
    listed = client.get(reverse("sample-queue") + "?show=all").content.decode()
    assert story in listed and case in listed
    page = client.get(reverse("sample", args=[sample.pk])).content.decode()
    assert story in page and case in page
    # Reopened as an escalation, the subject's link is the reopened case.
    quality_sample_review(
        actor=supervisor, sample_id=sample.pk, verdict="disagree", note="Не согласен.", reopen=True
    )
    assert Case.objects.get(pk=decided.case_id).status != Case.Status.DECIDED
    listed = client.get(reverse("sample-queue") + "?show=all").content.decode()
    assert story not in listed
    assert f"{case}>case reopened</a>" in listed
