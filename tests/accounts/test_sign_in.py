"""Sign-in: Django's login with a lockout after repeated failures."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"


def sign_in(client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_sign_in_lands_on_the_queues(client, moderator):
    response = sign_in(client, moderator.username, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_wrong_password_is_a_form_error(client, moderator):
    response = sign_in(client, moderator.username, "wrong")
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_account_even_with_the_right_password(
    client, moderator, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, moderator.username, "wrong")
    response = sign_in(client, moderator.username, PASSWORD)
    assert response.status_code == 429
    assert b"Too many failed sign-ins" in response.content
    assert "_auth_user_id" not in client.session


def test_a_success_clears_earlier_failures(client, moderator, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, moderator.username, "wrong")
    assert sign_in(client, moderator.username, PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, moderator.username, "wrong")
    assert sign_in(client, moderator.username, PASSWORD).status_code == 302


def test_sessions_end_with_the_browser_and_after_a_working_day(settings):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_AGE <= 12 * 3600


def test_sign_out_needs_a_post(client, moderator):
    client.force_login(moderator)
    assert client.get(reverse("logout")).status_code == 405
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_csrf_is_enforced_on_forms(moderator):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(moderator)
    assert strict.post(reverse("claim-next"), {"queue": "all"}).status_code == 403
