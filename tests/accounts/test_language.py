"""Staff read the pages in the language saved on their account, and change it with the
switcher in the top bar."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.roles import Role
from antifraud.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# "Queues" in the top bar, in each language.
QUEUES = {"en": "Queues", "ru": "Очереди", "kk": "Кезектер"}


@pytest.mark.parametrize("language", ["en", "ru", "kk"])
def test_staff_pages_speak_the_language_saved_on_the_account(client, moderator, language):
    moderator.language = language
    moderator.save(update_fields=["language"])
    client.force_login(moderator)
    # The browser asks for another language: the account's choice wins.
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="de, en;q=0.5")
    content = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{language}">' in content
    assert response["Content-Language"] == language
    assert getattr(response.wsgi_request, "LANGUAGE_CODE", None) == language
    assert f">{QUEUES[language]}<" in content
    for other, word in QUEUES.items():
        if other != language:
            assert f">{word}<" not in content


def test_the_switcher_offers_the_three_languages_each_named_in_itself(client, moderator):
    client.force_login(moderator)
    content = client.get(reverse("home") + "?queue=all").content.decode()
    assert f'action="{reverse("language-set")}"' in content
    assert '<option value="en" lang="en" selected>English</option>' in content
    assert '<option value="ru" lang="ru">Русский</option>' in content
    assert '<option value="kk" lang="kk">Қазақша</option>' in content
    # It brings the user back to the page they were on.
    assert 'name="next" value="/?queue=all"' in content


def test_switching_saves_the_language_audits_it_and_goes_back(client, moderator):
    client.force_login(moderator)
    response = client.post(reverse("language-set"), {"language": "kk", "next": "/?queue=all"})
    assert response.status_code == 302 and response["Location"] == "/?queue=all"
    moderator.refresh_from_db()
    assert moderator.language == "kk"
    event = AuditEvent.objects.get(action="user.language_changed")
    assert event.actor_id == moderator.pk and event.payload == {"old": "en", "new": "kk"}
    # The next page, and every one after, is in Kazakh.
    page = client.get("/?queue=all")
    assert page["Content-Language"] == "kk" and ">Кезектер<" in page.content.decode()


def test_choosing_the_language_already_set_writes_nothing(client, moderator):
    client.force_login(moderator)
    client.post(reverse("language-set"), {"language": "en", "next": "/"})
    assert not AuditEvent.objects.filter(action="user.language_changed").exists()


@pytest.mark.parametrize("language", ["de", "", "EN", "ru-RU", "<script>"])
def test_a_language_not_offered_is_refused_with_a_message_and_changes_nothing(
    client, moderator, language
):
    client.force_login(moderator)
    response = client.post(reverse("language-set"), {"language": language, "next": "/lists/"})
    assert response.status_code == 302 and response["Location"] == "/lists/"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Choose one of the offered languages."
    ]
    moderator.refresh_from_db()
    assert moderator.language == "en"
    assert not AuditEvent.objects.filter(action="user.language_changed").exists()


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "javascript:alert(1)", "", "http://testserver:1/"],
)
def test_it_never_redirects_off_the_site(client, moderator, target):
    client.force_login(moderator)
    response = client.post(reverse("language-set"), {"language": "ru", "next": target})
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_it_needs_a_signed_in_user_and_a_post(client, moderator):
    response = client.post(reverse("language-set"), {"language": "kk"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    client.force_login(moderator)
    assert client.get(reverse("language-set")).status_code == 405
    moderator.refresh_from_db()
    assert moderator.language == "en"


def test_the_admin_follows_the_account_language(client):
    admin = UserFactory(
        username="hub.boss", partner=None, is_staff=True, is_superuser=True, language="ru"
    )
    client.force_login(admin)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert response["Content-Language"] == "ru"
    assert '<html lang="ru"' in response.content.decode()


def test_people_signed_out_get_their_browser_language_or_their_cookie(client, settings):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="kk-KZ,kk;q=0.9,ru;q=0.8")
    assert page["Content-Language"] == "kk"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="kk")
    assert page["Content-Language"] == "ru"


def test_a_senior_sees_the_switcher_on_every_staff_page(client, kolesa):
    senior = UserFactory(username="kolesa.senior", partner=kolesa, role=Role.SENIOR_MODERATOR)
    client.force_login(senior)
    for name in ("home", "approvals", "appeals", "lists"):
        assert 'id="topbar-language"' in client.get(reverse(name)).content.decode(), name
