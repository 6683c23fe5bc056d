"""Every page and action: anonymous, wrong role, another partner's object, right role."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.roles import Role
from antifraud.models import Photo
from reviews import services
from reviews.models import Case, Decision, Policy
from reviews.services import DecisionRequest
from tests.factories import IdentifierFactory, SubjectFactory, UserFactory, listing_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(kolesa):
    return listing_case(kolesa, phone="+77015550101")


@pytest.fixture
def foreign_case(krisha):
    return listing_case(krisha)


def urls_for(case: Case) -> list[tuple[str, str]]:
    return [
        ("get", reverse("home")),
        ("post", reverse("claim-next")),
        ("get", reverse("case", args=[case.pk])),
        ("post", reverse("case-claim", args=[case.pk])),
        ("post", reverse("case-release", args=[case.pk])),
        ("post", reverse("case-renew", args=[case.pk])),
        ("post", reverse("case-decide", args=[case.pk])),
        (
            "get",
            reverse("case-statement", args=[case.pk])
            + f"?policy={Policy.objects.first().pk}&language=ru",
        ),
        ("get", reverse("approvals")),
    ]


def test_anonymous_is_sent_to_sign_in_everywhere(client, case):
    for method, url in urls_for(case):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/"), url


def test_signed_in_without_a_role_is_forbidden_everywhere(client, case, kolesa):
    client.force_login(UserFactory(partner=kolesa))
    for method, url in urls_for(case):
        assert getattr(client, method)(url).status_code == 403, url


def test_another_partners_case_is_not_found(client, moderator, foreign_case):
    client.force_login(moderator)
    for method, url in urls_for(foreign_case)[2:8]:
        assert getattr(client, method)(url).status_code == 404, url
    assert Case.objects.get(pk=foreign_case.pk).status == "open"


def test_a_moderator_works_a_case_through_the_pages(client, moderator, case):
    client.force_login(moderator)
    queue = client.get(reverse("home") + "?queue=partner:kolesa:listing")
    assert queue.status_code == 200
    assert case.subject.title.encode() in queue.content

    response = client.post(reverse("claim-next"), {"queue": "partner:kolesa:listing"})
    assert response.status_code == 302
    assert (
        response["Location"]
        == reverse("case", args=[case.pk]) + "?queue=partner%3Akolesa%3Alisting"
    )
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert page.context["held"] is True
    assert b'id="decision-form"' in page.content

    assert client.post(reverse("case-renew", args=[case.pk])).status_code == 204
    statement = client.get(
        reverse("case-statement", args=[case.pk]),
        {"policy": Policy.objects.get(code="fake-photos").pk, "language": "en"},
    )
    assert b"stolen photos" in statement.content

    policy = Policy.objects.get(code="underpriced-vehicle")
    decided = client.post(
        reverse("case-decide", args=[case.pk]),
        {
            "action": "remove_listing",
            "policy": policy.pk,
            "statement_of_reasons": "Цена ниже рынка втрое.",
            "language": "ru",
            "queue": "partner:kolesa:listing",
            "gray_days": "90",
        },
    )
    # Nothing else waits: back to the queue page with a message.
    assert decided.status_code == 302
    decision = Decision.objects.get()
    assert decision.action == "remove_listing" and decision.decided_by == moderator


def test_decide_and_next_with_htmx_swaps_in_the_next_case(client, moderator, case, kolesa):
    following = listing_case(kolesa, priority=1)
    client.force_login(moderator)
    services.case_claim(actor=moderator, case_id=case.pk)
    response = client.post(
        reverse("case-decide", args=[case.pk]),
        {
            "action": "remove_listing",
            "policy": Policy.objects.get(code="fake-photos").pk,
            "statement_of_reasons": "Фото из чужого объявления.",
            "language": "ru",
            "queue": "partner:kolesa:listing",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert (
        response["HX-Push-Url"]
        == reverse("case", args=[following.pk]) + "?queue=partner%3Akolesa%3Alisting"
    )
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="workspace"')
    assert "<html" not in content
    assert f"Case {case.pk} decided" in content
    assert Case.objects.get(pk=following.pk).claimed_by == moderator


def test_a_refused_decision_shows_the_reason_and_changes_nothing(client, moderator, case):
    client.force_login(moderator)
    services.case_claim(actor=moderator, case_id=case.pk)
    identifier = case.subject.identifiers.get()
    response = client.post(
        reverse("case-decide", args=[case.pk]),
        {
            "action": "clear",
            "policy": Policy.objects.get(code="no-violation").pk,
            "statement_of_reasons": "Нарушений нет.",
            "language": "ru",
            f"indicator_{identifier.pk}": "black",
        },
    )
    assert response.status_code == 409
    assert "clearance lists nothing" in response.content.decode()
    assert not Decision.objects.exists()
    assert Case.objects.get(pk=case.pk).status == "claimed"


def test_an_incomplete_form_is_a_form_error(client, moderator, case):
    client.force_login(moderator)
    services.case_claim(actor=moderator, case_id=case.pk)
    response = client.post(
        reverse("case-decide", args=[case.pk]), {"action": "block_account", "language": "ru"}
    )
    assert response.status_code == 422
    assert response.context["form"].errors["policy"]
    assert response.context["form"].errors["statement_of_reasons"]
    response = client.post(
        reverse("case-decide", args=[case.pk]), {"action": "escalate", "language": "ru"}
    )
    assert response.status_code == 422
    assert response.context["form"].errors["internal_note"]
    assert not Decision.objects.exists()


def test_escalating_from_the_page(client, moderator, case):
    client.force_login(moderator)
    services.case_claim(actor=moderator, case_id=case.pk)
    response = client.post(
        reverse("case-decide", args=[case.pk]),
        {
            "action": "escalate",
            "language": "ru",
            "internal_note": "Same photos on Krisha, needs a senior",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "escalated" and case.escalation_note.startswith("Same photos")


def test_attacker_text_is_escaped(client, moderator, kolesa):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    listing = SubjectFactory(
        partner=kolesa,
        title=evil,
        text=evil,
        url="javascript:alert(1)",
        account=SubjectFactory(partner=kolesa, kind="account"),
    )
    IdentifierFactory(subject=listing, kind="email", value="a@b.kz", display=evil)
    made = listing_case(kolesa)
    Case.objects.filter(pk=made.pk).update(subject=listing)
    client.force_login(moderator)
    for url in (reverse("home"), reverse("case", args=[made.pk])):
        content = client.get(url).content.decode()
        assert "<script>alert" not in content, url
        assert "<img src=x" not in content, url
        assert "&lt;script&gt;" in content, url
    assert 'href="javascript:' not in client.get(reverse("case", args=[made.pk])).content.decode()


def test_queue_page_queries_do_not_grow_with_the_page(
    client, hub_moderator, kolesa, django_assert_max_num_queries, settings
):
    for _ in range(5):
        listing_case(kolesa)
    client.force_login(hub_moderator)
    client.get(reverse("home"))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("home"))
    for _ in range(40):
        listing_case(kolesa)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("home") + "?q=Camry&risk_min=10")
    assert len(response.context["page"].object_list) == 45


def test_case_page_queries_do_not_grow_with_the_evidence(
    client, hub_moderator, kolesa, krisha, django_assert_max_num_queries
):
    case = listing_case(kolesa, phone="+77015550101")
    client.force_login(hub_moderator)
    url = reverse("case", args=[case.pk])

    def link_one(partner) -> None:
        linked = SubjectFactory(
            partner=partner, account=SubjectFactory(partner=partner, kind="account")
        )
        IdentifierFactory(subject=linked, kind="phone", value="+77015550101")

    # One linked subject from the start: the page asks for the linked subjects' open cases
    # only when there are some.
    link_one(krisha)
    client.get(url)
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    for partner in (kolesa, krisha):
        for _ in range(10):
            link_one(partner)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["detail"].linked) == 21


def test_queue_filters_narrow_the_list(client, hub_moderator, kolesa, krisha):
    cheap = listing_case(kolesa)
    cheap.subject.price = 1_000_000
    cheap.subject.save()
    listing_case(krisha)
    client.force_login(hub_moderator)
    rows = (
        client.get(reverse("home"), {"partner": "kolesa", "price_max": 2_000_000})
        .context["page"]
        .object_list
    )
    assert [c.pk for c in rows] == [cheap.pk]
    phone_case = listing_case(krisha, phone="+77019998877")
    rows = client.get(reverse("home"), {"q": "8 701 999 88 77"}).context["page"].object_list
    assert [c.pk for c in rows] == [phone_case.pk]
    bad = client.get(reverse("home"), {"risk_min": "lots"})
    assert bad.status_code == 200 and bad.context["filter"].errors


def test_approvals_are_for_seniors(client, moderator, kolesa, case, settings):
    settings.SECOND_APPROVAL_ACCOUNT_AGE_DAYS = 0
    from datetime import timedelta

    from django.utils import timezone

    from antifraud.models import Subject

    Subject.objects.filter(pk=case.subject.account_id).update(
        registered_at=timezone.now() - timedelta(days=3)
    )
    services.case_claim(actor=moderator, case_id=case.pk)
    outcome = services.decision_record(
        actor=moderator,
        case_id=case.pk,
        request=DecisionRequest(
            action="block_account",
            policy_id=Policy.objects.get(code="fake-rental").pk,
            statement_of_reasons="Предоплата за бронь несуществующей квартиры.",
        ),
    )
    proposal = outcome.proposal
    client.force_login(moderator)
    assert client.get(reverse("approvals")).status_code == 403
    assert client.post(reverse("proposal-approve", args=[proposal.pk])).status_code == 403

    other_partner_senior = UserFactory(partner=SubjectFactory().partner, role=Role.SENIOR_MODERATOR)
    client.force_login(other_partner_senior)
    assert client.post(reverse("proposal-approve", args=[proposal.pk])).status_code == 404

    senior = UserFactory(partner=kolesa, role=Role.SENIOR_MODERATOR)
    client.force_login(senior)
    listing = client.get(reverse("approvals"))
    assert [p.pk for p in listing.context["proposals"]] == [proposal.pk]
    assert client.post(reverse("proposal-approve", args=[proposal.pk])).status_code == 302
    decision = Decision.objects.get()
    assert decision.approved_by == senior and decision.decided_by == moderator


def test_photos_are_served_only_to_staff_who_may_see_them(
    client, moderator, kolesa, krisha, settings, tmp_path
):
    import random

    from antifraud.photos import photo_hashes, photo_store
    from reviews.demo.photos import photo_draw

    data = photo_draw(random.Random(1), "cars")
    hashes = photo_hashes(data)
    path = photo_store(data, hashes.sha256)
    own = Photo.objects.create(
        subject=SubjectFactory(partner=kolesa), image=path, sha256=hashes.sha256
    )
    foreign = Photo.objects.create(
        subject=SubjectFactory(partner=krisha), image=path, sha256=hashes.sha256
    )
    url = reverse("photo", args=[own.pk])
    assert client.get(url).status_code == 302
    client.force_login(UserFactory(partner=kolesa))
    assert client.get(url).status_code == 403
    client.force_login(moderator)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == data
    assert client.get(reverse("photo", args=[foreign.pk])).status_code == 404


def test_supervisors_read_cases_but_cannot_claim(client, kolesa, case):
    supervisor = UserFactory(partner=kolesa)
    supervisor.groups.add(Group.objects.get(name="supervisor"))
    client.force_login(supervisor)
    page = client.get(reverse("case", args=[case.pk]))
    assert page.status_code == 200
    assert page.context["may_claim"] is False
    assert client.post(reverse("claim-next"), {"queue": "all"}).status_code == 403
    assert client.post(reverse("case-claim", args=[case.pk])).status_code == 403
    assert Case.objects.get(pk=case.pk).status == "open"


@pytest.mark.parametrize(
    "query",
    [
        {"policy": "abc", "language": "ru"},
        {"policy": "1.5", "language": "ru"},
        {"policy": "\x00", "language": "ru"},
        {"policy": "99999999999999999999999", "language": "ru"},
        {"language": "ru"},
        {"policy": "{policy}", "language": "fr"},
    ],
)
def test_a_bad_statement_query_is_a_400_that_says_why(client, moderator, case, query):
    client.force_login(moderator)
    current = Policy.objects.get(code="fake-photos", is_current=True).pk
    query = {k: v.replace("{policy}", str(current)) for k, v in query.items()}
    response = client.get(reverse("case-statement", args=[case.pk]), query)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert ("policy" in response.content.decode()) or ("language" in response.content.decode())


@pytest.mark.parametrize("written", ["0{id}", "+{id}", "{wide}", "{id}.0", " {id}"])
def test_only_the_canonical_id_names_a_case(client, moderator, case, written):
    client.force_login(moderator)
    wide = "".join(chr(ord("０") + int(d)) for d in str(case.pk))
    path = f"/cases/{written.format(id=case.pk, wide=wide)}/"
    assert client.get(path).status_code == 404
    assert client.get(f"/cases/{case.pk}/").status_code == 200


def test_an_id_beyond_any_row_is_not_found(client, moderator):
    client.force_login(moderator)
    assert client.get("/cases/999999999999999999/").status_code == 404
    assert client.get("/cases/9999999999999999999/").status_code == 404  # past bigint
