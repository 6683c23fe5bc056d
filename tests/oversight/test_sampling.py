"""Quality sampling: the draw, new moderators, the supervisors' verdicts, reopening a case as
an escalation, the sample pages and the agreement rates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from antifraud.errors import DomainError, InvalidInput
from antifraud.models import AuditEvent
from reviews import services
from reviews.models import Case, Decision, Policy, QualitySample
from reviews.queues import Queue
from reviews.sampling import agreement_rates, is_new_moderator, sample_draw
from reviews.selectors import queue_cases
from reviews.services import DecisionRequest
from reviews.services.sampling import SampleRefused, quality_sample_review
from tests.factories import UserFactory, listing_case

pytestmark = pytest.mark.django_db

KEY = b"a test's own key"


def decide(moderator, case, *, action="remove_listing", note="") -> Decision:
    services.case_claim(actor=moderator, case_id=case.pk)
    outcome = services.decision_record(
        actor=moderator,
        case_id=case.pk,
        request=DecisionRequest(
            action=action,
            policy_id=Policy.objects.get(code="fake-photos").pk,
            statement_of_reasons="Фотографии из чужого объявления.",
            internal_note=note,
        ),
    )
    return outcome.decisions[0]


def sample_of(decision: Decision) -> QualitySample:
    return QualitySample.objects.get(decision=decision)


@pytest.fixture
def supervisor(kolesa):
    return UserFactory(username="kolesa.supervisor", partner=kolesa, role=Role.SUPERVISOR)


@pytest.fixture
def senior(kolesa):
    return UserFactory(username="kolesa.senior", partner=kolesa, role=Role.SENIOR_MODERATOR)


@pytest.fixture
def seasoned(settings):
    """Nobody counts as a new moderator: decisions are drawn at the rate alone."""
    settings.QUALITY_NEW_MODERATOR_DAYS = 0


# --- the draw ---------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [0.05, 0.2])
def test_the_draw_takes_the_configured_share(rate):
    draws = [sample_draw(decision_id, key=KEY) for decision_id in range(1, 10_001)]
    share = sum(d < rate for d in draws) / len(draws)
    # Three standard deviations of a binomial share over 10,000 draws.
    assert abs(share - rate) < 3 * (rate * (1 - rate) / 10_000) ** 0.5
    assert all(0 <= d < 1 for d in draws)


def test_the_draw_is_the_same_for_a_decision_and_differs_with_the_key():
    assert sample_draw(42, key=KEY) == sample_draw(42, key=KEY)
    drawn = {i for i in range(1, 2001) if sample_draw(i, key=KEY) < 0.05}
    other = {i for i in range(1, 2001) if sample_draw(i, key=b"another key") < 0.05}
    assert drawn != other


def test_a_seasoned_moderators_decisions_are_drawn_by_the_draw(
    kolesa, moderator, seasoned, settings
):
    settings.QUALITY_SAMPLE_RATE = 0.5
    decisions = [decide(moderator, listing_case(kolesa)) for _ in range(12)]
    expected = {d.pk for d in decisions if sample_draw(d.pk) < 0.5}
    drawn = set(QualitySample.objects.values_list("decision_id", flat=True))
    assert drawn == expected
    assert set(QualitySample.objects.values_list("reason", flat=True)) <= {"random"}


def test_no_decision_is_drawn_at_rate_zero(kolesa, moderator, seasoned, settings):
    settings.QUALITY_SAMPLE_RATE = 0.0
    decide(moderator, listing_case(kolesa))
    assert not QualitySample.objects.exists()


def test_every_decision_of_a_new_moderator_is_sampled(kolesa, moderator, settings):
    settings.QUALITY_SAMPLE_RATE = 0.0
    decisions = [decide(moderator, listing_case(kolesa)) for _ in range(3)]
    samples = QualitySample.objects.order_by("decision_id")
    assert [s.decision_id for s in samples] == [d.pk for d in decisions]
    assert {s.reason for s in samples} == {"new_moderator"}
    drawn = AuditEvent.objects.filter(action="quality_sample.drawn")
    assert drawn.count() == 3 and drawn.first().payload["reason"] == "new_moderator"


def test_a_moderator_is_new_for_the_days_after_their_first_decision(kolesa, moderator, settings):
    settings.QUALITY_NEW_MODERATOR_DAYS = 14
    first = decide(moderator, listing_case(kolesa)).decided_at
    assert is_new_moderator(moderator, first + timedelta(days=13, hours=23))
    assert not is_new_moderator(moderator, first + timedelta(days=14))
    # Someone who never decided is new, however long ago they joined.
    old_hand = UserFactory(partner=kolesa, role=Role.MODERATOR)
    old_hand.date_joined = timezone.now() - timedelta(days=400)
    assert is_new_moderator(old_hand, timezone.now())


def test_an_approved_decision_is_sampled_as_the_proposers(kolesa, moderator, senior, settings):
    settings.SECOND_APPROVAL_ACCOUNT_AGE_DAYS = 1
    case = listing_case(kolesa)
    case.subject.account.registered_at = timezone.now() - timedelta(days=30)
    case.subject.account.save(update_fields=["registered_at"])
    services.case_claim(actor=moderator, case_id=case.pk)
    proposal = services.decision_record(
        actor=moderator,
        case_id=case.pk,
        request=DecisionRequest(
            action="block_account",
            policy_id=Policy.objects.get(code="fake-rental").pk,
            statement_of_reasons="Предоплата за бронь несуществующей квартиры.",
        ),
    ).proposal
    assert not QualitySample.objects.exists()  # nothing took effect yet
    [decision] = services.decision_proposal_approve(actor=senior, proposal_id=proposal.pk)
    assert sample_of(decision).reason == "new_moderator"
    assert decision.decided_by == moderator


# --- verdicts ----------------------------------------------------------------------------


def test_agreeing_and_disagreeing(kolesa, moderator, supervisor):
    first, second = (decide(moderator, listing_case(kolesa)) for _ in range(2))
    agreed = quality_sample_review(actor=supervisor, sample_id=sample_of(first).pk, verdict="agree")
    assert agreed.verdict == "agree" and agreed.reviewer == supervisor and agreed.reviewed_at
    with pytest.raises(InvalidInput, match="note"):
        quality_sample_review(actor=supervisor, sample_id=sample_of(second).pk, verdict="disagree")
    with pytest.raises(InvalidInput):
        quality_sample_review(actor=supervisor, sample_id=sample_of(second).pk, verdict="maybe")
    disagreed = quality_sample_review(
        actor=supervisor,
        sample_id=sample_of(second).pk,
        verdict="disagree",
        note="  Фото не совпадают с найденными.  ",
    )
    assert disagreed.note == "Фото не совпадают с найденными."
    assert disagreed.reopened_case is None
    assert Case.objects.get(pk=second.case_id).status == "decided"
    with pytest.raises(SampleRefused, match="already reviewed"):
        quality_sample_review(actor=supervisor, sample_id=sample_of(first).pk, verdict="agree")
    events = AuditEvent.objects.filter(action="quality_sample.reviewed").order_by("pk")
    assert [e.payload["verdict"] for e in events] == ["agree", "disagree"]
    # The moderator goes on working: nothing about them changed.
    decide(moderator, listing_case(kolesa))


def test_a_supervisor_who_took_part_in_a_decision_cannot_review_it(kolesa, client):
    # One person holding both roles: they decide as a moderator, then supervise.
    both = UserFactory(username="kolesa.both", partner=kolesa, role=Role.MODERATOR)
    both.groups.add(Group.objects.get(name=Role.SUPERVISOR))
    decision = decide(both, listing_case(kolesa))
    sample = sample_of(decision)
    with pytest.raises(SampleRefused, match="took part") as refused:
        quality_sample_review(actor=both, sample_id=sample.pk, verdict="agree")
    assert refused.value.code == "four_eyes"

    client.force_login(both)
    page = client.get(reverse("sample", args=[sample.pk]))
    assert page.status_code == 200
    assert page.context["may_review"] is False and page.context["took_part"] is True
    assert b'action="' + reverse("sample-review", args=[sample.pk]).encode() not in page.content
    posted = client.post(reverse("sample-review", args=[sample.pk]), {"verdict": "agree"})
    assert posted.status_code == 409
    sample.refresh_from_db()
    assert not sample.is_reviewed


def test_nor_can_the_senior_moderator_who_approved_it(kolesa, moderator, settings):
    settings.SECOND_APPROVAL_RING_SIZE = 0  # every decision waits for a second moderator
    approver = UserFactory(username="kolesa.approver", partner=kolesa, role=Role.SENIOR_MODERATOR)
    approver.groups.add(Group.objects.get(name=Role.SUPERVISOR))
    case = listing_case(kolesa)
    services.case_claim(actor=moderator, case_id=case.pk)
    proposal = services.decision_record(
        actor=moderator,
        case_id=case.pk,
        request=DecisionRequest(
            action="remove_listing",
            policy_id=Policy.objects.get(code="fake-photos").pk,
            statement_of_reasons="Фотографии из чужого объявления.",
        ),
    ).proposal
    [decision] = services.decision_proposal_approve(actor=approver, proposal_id=proposal.pk)
    with pytest.raises(SampleRefused):
        quality_sample_review(actor=approver, sample_id=sample_of(decision).pk, verdict="agree")


# --- reopening ----------------------------------------------------------------------------


def test_a_disagreement_reopens_the_case_as_an_escalation(kolesa, moderator, supervisor, senior):
    decision = decide(moderator, listing_case(kolesa), note="Похоже на перекупщика.")
    reviewed = quality_sample_review(
        actor=supervisor,
        sample_id=sample_of(decision).pk,
        verdict="disagree",
        note="Фото сделаны продавцом, совпадение случайное.",
        reopen=True,
    )
    case = Case.objects.get(pk=decision.case_id)
    assert reviewed.reopened_case == case
    assert case.status == "escalated" and case.is_escalated
    assert case.escalation_note == "Фото сделаны продавцом, совпадение случайное."
    assert case.decided_at is None and case.deadline > timezone.now()
    assert case in queue_cases(user=senior, queue=Queue.parse("escalated"))
    [event] = AuditEvent.objects.filter(action="case.reopened")
    assert event.actor == supervisor
    assert event.payload["quality_sample"] == reviewed.pk
    # The decision stands until a senior moderator decides the case again.
    assert Decision.objects.filter(case=case).count() == 1
    claimed = services.case_claim(actor=senior, case_id=case.pk)
    assert claimed.status == "claimed"
    warned = decide(senior, case, action="warn")
    assert warned.case_id == case.pk and Case.objects.get(pk=case.pk).status == "decided"


def test_only_a_disagreement_reopens(kolesa, moderator, supervisor):
    decision = decide(moderator, listing_case(kolesa))
    with pytest.raises(InvalidInput):
        quality_sample_review(
            actor=supervisor, sample_id=sample_of(decision).pk, verdict="agree", reopen=True
        )
    assert Case.objects.get(pk=decision.case_id).status == "decided"


def test_a_subject_already_under_review_is_not_reopened_and_nothing_is_recorded(
    kolesa, moderator, supervisor
):
    decision = decide(moderator, listing_case(kolesa))
    # A new signal after the decision opened a new case on the same subject.
    newer = Case.objects.create(
        subject=decision.subject,
        partner=kolesa,
        subject_kind=decision.subject.kind,
        scheme="fake_photos",
        deadline=timezone.now() + timedelta(hours=24),
    )
    with pytest.raises(DomainError, match=f"Case {newer.pk}") as refused:
        quality_sample_review(
            actor=supervisor,
            sample_id=sample_of(decision).pk,
            verdict="disagree",
            note="Не согласен.",
            reopen=True,
        )
    assert refused.value.code == "subject_under_review"
    assert not sample_of(decision).is_reviewed
    assert Case.objects.get(pk=decision.case_id).status == "decided"


# --- the pages ----------------------------------------------------------------------------


@pytest.fixture
def both_partners(kolesa, krisha, moderator):
    """A sample on each partner, made by each partner's new moderator."""
    krisha_moderator = UserFactory(username="krisha.mod", partner=krisha, role=Role.MODERATOR)
    return {
        "kolesa": sample_of(decide(moderator, listing_case(kolesa))),
        "krisha": sample_of(decide(krisha_moderator, listing_case(krisha))),
    }


def test_who_may_use_the_sample_pages(client, kolesa, krisha, both_partners, supervisor, senior):
    sample = both_partners["kolesa"]
    queue, page, review = (
        reverse("sample-queue"),
        reverse("sample", args=[sample.pk]),
        reverse("sample-review", args=[sample.pk]),
    )
    for url in (queue, page):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    for role in (Role.MODERATOR, Role.SENIOR_MODERATOR):
        client.force_login(UserFactory(partner=kolesa, role=role))
        assert client.get(queue).status_code == 403
        assert client.get(page).status_code == 403
        assert client.post(review, {"verdict": "agree"}).status_code == 403
    client.force_login(UserFactory(username="krisha.sup", partner=krisha, role=Role.SUPERVISOR))
    listed = client.get(queue)
    assert [s.pk for s in listed.context["page"]] == [both_partners["krisha"].pk]
    assert client.get(page).status_code == 404
    assert client.post(review, {"verdict": "agree"}).status_code == 404
    sample.refresh_from_db()
    assert not sample.is_reviewed
    client.force_login(UserFactory(username="hub.sup", partner=None, role=Role.SUPERVISOR))
    assert {s.pk for s in client.get(queue).context["page"]} == {
        s.pk for s in both_partners.values()
    }


def test_a_supervisor_reviews_through_the_pages(client, kolesa, both_partners, supervisor):
    sample = both_partners["kolesa"]
    client.force_login(supervisor)
    queue = client.get(reverse("sample-queue"))
    assert queue.status_code == 200
    assert [s.pk for s in queue.context["page"]] == [sample.pk]
    assert reverse("sample", args=[sample.pk]).encode() in queue.content

    page = client.get(reverse("sample", args=[sample.pk]))
    assert page.context["may_review"] is True
    assert reverse("subject-story", args=[sample.decision.subject_id]).encode() in page.content

    missing_note = client.post(
        reverse("sample-review", args=[sample.pk]), {"verdict": "disagree", "reopen": "on"}
    )
    assert missing_note.status_code == 422
    done = client.post(
        reverse("sample-review", args=[sample.pk]),
        {"verdict": "disagree", "note": "<script>alert(1)</script>", "reopen": "on"},
    )
    assert done.status_code == 302 and done["Location"] == reverse("sample-queue")
    sample.refresh_from_db()
    assert sample.verdict == "disagree" and sample.reopened_case_id == sample.decision.case_id
    shown = client.get(reverse("sample", args=[sample.pk])).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown and "<script>alert" not in shown
    # Reviewed ones come after those waiting.
    waiting = client.get(reverse("sample-queue") + "?show=waiting")
    assert list(waiting.context["page"]) == []
    everything = client.get(reverse("sample-queue") + "?show=all")
    assert [s.pk for s in everything.context["page"]] == [sample.pk]


def test_the_queue_lists_unreviewed_samples_first(kolesa, moderator, supervisor, client):
    decisions = [decide(moderator, listing_case(kolesa)) for _ in range(3)]
    quality_sample_review(actor=supervisor, sample_id=sample_of(decisions[0]).pk, verdict="agree")
    client.force_login(supervisor)
    listed = client.get(reverse("sample-queue") + "?show=all").context["page"]
    assert [s.decision_id for s in listed] == [decisions[1].pk, decisions[2].pk, decisions[0].pk]


# --- agreement ----------------------------------------------------------------------------


@pytest.fixture
def reviewed_world(kolesa, krisha, supervisor):
    """Kolesa's moderators A (4 samples: agree, agree, disagree, one waiting) and B (3:
    agree, disagree, disagree); Krisha's C (2: agree, agree)."""
    a = UserFactory(username="a.moderator", partner=kolesa, role=Role.MODERATOR)
    b = UserFactory(username="b.moderator", partner=kolesa, role=Role.MODERATOR)
    c = UserFactory(username="c.moderator", partner=krisha, role=Role.MODERATOR)
    hub_supervisor = UserFactory(username="hub.sup", partner=None, role=Role.SUPERVISOR)
    verdicts = {a: ["agree", "agree", "disagree", None], b: ["agree", "disagree", "disagree"]}
    verdicts[c] = ["agree", "agree"]
    for moderator, given in verdicts.items():
        for verdict in given:
            decision = decide(moderator, listing_case(moderator.partner))
            if verdict is not None:
                quality_sample_review(
                    actor=hub_supervisor if moderator is c else supervisor,
                    sample_id=sample_of(decision).pk,
                    verdict=verdict,
                    note="Не согласен." if verdict == "disagree" else "",
                )
    return {"a": a, "b": b, "c": c, "hub_supervisor": hub_supervisor}


def rows(result):
    return [(r.username, r.sampled, r.reviewed, r.agreed, r.disagreed, r.rate) for r in result]


def test_agreement_rates_on_a_fixed_set(
    reviewed_world, supervisor, kolesa, krisha, django_assert_num_queries
):
    today = timezone.localdate()
    with django_assert_num_queries(1):
        kolesa_rates = agreement_rates(supervisor, today, today)
    assert rows(kolesa_rates) == [
        ("a.moderator", 4, 3, 2, 1, pytest.approx(2 / 3)),
        ("b.moderator", 3, 3, 1, 2, pytest.approx(1 / 3)),
    ]
    hub = reviewed_world["hub_supervisor"]
    assert [r.username for r in agreement_rates(hub, today, today)] == [
        "a.moderator",
        "b.moderator",
        "c.moderator",
    ]
    assert rows(agreement_rates(hub, today, today, partner=krisha)) == [
        ("c.moderator", 2, 2, 2, 0, 1.0)
    ]
    assert rows(agreement_rates(hub, today, today, partner=kolesa.pk)) == rows(kolesa_rates)
    # Krisha's partner is another's: Kolesa's supervisor does not see it.
    assert agreement_rates(supervisor, today, today, partner=krisha) == []
    # Decisions of other days are not counted.
    yesterday = today - timedelta(days=1)
    assert agreement_rates(hub, yesterday, yesterday) == []


def test_agreement_rates_take_the_same_one_query_for_more_samples(
    reviewed_world, supervisor, kolesa, django_assert_num_queries
):
    moderator = reviewed_world["a"]
    for _ in range(5):
        decide(moderator, listing_case(kolesa))
    today = timezone.localdate()
    with django_assert_num_queries(1):
        [a, _b] = agreement_rates(supervisor, today, today)
    assert (a.sampled, a.reviewed, a.rate) == (9, 3, pytest.approx(2 / 3))
    assert agreement_rates(supervisor, today, today)[0].rate is not None
    nobody = UserFactory(partner=kolesa, role=Role.MODERATOR)
    assert nobody.pk not in {r.moderator_id for r in agreement_rates(supervisor, today, today)}
