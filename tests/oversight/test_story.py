"""A subject's whole story: every record about it and its account, in time order, within
what the reader may see, in a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from antifraud.normalize import normalize
from antifraud.services.indicators import indicator_propose
from reviews import services
from reviews.models import Case, Decision, Policy, Report
from reviews.services import DecisionRequest, IndicatorChoice
from reviews.services.intake import AccountInput, ReportInput, SubjectInput, report_ingest
from reviews.story import subject_story
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PHONE = "+77015550101"
NOTE = "<b>Перекупщик</b>, звонил дважды"


def report(kolesa, report_id: str, external_id: str, *, phone: str = PHONE) -> Report:
    outcome = report_ingest(
        partner=kolesa,
        report=ReportInput(
            report_id=report_id,
            subject=SubjectInput(
                kind="listing",
                external_id=external_id,
                title="Toyota Camry 70, 2019 г.",
                price=5_500_000,
                city="Алматы",
                category="cars",
            ),
            account=AccountInput(external_id="u-77", name="Ерлан Т."),
            identifiers=(normalize("phone", phone),),
            scheme="underpriced_vehicle",
            explanation="Покупатель сообщил: продавец требует задаток.",
            score=60,
        ),
    )
    return Report.objects.get(partner=kolesa, report_id=outcome.result["report_id"])


def block(moderator, case: Case, *, note: str = NOTE) -> Decision:
    services.case_claim(actor=moderator, case_id=case.pk)
    phone = case.subject.identifiers.get(kind="phone")
    return services.decision_record(
        actor=moderator,
        case_id=case.pk,
        request=DecisionRequest(
            action="block_account",
            policy_id=Policy.objects.get(code="underpriced-vehicle").pk,
            statement_of_reasons="Цена вдвое ниже рынка, требование задатка.",
            internal_note=note,
            indicators=(IndicatorChoice(identifier_id=phone.pk, list="black"),),
        ),
    ).decisions[0]


@pytest.fixture
def staff(kolesa, krisha, moderator):
    return {
        "moderator": moderator,
        "supervisor": UserFactory(username="k.sup", partner=kolesa, role=Role.SUPERVISOR),
        "hub": UserFactory(username="hub.sup", partner=None, role=Role.SUPERVISOR),
        "krisha": UserFactory(username="kr.sup", partner=krisha, role=Role.SUPERVISOR),
    }


@pytest.fixture
def history(kolesa, krisha, staff):
    """A listing reported, blocked with its phone black-listed, the block appealed; a gray
    proposal on the same phone from Krisha before all that."""
    proposed = indicator_propose(
        partner=krisha,
        kind="phone",
        value=PHONE,
        display="+7 701 555 0101",
        reason="Жалоба покупателя.",
        now=timezone.now() - timedelta(days=2),
    ).indicator
    first = report(kolesa, "r-1", "163224578")
    decision = block(staff["moderator"], first.case)
    appeal = services.appeal_file(
        decision_id=decision.pk,
        statement="Я честный продавец, это мой номер уже десять лет.",
        consent=True,
    )
    return {"report": first, "decision": decision, "appeal": appeal, "proposed": proposed}


def kinds(story) -> list[str]:
    """The kinds in the order told, each run of one kind once."""
    told: list[str] = []
    for item in story.items:
        if not told or told[-1] != item.kind:
            told.append(item.kind)
    return told


def test_the_story_is_told_in_time_order(history, staff):
    listing = history["report"].subject
    story = subject_story(user=staff["hub"], subject_id=listing.pk)
    times = [item.at for item in story.items]
    assert times == sorted(times)
    assert story.account == listing.account
    assert kinds(story) == [
        "list_entry",  # Krisha's gray proposal, two days ago
        "report",
        "signal",
        "case",
        "signal",  # detection: the phone is on Krisha's gray list
        "decision",
        "list_entry",  # the decision's black entry, superseding the gray one
        "delivery",
        "appeal",
    ]
    by_kind = {item.kind: item for item in story.items}
    assert by_kind["report"].obj == history["report"]
    assert by_kind["decision"].obj == history["decision"]
    assert by_kind["decision"].url == reverse("case", args=[history["decision"].case_id])
    assert by_kind["appeal"].url == reverse("appeal-review", args=[history["appeal"].pk])
    entries = [item for item in story.items if item.kind == "list_entry"]
    assert [e.obj.list for e in entries] == ["gray", "black"]
    assert all(e.url == reverse("list-entry", args=[e.obj.pk]) for e in entries)
    assert entries[1].state == "in_force" and entries[1].state_label


def test_the_accounts_records_are_told_with_the_listings(history, staff, kolesa, krisha):
    listing = history["report"].subject
    story = subject_story(user=staff["hub"], subject_id=listing.pk)
    deliveries = [item for item in story.items if item.kind == "delivery"]
    # The block went to the account, the removal to the listing; each event to every partner
    # in one item.
    assert {(d.obj.event_type, d.about.pk) for d in deliveries} == {
        ("subject.blocked", listing.account_id),
        ("listing.removed", listing.pk),
    }
    assert all({row.partner for row in d.group} == {kolesa, krisha} for d in deliveries)
    # The account's own story has the block decided on its listing, and its listing's records.
    account_story = subject_story(user=staff["hub"], subject_id=listing.account_id)
    assert account_story.listings == [listing]
    assert history["decision"] in [i.obj for i in account_story.items if i.kind == "decision"]
    assert {i.about for i in account_story.items if i.kind == "case"} == {listing}


def test_a_block_decided_on_another_listing_is_told_as_the_accounts(kolesa, staff):
    listing = report(kolesa, "r-1", "163224578").subject
    other = report(kolesa, "r-2", "163224999", phone="+77015550102")
    decision = block(staff["moderator"], other.case)
    assert other.subject.account_id == listing.account_id
    story = subject_story(user=staff["hub"], subject_id=listing.pk)
    [told] = [item for item in story.items if item.kind == "decision"]
    assert told.obj == decision and told.about == listing.account
    # The other listing's own removal is its story, not this one's.
    assert {d.obj.event_type for d in story.items if d.kind == "delivery"} == {"subject.blocked"}


def test_each_reader_sees_what_they_may(history, staff):
    listing = history["report"].subject
    kolesa_story = subject_story(user=staff["supervisor"], subject_id=listing.pk)
    # Kolesa's staff see their own partner's deliveries and the entries in force; Krisha's
    # gray proposal, superseded, is Krisha's and the hub's to see.
    for item in kolesa_story.items:
        if item.kind == "delivery":
            assert {row.partner.slug for row in item.group} == {"kolesa"}
    assert [i.obj.list for i in kolesa_story.items if i.kind == "list_entry"] == ["black"]
    # Moderators do not read appeals or deliveries; they do read decisions, notes included.
    moderator_story = subject_story(user=staff["moderator"], subject_id=listing.pk)
    told = {item.kind for item in moderator_story.items}
    assert "appeal" not in told and "delivery" not in told and "decision" in told
    assert moderator_story.show_deciders is False and kolesa_story.show_deciders is True


def test_the_story_page(client, history, staff):
    listing = history["report"].subject
    url = reverse("subject-story", args=[listing.pk])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    client.force_login(staff["krisha"])
    assert client.get(url).status_code == 404
    client.force_login(UserFactory(partner=listing.partner))  # no role
    assert client.get(url).status_code == 403
    client.force_login(staff["supervisor"])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    # Internal notes are shown, escaped like everything partners and staff write.
    assert "&lt;b&gt;Перекупщик&lt;/b&gt;" in html and "<b>Перекупщик" not in html
    assert reverse("case", args=[history["decision"].case_id]) in html
    assert reverse("appeal-review", args=[history["appeal"].pk]) in html
    assert reverse("subject-story", args=[listing.account_id]) in html
    assert staff["moderator"].username in html  # supervisors see who decided
    client.force_login(staff["moderator"])
    assert client.get(url).status_code == 200


def test_the_case_page_links_to_the_story(client, history, staff):
    decision = history["decision"]
    client.force_login(staff["moderator"])
    page = client.get(reverse("case", args=[decision.case_id]))
    assert reverse("subject-story", args=[decision.subject_id]).encode() in page.content


def test_a_longer_story_takes_no_more_queries(
    client, history, staff, kolesa, django_assert_max_num_queries
):
    listing = history["report"].subject
    url = reverse("subject-story", args=[listing.pk])
    client.force_login(staff["hub"])
    account_url = reverse("subject-story", args=[listing.account_id])
    told_before = len(subject_story(user=staff["hub"], subject_id=listing.pk).items)
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    with django_assert_max_num_queries(20) as few_for_the_account:
        client.get(account_url)
    # More of everything: reports on the same listing, another listing of the account
    # blocked and appealed, more list entries.
    report(kolesa, "r-2", "163224578")
    report(kolesa, "r-3", "163224578")
    other = report(kolesa, "r-4", "163224999", phone="+77015550102")
    reviewer = UserFactory(username="k.senior", partner=kolesa, role=Role.SENIOR_MODERATOR)
    services.appeal_claim(actor=reviewer, appeal_id=history["appeal"].pk)
    services.appeal_resolve(
        actor=reviewer, appeal_id=history["appeal"].pk, overturn=True, reply="Номер ваш."
    )
    services.case_claim(actor=staff["moderator"], case_id=other.case_id)
    services.decision_record(
        actor=staff["moderator"],
        case_id=other.case_id,
        request=DecisionRequest(
            action="remove_listing",
            policy_id=Policy.objects.get(code="underpriced-vehicle").pk,
            statement_of_reasons="Цена вдвое ниже рынка.",
        ),
    )
    bigger = subject_story(user=staff["hub"], subject_id=listing.pk)
    assert len(bigger.items) > told_before + 5
    assert any(i.obj.action == "reverse" for i in bigger.items if i.kind == "decision")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    with django_assert_max_num_queries(len(few_for_the_account.captured_queries)):
        assert client.get(account_url).status_code == 200
