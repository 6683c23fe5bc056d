"""The open policy pages (/policies/, a policy's history, one version) in English, Russian and
Kazakh, cached and one query each; and the administrators' flow in the Django admin: one
drafts a version, another publishes it."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from accounts.roles import Role
from antifraud.models import AuditEvent
from reviews import services
from reviews.models import Policy
from reviews.templatetags.reviews_tags import long_date
from tests.reviews.policy_fixtures import V2, staff

pytestmark = pytest.mark.django_db

LANGUAGES = ("en", "ru", "kk")
# 20:30 UTC is the next morning in Almaty: the pages date by Almaty's calendar.
MARCH = datetime(2026, 3, 2, 20, 30, tzinfo=UTC)
MARCH_IN = {"en": "March 3, 2026", "ru": "3 марта 2026 г.", "kk": "3 Наурыз 2026 ж."}


def publish(drafter, publisher, code: str, *, at: datetime | None = None, **fields) -> Policy:
    draft = services.policy_draft_create(actor=drafter, code=code, **fields)
    if at is None:
        return services.policy_publish(actor=publisher, policy_id=draft.pk)
    with mock.patch("django.utils.timezone.now", return_value=at):
        return services.policy_publish(actor=publisher, policy_id=draft.pk)


def text_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- /policies/ ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_in_each_language(client, language):
    response = client.get(reverse("public-policies") + f"?lang={language}")
    page = text_of(response)
    assert response["Content-Language"] == language
    assert f'<html lang="{language}">' in page
    policies = list(Policy.objects.filter(is_current=True))
    assert len(policies) == 12
    for policy in policies:
        assert escape(policy.localized("title", language)) in page
        assert escape(policy.localized("text", language)) in page
        assert f'href="/policies/{policy.code}/"' in page
    # Grouped under the schemes' names, in the language asked for.
    with translation.override(language):
        from antifraud.models import Scheme

        assert f"<h2>{escape(str(Scheme.FAKE_PHOTOS.label))}</h2>" in page


def test_the_catalogue_says_what_each_policy_leads_to_and_how_to_appeal(client, settings):
    settings.APPEAL_DEADLINE_HOURS = 48
    settings.APPEAL_LINK_MAX_AGE_DAYS = 90
    page = text_of(client.get(reverse("public-policies") + "?lang=en"))
    fake_photos = page[page.index('id="fake-photos"') :]
    fake_photos = fake_photos[: fake_photos.index("</article>")]
    assert "The account is blocked for 7, 30 or 90 days, or permanently." in fake_photos
    assert "The listing is removed." in fake_photos
    assert "The account receives a warning." in fake_photos
    repeat = page[page.index('id="repeat-offender"') :]
    assert "The account is blocked permanently." in repeat[: repeat.index("</article>")]
    store = page[page.index('id="fictitious-store"') :]
    assert "blocked for 90 days, or permanently." in store[: store.index("</article>")]
    cleared = page[page.index('id="no-violation"') :]
    cleared = cleared[: cleared.index("</article>")]
    assert "no action is taken" in cleared and "blocked" not in cleared

    appeal = page[page.index('id="appeal"') :]
    assert "within 90 days of it" in appeal
    assert "who did not take the decision reviews your appeal within 48 hours" in appeal
    assert "unblocked and the listing restored on every partner platform" in appeal


def test_drafts_are_never_shown(client, admin_a):
    draft = services.policy_draft_create(actor=admin_a, code="fake-photos", **V2)
    services.policy_draft_create(
        actor=admin_a, code="crypto-giveaway", title_en="Crypto giveaway", text_en="Draft."
    )
    for path in (
        reverse("public-policies"),
        reverse("public-policy", args=["fake-photos"]),
        reverse("public-policy-version", args=["fake-photos", 1]),
    ):
        page = text_of(client.get(path + "?lang=en"))
        assert V2["title_en"] not in page and "Crypto giveaway" not in page
        assert "/policies/fake-photos/v2/" not in page
    for path in (
        reverse("public-policy-version", args=["fake-photos", draft.version]),
        reverse("public-policy", args=["crypto-giveaway"]),
        reverse("public-policy-version", args=["crypto-giveaway", 1]),
    ):
        assert client.get(path).status_code == 404


# --- a policy's history and its versions -------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_version_history_with_its_dates(client, admin_a, admin_b, language):
    v1 = Policy.objects.get(code="fake-photos", is_current=True)
    v2 = publish(admin_a, admin_b, "fake-photos", at=MARCH, **V2)
    response = client.get(reverse("public-policy", args=["fake-photos"]) + f"?lang={language}")
    page = text_of(response)
    assert response["Content-Language"] == language
    # The current version in full.
    assert escape(v2.localized("title", language)) in page
    assert escape(v2.localized("text", language)) in page
    assert escape(v1.localized("text", language)) not in page
    # The history: newest first, each with its dates and a link to its text.
    table = page[page.index('class="table policy-versions"') :]
    rows = table.split("<tr>")[2:]
    assert len(rows) == 2
    assert 'href="/policies/fake-photos/v2/"' in rows[0] and MARCH_IN[language] in rows[0]
    assert 'href="/policies/fake-photos/v1/"' in rows[1]
    with translation.override(language):
        v1_from = long_date(v1.published_at)
    assert v1_from in rows[1]
    # Version 1 was replaced the day version 2 took effect.
    assert rows[1].count(MARCH_IN[language]) == 1


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_replaced_version_in_the_visitors_language(client, admin_a, admin_b, language):
    v1 = Policy.objects.get(code="fake-photos", is_current=True)
    v2 = publish(admin_a, admin_b, "fake-photos", at=MARCH, **V2)
    url = reverse("public-policy-version", args=["fake-photos", 1])
    page = text_of(client.get(url + f"?lang={language}"))
    assert escape(v1.localized("title", language)) in page
    assert escape(v1.localized("text", language)) in page
    assert escape(v2.localized("text", language)) not in page
    assert MARCH_IN[language] in page  # in effect until version 2 replaced it
    assert 'href="/policies/fake-photos/v2/"' in page


def test_the_current_version_says_so_and_links_nothing_later(client, admin_a, admin_b):
    publish(admin_a, admin_b, "fake-photos", at=MARCH, **V2)
    url = reverse("public-policy-version", args=["fake-photos", 2])
    page = text_of(client.get(url + "?lang=en"))
    assert "2 · the current version" in page
    assert "<dt>In effect from</dt><dd>March 3, 2026</dd>" in page
    assert "Replaced on" not in page and "replaced this one" not in page
    url = reverse("public-policy-version", args=["fake-photos", 1])
    old = text_of(client.get(url + "?lang=en"))
    assert "the current version" not in old.split("policy-replaced")[0]
    assert "<dt>Replaced on</dt><dd>March 3, 2026</dd>" in old
    assert "On March 3, 2026 version 2 replaced this one." in old


@pytest.mark.parametrize(
    "path",
    [
        "/policies/no-such-policy/",
        "/policies/no-such-policy/v1/",
        "/policies/fake-photos/v2/",
        "/policies/fake-photos/v0/",
        "/policies/fake-photos/v01/",
        "/policies/fake-photos/version1/",
    ],
)
def test_what_does_not_exist_is_the_sites_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]


def test_only_get(client):
    for path in ("/policies/", "/policies/fake-photos/", "/policies/fake-photos/v1/"):
        assert client.post(path).status_code == 405


# --- cost --------------------------------------------------------------------------------------


def test_each_page_is_one_query_whatever_the_catalogue(
    client, admin_a, admin_b, django_assert_max_num_queries
):
    paths = (
        reverse("public-policies"),
        reverse("public-policy", args=["fake-photos"]),
        reverse("public-policy-version", args=["fake-photos", 1]),
    )
    few = {}
    for path in paths:
        cache.clear()
        with django_assert_max_num_queries(1) as captured:
            text_of(client.get(path + "?lang=ru"))
        few[path] = len(captured.captured_queries)
    for n in range(6):
        publish(admin_a, admin_b, "fake-photos", text_en=f"Wording {n}.")
        publish(
            admin_a,
            admin_b,
            f"new-scheme-{n}",
            allowed_actions=["remove_listing"],
            **V2,
            statement_en="s",
            statement_ru="s",
            statement_kk="s",
        )
    for path in paths:
        cache.clear()
        with django_assert_max_num_queries(few[path]):
            page = text_of(client.get(path + "?lang=ru"))
    assert page.count("/policies/fake-photos/v") >= 2
    history = text_of(client.get(reverse("public-policy", args=["fake-photos"]) + "?lang=en"))
    assert history.count('href="/policies/fake-photos/v') == 7


def test_a_second_request_is_served_from_the_cache(client, django_assert_num_queries):
    for path in ("/policies/", "/policies/fake-photos/", "/policies/fake-photos/v1/"):
        first = client.get(path + "?lang=kk")
        with django_assert_num_queries(0):
            second = client.get(path + "?lang=kk")
        assert second.status_code == 200 and second.content == first.content
        assert second["Content-Language"] == "kk"
        assert "public" in second["Cache-Control"]


def test_publishing_refreshes_the_cached_pages(
    client, admin_a, admin_b, django_capture_on_commit_callbacks
):
    before = text_of(client.get("/policies/?lang=en"))
    assert V2["title_en"] not in before
    draft = services.policy_draft_create(actor=admin_a, code="fake-photos", **V2)
    assert text_of(client.get("/policies/?lang=en")) == before  # a draft changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        services.policy_publish(actor=admin_b, policy_id=draft.pk)
    after = text_of(client.get("/policies/?lang=en"))
    assert escape(V2["title_en"]) in after


# --- the admin: draft, edit, publish, discard ------------------------------------------------


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def admin_form_data(form) -> dict[str, object]:
    """What the admin's form would post back as it stands."""
    data: dict[str, object] = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        data[name] = value
    return data


def test_two_administrators_draft_and_publish_in_the_admin(client, admin_a, admin_b):
    v1 = Policy.objects.get(code="fake-photos", is_current=True)
    change_v1 = reverse("admin:reviews_policy_change", args=[v1.pk])
    add = reverse("admin:reviews_policy_add")

    # A: the published version offers a new draft, which starts as its copy.
    client.force_login(admin_a)
    page = text_of(client.get(change_v1))
    assert f'href="{add}?based_on={v1.pk}"' in page
    response = client.get(f"{add}?based_on={v1.pk}")
    form = response.context["adminform"].form
    data = admin_form_data(form)
    assert data["code"] == "fake-photos" and data["text_kk"] == v1.text_kk
    assert data["block_durations"] == "30, 7, 90, 0"
    data.update(V2, _save="Save")
    response = client.post(add, data, follow=True)
    assert response.redirect_chain, response.context["adminform"].form.errors
    assert "was added successfully" in messages_of(response)[0]
    draft = Policy.objects.get(code="fake-photos", status="draft")
    assert draft.version == 2 and draft.drafted_by == admin_a
    assert draft.text_ru == V2["text_ru"] and draft.statement_kk == v1.statement_kk
    assert draft.allowed_actions == v1.allowed_actions
    assert AuditEvent.objects.filter(action="policy.drafted", target_id=str(draft.pk)).exists()

    # A second draft of the same code is a form error, and nothing is written.
    response = client.post(add, {**data, "text_en": "Another."})
    assert response.status_code == 200
    assert "code" in response.context["adminform"].form.errors
    assert Policy.objects.filter(code="fake-photos").count() == 2

    # A edits the draft.
    change_draft = reverse("admin:reviews_policy_change", args=[draft.pk])
    data = admin_form_data(client.get(change_draft).context["adminform"].form)
    data.update(text_en="Version two, edited.", _save="Save")
    response = client.post(change_draft, data, follow=True)
    assert "was changed successfully" in messages_of(response)[0]
    draft.refresh_from_db()
    assert draft.text_en == "Version two, edited."
    assert AuditEvent.objects.filter(
        action="policy.draft_changed", target_id=str(draft.pk)
    ).exists()

    # A may not publish it: the action says why and nothing changes.
    changelist = reverse("admin:reviews_policy_changelist")
    response = client.post(
        changelist, {"action": "publish_drafts", "_selected_action": [draft.pk]}, follow=True
    )
    assert messages_of(response) == [
        "fake-photos v2 was not published: You drafted this version: another administrator "
        "publishes it."
    ]
    draft.refresh_from_db()
    assert draft.status == "draft"

    # B reads the draft but cannot change it, and publishes it.
    client.force_login(admin_b)
    response = client.get(change_draft)
    assert response.status_code == 200 and response.context["has_change_permission"] is False
    assert client.post(change_draft, {**data, "text_en": "B's words."}).status_code == 403
    page = text_of(client.get(changelist))
    assert "hub.admin.a" in page and "Publish the selected drafts" in page
    response = client.post(
        changelist, {"action": "publish_drafts", "_selected_action": [draft.pk]}, follow=True
    )
    assert messages_of(response) == ["Published 1 version: fake-photos v2."]
    draft.refresh_from_db()
    v1.refresh_from_db()
    assert draft.is_current and draft.published_by == admin_b and draft.text_en.endswith("edited.")
    assert not v1.is_current and v1.superseded_at == draft.published_at
    # The changelist names who drafted and who published.
    row = text_of(client.get(changelist + "?status__exact=published&code=fake-photos"))
    assert "hub.admin.b" in row

    # Published versions keep their texts: their page has no text field to post.
    page = text_of(client.get(reverse("admin:reviews_policy_change", args=[draft.pk])))
    assert 'name="text_en"' not in page and 'name="block_durations"' in page


def test_a_draft_is_discarded_through_its_delete_page(client, admin_a, admin_b):
    v1 = Policy.objects.get(code="fake-photos", is_current=True)
    draft = services.policy_draft_create(actor=admin_a, code="fake-photos", **V2)
    client.force_login(admin_b)
    assert client.get(reverse("admin:reviews_policy_delete", args=[v1.pk])).status_code == 403
    delete = reverse("admin:reviews_policy_delete", args=[draft.pk])
    assert client.get(delete).status_code == 200
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not Policy.objects.filter(pk=draft.pk).exists()
    event = AuditEvent.objects.get(action="policy.draft_discarded", target_id=str(draft.pk))
    assert event.actor == admin_b
    # No bulk delete: it would report success whatever the service said.
    changelist = text_of(client.get(reverse("admin:reviews_policy_changelist")))
    assert 'value="delete_selected"' not in changelist


def test_a_new_policy_is_added_in_the_admin(client, admin_a, admin_b):
    client.force_login(admin_a)
    add = reverse("admin:reviews_policy_add")
    data = {
        "code": "crypto-giveaway",
        "scheme": "false_investment",
        "allowed_actions": ["block_account", "remove_listing"],
        **V2,
        "statement_en": "We reviewed «{title}» on {partner}.",
        "statement_ru": "Мы проверили «{title}» на {partner}.",
        "default_indicator_kinds": ["phone"],
        "block_durations": "90, 0",
        "_save": "Save",
    }
    # A code that is not lower-case letters, digits and hyphens is a form error.
    refused = client.post(add, {**data, "code": "Crypto_Giveaway"})
    assert refused.status_code == 200 and "code" in refused.context["adminform"].form.errors
    assert not Policy.objects.filter(code__iexact="crypto_giveaway").exists()
    assert client.post(add, data, follow=True).redirect_chain
    draft = Policy.objects.get(code="crypto-giveaway")
    assert (draft.version, draft.status, draft.block_durations) == (1, "draft", [90, 0])
    assert draft.statement_kk == ""
    # Without its Kazakh statement template it is not published.
    client.force_login(admin_b)
    response = client.post(
        reverse("admin:reviews_policy_changelist"),
        {"action": "publish_drafts", "_selected_action": [draft.pk]},
        follow=True,
    )
    [message] = messages_of(response)
    assert message.startswith("crypto-giveaway v1 was not published:")
    assert "statement template (Kazakh)" in message
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_a_partners_administrator_has_no_policy_admin(client, kolesa):
    partner_admin = staff(partner=kolesa, role=Role.ADMIN, is_staff=True)
    client.force_login(partner_admin)
    assert client.get(reverse("admin:reviews_policy_add")).status_code == 403
