"""Policy versions: one of the hub's administrators drafts, another publishes; decisions keep
the version they cited, and the appeal page shows that version's words."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from antifraud.errors import InvalidInput, NotAllowed
from antifraud.models import AuditEvent
from reviews import public_site, services
from reviews.links import appeal_token
from reviews.models import Decision, Policy
from reviews.services import DecisionRefused, DecisionRequest, PolicyRefused
from reviews.services.policies import PolicyFields
from tests.factories import listing_case
from tests.reviews.policy_fixtures import V2, staff

pytestmark = pytest.mark.django_db


def current(code: str) -> Policy:
    return Policy.objects.get(code=code, is_current=True)


def events(policy: Policy, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, target_id=str(policy.pk)).order_by("pk"))


# --- drafting and publishing ---------------------------------------------------------------


def test_one_administrator_drafts_and_another_publishes(
    admin_a, admin_b, django_capture_on_commit_callbacks
):
    v1 = current("fake-photos")
    draft = services.policy_draft_create(actor=admin_a, code="fake-photos", **V2)

    # A copy of the current version with the new words written over it, not yet in effect.
    assert (draft.version, draft.status, draft.is_current) == (2, "draft", False)
    assert draft.published_at is None and draft.drafted_by == admin_a
    assert draft.title_en == V2["title_en"] and draft.text_kk == V2["text_kk"]
    assert draft.statement_ru == v1.statement_ru and draft.statement_kk == v1.statement_kk
    assert draft.allowed_actions == v1.allowed_actions
    assert draft.block_durations == [30, 7, 90, 0]
    assert draft.scheme == "fake_photos"

    with pytest.raises(NotAllowed) as refused:
        services.policy_publish(actor=admin_a, policy_id=draft.pk)
    assert refused.value.code == "own_draft"
    draft.refresh_from_db()
    assert draft.status == "draft" and current("fake-photos") == v1

    before = public_site.generation()
    with django_capture_on_commit_callbacks(execute=True):
        services.policy_publish(actor=admin_b, policy_id=draft.pk)
    draft.refresh_from_db()
    v1.refresh_from_db()
    assert (draft.status, draft.is_current, draft.published_by) == ("published", True, admin_b)
    assert draft.published_at is not None
    assert v1.is_current is False and v1.superseded_at == draft.published_at
    assert current("fake-photos") == draft
    # Cached public pages render afresh.
    assert public_site.generation() == before + 1


def test_a_new_code_is_a_new_policy_at_version_one(admin_a, admin_b):
    fields: PolicyFields = {
        **V2,
        "scheme": "false_investment",
        "allowed_actions": ["block_account", "remove_listing"],
        "block_durations": [90, 0],
        "default_indicator_kinds": ["phone", "url"],
        "statement_en": "We reviewed «{title}» on {partner}.",
        "statement_ru": "Мы проверили «{title}» на {partner}.",
        "statement_kk": "Біз {partner} алаңындағы «{title}» тексердік.",
    }
    draft = services.policy_draft_create(actor=admin_a, code="crypto-giveaway", **fields)
    assert (draft.code, draft.version) == ("crypto-giveaway", 1)
    published = services.policy_publish(actor=admin_b, policy_id=draft.pk)
    assert published.is_current and published.superseded_at is None
    assert Policy.objects.filter(code="crypto-giveaway").count() == 1


def test_decisions_keep_the_version_they_cited(
    client, blocked, admin_a, admin_b, moderator, kolesa
):
    """`blocked` was decided under underpriced-vehicle v1; v2 is published after it."""
    v1 = blocked.policy
    assert v1.version == 1
    v2 = services.policy_draft_create(actor=admin_a, code="underpriced-vehicle", **V2)
    services.policy_publish(actor=admin_b, policy_id=v2.pk)

    blocked.refresh_from_db()
    assert blocked.policy_id == v1.pk
    assert list(Decision.objects.filter(policy=v1)) == [blocked]

    # The decision form offers the new version only, and the old one is refused.
    case = listing_case(kolesa)
    services.case_claim(actor=moderator, case_id=case.pk)
    client.force_login(moderator)
    offered = client.get(reverse("case", args=[case.pk])).context["detail"].policies
    codes = {p.pk: p.code for p in offered}
    assert v2.pk in codes and v1.pk not in codes
    with pytest.raises(DecisionRefused):
        services.decision_record(
            actor=moderator,
            case_id=case.pk,
            request=DecisionRequest(
                action="remove_listing", policy_id=v1.pk, statement_of_reasons="Цена занижена."
            ),
        )
    client.logout()

    # The appeal page shows v1's words, says which version it is and that a later one exists.
    token = appeal_token(decision_id=blocked.pk, decided_at=blocked.decided_at)
    page = client.get(reverse("appeal", args=[token]) + "?lang=en").content.decode()
    assert v1.text_en in page and v1.title_en in page
    assert V2["text_en"] not in page and V2["title_en"] not in page
    assert 'href="/policies/underpriced-vehicle/v1/?lang=en"' in page
    assert "Version 1, in effect since" in page
    assert "replaced by version 2" in page
    # Kazakh: v1's Kazakh text.
    page = client.get(reverse("appeal", args=[token]) + "?lang=kk").content.decode()
    assert v1.text_kk in page and V2["text_kk"] not in page


def test_the_appeal_review_page_names_the_version(client, blocked, admin_a, admin_b, kolesa):
    appeal = services.appeal_file(
        decision_id=blocked.pk, statement="Машина моя, задаток не просил.", consent=True
    )
    v2 = services.policy_draft_create(actor=admin_a, code="underpriced-vehicle", **V2)
    services.policy_publish(actor=admin_b, policy_id=v2.pk)
    client.force_login(staff(partner=kolesa, role=Role.SENIOR_MODERATOR))
    page = client.get(reverse("appeal-review", args=[appeal.pk])).content.decode()
    assert "<code>underpriced-vehicle</code>" in page
    assert "version 1" in page and "version 2" not in page


# --- refusals -----------------------------------------------------------------------------


def test_only_the_hubs_administrators_draft_and_publish(admin_a, kolesa, hub_moderator):
    partner_admin = staff(partner=kolesa, role=Role.ADMIN)
    hub_supervisor = staff(partner=None, role=Role.SUPERVISOR)
    actors: tuple[User | None, ...] = (partner_admin, hub_moderator, hub_supervisor, None)
    for actor in actors:
        with pytest.raises(NotAllowed):
            services.policy_draft_create(actor=actor, code="fake-photos", **V2)
    draft = services.policy_draft_create(actor=admin_a, code="fake-photos", **V2)
    for actor in actors:
        with pytest.raises(NotAllowed):
            services.policy_publish(actor=actor, policy_id=draft.pk)
        with pytest.raises(NotAllowed):
            services.policy_draft_update(actor=actor, policy_id=draft.pk, text_en="Changed.")
        with pytest.raises(NotAllowed):
            services.policy_draft_discard(actor=actor, policy_id=draft.pk)
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.text_en == V2["text_en"]


def test_a_missing_kazakh_text_is_refused(admin_a, admin_b):
    draft = services.policy_draft_create(
        actor=admin_a, code="fake-photos", title_kk="", statement_kk="   "
    )
    with pytest.raises(InvalidInput) as refused:
        services.policy_publish(actor=admin_b, policy_id=draft.pk)
    assert refused.value.code == "text_missing"
    assert "title (Kazakh), statement template (Kazakh)" in refused.value.message
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert current("fake-photos").version == 1

    services.policy_draft_update(
        actor=admin_a, policy_id=draft.pk, title_kk="Жалған суреттер", statement_kk="{title}"
    )
    assert services.policy_publish(actor=admin_b, policy_id=draft.pk).is_current


def test_actions_and_block_lengths_must_make_sense(admin_a, admin_b):
    with pytest.raises(InvalidInput) as refused:
        services.policy_draft_create(actor=admin_a, code="fake-photos", allowed_actions=["ban"])
    assert refused.value.code == "invalid_policy" and "ban" in refused.value.message
    with pytest.raises(InvalidInput) as refused:
        services.policy_draft_create(actor=admin_a, code="fake-photos", block_durations=[7, 7])
    assert refused.value.code == "invalid_policy"
    with pytest.raises(InvalidInput) as refused:
        services.policy_draft_create(
            actor=admin_a, code="fake-photos", default_indicator_kinds=["passport"]
        )
    assert refused.value.code == "invalid_policy"
    with pytest.raises(InvalidInput) as refused:
        services.policy_draft_create(actor=admin_a, code="Fake Photos!")
    assert refused.value.code == "invalid_code"
    assert not Policy.objects.filter(status="draft").exists()

    # A draft may have no action yet; it is not published without one.
    draft = services.policy_draft_create(actor=admin_a, code="fake-photos", allowed_actions=[])
    with pytest.raises(InvalidInput) as refused:
        services.policy_publish(actor=admin_b, policy_id=draft.pk)
    assert refused.value.code == "invalid_actions"


def test_published_versions_never_change_their_texts(admin_a, admin_b):
    v1 = current("fake-photos")
    with pytest.raises(PolicyRefused) as refused:
        services.policy_draft_update(actor=admin_a, policy_id=v1.pk, text_en="Rewritten.")
    assert refused.value.code == "not_a_draft"
    with pytest.raises(PolicyRefused) as refused:
        services.policy_publish(actor=admin_b, policy_id=v1.pk)
    assert refused.value.code == "not_a_draft"
    with pytest.raises(PolicyRefused):
        services.policy_draft_discard(actor=admin_a, policy_id=v1.pk)
    assert Policy.objects.get(pk=v1.pk).text_en == v1.text_en


def test_one_draft_per_code_written_by_its_drafter_alone(admin_a, admin_b):
    draft = services.policy_draft_create(actor=admin_a, code="fake-photos", **V2)
    with pytest.raises(PolicyRefused) as exists:
        services.policy_draft_create(actor=admin_b, code="fake-photos")
    assert exists.value.code == "draft_exists"
    with pytest.raises(NotAllowed) as not_theirs:
        services.policy_draft_update(actor=admin_b, policy_id=draft.pk, text_en="Mine now.")
    assert not_theirs.value.code == "not_drafter"
    # The version number and the rest are the service's.
    not_a_text: dict[str, Any] = {"version": 9}
    with pytest.raises(InvalidInput) as unknown:
        services.policy_draft_update(actor=admin_a, policy_id=draft.pk, **not_a_text)
    assert unknown.value.code == "invalid_policy"
    draft.refresh_from_db()
    assert draft.text_en == V2["text_en"] and draft.version == 2


def test_a_draft_is_discarded_and_the_next_starts_from_any_published_version(admin_a, admin_b):
    v1 = current("fake-photos")
    draft = services.policy_draft_create(actor=admin_a, code="fake-photos", **V2)
    services.policy_draft_discard(actor=admin_b, policy_id=draft.pk)
    assert not Policy.objects.filter(pk=draft.pk).exists()
    assert current("fake-photos") == v1

    v2 = services.policy_draft_create(actor=admin_a, code="fake-photos", **V2)
    assert v2.version == 2
    services.policy_publish(actor=admin_b, policy_id=v2.pk)
    # Back to version 1's words, as version 3.
    v3 = services.policy_draft_create(actor=admin_b, code="fake-photos", based_on_id=v1.pk)
    assert v3.version == 3 and v3.text_en == v1.text_en and v3.title_kk == v1.title_kk
    services.policy_draft_discard(actor=admin_a, policy_id=v3.pk)
    with pytest.raises(InvalidInput) as refused:
        services.policy_draft_create(
            actor=admin_a, code="fake-photos", based_on_id=current("fake-rental").pk
        )
    assert refused.value.code == "invalid_base"


def test_every_step_is_audited_with_old_and_new_values(admin_a, admin_b):
    v1 = current("fake-photos")
    draft = services.policy_draft_create(actor=admin_a, code="fake-photos", **V2)
    [drafted] = events(draft, "policy.drafted")
    assert drafted.actor == admin_a
    assert drafted.payload["based_on"] == 1 and drafted.payload["version"] == 2
    assert drafted.payload["changes"]["text_en"] == {"old": v1.text_en, "new": V2["text_en"]}
    assert "statement_en" not in drafted.payload["changes"]  # copied unchanged

    services.policy_draft_update(actor=admin_a, policy_id=draft.pk, text_en="Third wording.")
    # Changing nothing writes nothing.
    services.policy_draft_update(actor=admin_a, policy_id=draft.pk, text_en="Third wording.")
    [changed] = events(draft, "policy.draft_changed")
    assert changed.payload["changes"] == {
        "text_en": {"old": V2["text_en"], "new": "Third wording."}
    }

    services.policy_publish(actor=admin_b, policy_id=draft.pk)
    [published] = events(draft, "policy.published")
    assert published.actor == admin_b and published.payload["replaces"] == 1
    assert published.payload["changes"]["text_en"] == {"old": v1.text_en, "new": "Third wording."}

    third = services.policy_draft_create(actor=admin_b, code="fake-photos")
    services.policy_draft_discard(actor=admin_a, policy_id=third.pk)
    [discarded] = events(third, "policy.draft_discarded")
    assert discarded.actor == admin_a
    assert discarded.payload["version"] == 3 and discarded.payload["drafted_by"] == admin_b.pk
    assert discarded.payload["values"]["text_en"] == "Third wording."


# --- two publishes at once (PostgreSQL) ------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_administrators_publishing_one_draft_at_once():
    drafter = staff("hub.admin.d", partner=None, role=Role.ADMIN)
    publishers = [staff(f"hub.admin.p{n}", partner=None, role=Role.ADMIN) for n in (1, 2)]
    for trial in range(10):
        draft = services.policy_draft_create(
            actor=drafter, code="fake-photos", text_en=f"Wording {trial}."
        )
        start = threading.Barrier(2)
        outcomes: dict[str, object] = {}

        def publish(actor, start=start, outcomes=outcomes, draft=draft) -> None:
            try:
                start.wait(timeout=10)
                services.policy_publish(actor=actor, policy_id=draft.pk)
                outcomes[actor.username] = "published"
            except BaseException as error:  # a refusal, or a deadlock that fails the test
                outcomes[actor.username] = error
            finally:
                connection.close()

        threads = [threading.Thread(target=publish, args=(p,)) for p in publishers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        published = [o for o in outcomes.values() if o == "published"]
        refused = [o for o in outcomes.values() if isinstance(o, PolicyRefused)]
        assert len(published) == 1 and len(refused) == 1, (trial, outcomes)
        assert refused[0].code == "not_a_draft"
        assert Policy.objects.filter(code="fake-photos", is_current=True).get().pk == draft.pk
        assert len(events(draft, "policy.published")) == 1
