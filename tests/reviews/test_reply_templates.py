"""Reply templates: the reply an appeal reviewer starts from, per outcome, policy and
language, filled in and never written over what the reviewer typed; and the catalogue's
defaults (indicator kinds, block lengths) set by the hub's administrators."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.roles import Role
from antifraud.errors import InvalidInput, NotAllowed
from antifraud.models import AuditEvent, Subject
from reviews import services
from reviews.models import Appeal, Policy, ReplyTemplate
from reviews.services import catalogue
from reviews.services.appeals import appeal_reply_prefill
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STATEMENT = "Я продаю свою машину, задаток не просил, прошу проверить решение."


@pytest.fixture
def appeal(blocked) -> Appeal:
    return services.appeal_file(
        decision_id=blocked.pk, statement=STATEMENT, consent=True, language="kk"
    )


@pytest.fixture
def hub_admin(db):
    return UserFactory(username="hub.root", partner=None, is_staff=True, is_superuser=True)


def reply_url(appeal: Appeal, outcome: str, reply: str = "") -> str:
    from urllib.parse import urlencode

    return (
        reverse("appeal-reply", args=[appeal.pk])
        + "?"
        + urlencode({"outcome": outcome, "reply": reply})
    )


# --- choosing and filling -------------------------------------------------------------------


def test_the_generic_template_in_the_appellants_language(appeal):
    text = appeal_reply_prefill(appeal, "upheld")
    subject = appeal.decision.subject
    kazakh_title = appeal.decision.policy.localized("title", "kk")
    assert text.startswith("Біз Kolesa.kz сайтындағы")
    assert f"«{subject.title}»" in text and f"«{kazakh_title}»" in text
    assert "{" not in text


def test_a_policys_own_template_comes_before_the_generic_one(appeal):
    ReplyTemplate.objects.create(
        outcome="upheld",
        policy_code="underpriced-vehicle",
        language="kk",
        text="Бағасы нарықтан әлдеқайда төмен: {title}.",
    )
    assert appeal_reply_prefill(appeal, "upheld") == (
        f"Бағасы нарықтан әлдеқайда төмен: {appeal.decision.subject.title}."
    )
    # Another outcome keeps its generic template.
    assert appeal_reply_prefill(appeal, "overturned").startswith("Біз Kolesa.kz")


def test_the_language_falls_back_to_russian_then_english(appeal):
    ReplyTemplate.objects.filter(language="kk").delete()
    assert appeal_reply_prefill(appeal, "upheld").startswith("Мы повторно рассмотрели")
    ReplyTemplate.objects.filter(language="ru").delete()
    assert appeal_reply_prefill(appeal, "upheld").startswith("We have reviewed")
    ReplyTemplate.objects.all().delete()
    assert appeal_reply_prefill(appeal, "upheld") == ""


def test_filling_breaks_on_nothing_and_fills_once(appeal):
    Subject.objects.filter(pk=appeal.decision.subject_id).update(title="{policy} <b>&amp;</b>")
    appeal.refresh_from_db()
    ReplyTemplate.objects.filter(outcome="upheld", language="kk").update(
        text="{title} · {unknown} · {policy} · {0} · {"
    )
    text = appeal_reply_prefill(Appeal.objects.get(pk=appeal.pk), "upheld")
    title = appeal.decision.policy.localized("title", "kk")
    # The title that reads "{policy}" is not filled again; other braces stay as they are.
    assert text == f"{{policy}} <b>&amp;</b> · {{unknown}} · {title} · {{0}} · {{"


# --- the page ---------------------------------------------------------------------------------


def test_choosing_an_outcome_fills_the_reply(client, appeal, senior):
    client.force_login(senior)
    services.appeal_claim(actor=senior, appeal_id=appeal.pk)
    page = client.get(reverse("appeal-review", args=[appeal.pk])).content.decode()
    assert f'hx-get="{reverse("appeal-reply", args=[appeal.pk])}"' in page
    upheld = appeal_reply_prefill(appeal, "upheld")
    overturned = appeal_reply_prefill(appeal, "overturned")

    response = client.get(reply_url(appeal, "uphold"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<textarea name="reply" id="id_reply"')
    assert "Біз Kolesa.kz" in html

    # The page's own text is swapped for the other outcome's...
    html = client.get(reply_url(appeal, "overturn", upheld.replace("\n", "\r\n"))).content.decode()
    assert "сізбен келістік" in html
    # ...but what the reviewer wrote, or changed, is given back as it was.
    mine = upheld + " Мы также проверили фотографии."
    html = client.get(reply_url(appeal, "overturn", mine)).content.decode()
    assert "Мы также проверили фотографии." in html and overturned not in html


def test_the_reply_is_escaped_once(client, appeal, senior):
    Subject.objects.filter(pk=appeal.decision.subject_id).update(title='<img src=x> "A&B"')
    client.force_login(senior)
    html = client.get(reply_url(appeal, "uphold")).content.decode()
    assert "&lt;img src=x&gt; &quot;A&amp;B&quot;" in html
    assert "<img" not in html and "&amp;lt;" not in html
    typed = "<b>моё</b>"
    html = client.get(reply_url(appeal, "uphold", typed)).content.decode()
    assert "&lt;b&gt;моё&lt;/b&gt;" in html


def test_a_bad_outcome_is_a_400(client, appeal, senior):
    client.force_login(senior)
    response = client.get(reply_url(appeal, "maybe"))
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")


def test_only_reviewers_get_the_reply(client, appeal, moderator, kolesa):
    client.force_login(moderator)
    assert client.get(reply_url(appeal, "uphold")).status_code == 403
    supervisor = UserFactory(partner=kolesa, role=Role.SUPERVISOR)
    client.force_login(supervisor)
    assert client.get(reply_url(appeal, "uphold")).status_code == 403


def test_a_reviewer_sends_the_filled_reply(client, appeal, senior):
    client.force_login(senior)
    services.appeal_claim(actor=senior, appeal_id=appeal.pk)
    reply = appeal_reply_prefill(appeal, "upheld") + " Решение остаётся в силе."
    done = client.post(
        reverse("appeal-resolve", args=[appeal.pk]), {"outcome": "uphold", "reply": reply}
    )
    assert done.status_code == 302
    assert Appeal.objects.get(pk=appeal.pk).reply == reply


# --- the catalogue's defaults and the templates, in the admin ------------------------------


def test_policy_defaults_are_set_through_the_admin_and_audited(client, hub_admin):
    policy = Policy.objects.get(code="fake-photos", is_current=True)
    client.force_login(hub_admin)
    url = reverse("admin:reviews_policy_change", args=[policy.pk])
    page = client.get(url)
    assert page.status_code == 200 and "30, 7, 90, 0" in page.content.decode()
    response = client.post(
        url, {"default_indicator_kinds": ["photo", "phone"], "block_durations": "7, 30, 0"}
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.block_durations == [7, 30, 0] and policy.durations[0] == 7
    assert policy.default_indicator_kinds == ["photo", "phone"]
    event = AuditEvent.objects.get(action="policy.defaults_changed")
    assert event.payload["changes"]["block_durations"] == {"old": [30, 7, 90, 0], "new": [7, 30, 0]}


@pytest.mark.parametrize("durations", ["7, seven", "-1", "3651", "30, 30", "1.5"])
def test_bad_durations_are_a_form_error_and_change_nothing(client, hub_admin, durations):
    policy = Policy.objects.get(code="fake-photos", is_current=True)
    client.force_login(hub_admin)
    url = reverse("admin:reviews_policy_change", args=[policy.pk])
    response = client.post(
        url, {"default_indicator_kinds": ["photo"], "block_durations": durations}
    )
    assert response.status_code == 200  # the form again, with its error
    assert response.context["adminform"].form.errors
    policy.refresh_from_db()
    assert policy.block_durations == [30, 7, 90, 0]
    assert not AuditEvent.objects.filter(action="policy.defaults_changed").exists()


def test_the_service_checks_what_the_admin_checks(hub_admin, kolesa):
    policy = Policy.objects.get(code="fake-photos", is_current=True)
    for kinds, durations in ((["photo", "fax"], [7]), (["photo"], [0, 4000]), ([], [True])):
        with pytest.raises(InvalidInput):
            catalogue.policy_defaults_set(
                actor=hub_admin,
                policy_id=policy.pk,
                indicator_kinds=kinds,
                block_durations=durations,
            )
    partner_admin = UserFactory(partner=kolesa, role=Role.ADMIN)
    with pytest.raises(NotAllowed):
        catalogue.policy_defaults_set(
            actor=partner_admin, policy_id=policy.pk, indicator_kinds=[], block_durations=[0]
        )
    # Any positive length up to ten years.
    catalogue.policy_defaults_set(
        actor=hub_admin, policy_id=policy.pk, indicator_kinds=[], block_durations=[14, 3650, 0]
    )
    assert Policy.objects.get(pk=policy.pk).durations == [14, 3650, 0]


def test_reply_templates_are_written_in_the_admin(client, hub_admin):
    client.force_login(hub_admin)
    add = reverse("admin:reviews_replytemplate_add")
    data = {
        "outcome": "upheld",
        "policy_code": "fake-photos",
        "language": "ru",
        "text": "Фотографии из объявления «{title}» найдены у другого продавца.",
    }
    assert client.post(add, data).status_code == 302
    template = ReplyTemplate.objects.get(policy_code="fake-photos")
    assert AuditEvent.objects.filter(action="reply_template.added").count() == 1
    # The same outcome, policy and language twice: refused, nothing added.
    again = client.post(add, data)
    assert again.status_code == 200
    assert ReplyTemplate.objects.filter(policy_code="fake-photos").count() == 1
    # A policy that does not exist is refused by the service.
    with pytest.raises(InvalidInput):
        catalogue.reply_template_save(
            actor=hub_admin,
            template_id=None,
            outcome="upheld",
            policy_code="no-such-policy",
            language="ru",
            text="…",
        )
    change = reverse("admin:reviews_replytemplate_change", args=[template.pk])
    assert client.post(change, {**data, "text": "Новый текст {title}."}).status_code == 302
    assert ReplyTemplate.objects.get(pk=template.pk).text == "Новый текст {title}."
    delete = reverse("admin:reviews_replytemplate_delete", args=[template.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not ReplyTemplate.objects.filter(pk=template.pk).exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"reply_template.changed", "reply_template.deleted"} <= actions
