"""The public appeal page's language: `?lang=`, then the visitor's cookie, then the
browser's Accept-Language, then the appeal's or the decision's language, then Russian."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reviews import services
from reviews.links import appeal_token
from reviews.models import Appeal, Decision
from reviews.public_site import visitor_language

pytestmark = pytest.mark.django_db

# The submit button's words in each language: the page's own text, not the decision's.
SEND = {"en": "Send the appeal", "ru": "Отправить жалобу", "kk": "Шағымды жіберу"}
# Once an appeal is filed, the page offers to withdraw it instead.
WITHDRAW = {"en": "Withdraw my appeal", "ru": "Отозвать жалобу", "kk": "Шағымды кері қайтарып алу"}
COOKIE = "antifraud_language"


def link(decision) -> str:
    return reverse(
        "appeal", args=[appeal_token(decision_id=decision.pk, decided_at=decision.decided_at)]
    )


def language_of(response, *, filed: bool = False) -> str:
    assert response.status_code == 200
    language = response["Content-Language"]
    content = response.content.decode()
    assert (WITHDRAW if filed else SEND)[language] in content
    assert f'lang="{language}"' in content
    return language


def test_lang_in_the_address_wins_and_is_remembered_for_a_year(client, blocked, settings):
    response = client.get(link(blocked) + "?lang=en", HTTP_ACCEPT_LANGUAGE="kk")
    assert language_of(response) == "en"
    cookie = response.cookies[COOKIE]
    assert cookie.value == "en"
    assert cookie["max-age"] == 365 * 24 * 3600
    assert cookie["samesite"] == "Lax"
    assert cookie["httponly"] is True
    assert not cookie["secure"]  # development; production sets it (below)
    assert "Accept-Language" in response["Vary"] and "Cookie" in response["Vary"]


def test_the_cookie_comes_before_the_browser(client, blocked):
    client.get(link(blocked) + "?lang=ru")
    response = client.get(link(blocked), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert language_of(response) == "ru"
    # Without ?lang= nothing is set again.
    assert COOKIE not in response.cookies


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en-US,en;q=0.9", "en"),
        ("kk-KZ,kk;q=0.9,ru;q=0.8", "kk"),
        ("kk", "kk"),
        ("ru-RU,ru;q=0.9,en;q=0.8", "ru"),
        ("de-DE,de;q=0.9,en;q=0.5", "en"),
        ("fr, kk;q=0.3, en;q=0.2", "kk"),
    ],
)
def test_then_the_browser_language(client, blocked, header, expected):
    # The decision speaks Russian: an English or Kazakh browser still gets its own.
    assert blocked.language == "ru"
    assert language_of(client.get(link(blocked), HTTP_ACCEPT_LANGUAGE=header)) == expected


def test_then_the_appeal_language_then_the_decision_language(client, blocked):
    url = link(blocked)
    # A browser that names none of the three: the decision's language.
    assert language_of(client.get(url, HTTP_ACCEPT_LANGUAGE="de-DE, fr;q=0.5")) == "ru"
    services.appeal_file(
        decision_id=blocked.pk,
        statement="Менің аккаунтым қателесіп бұғатталды, мен өз көлігімді сатамын.",
        contact_email="",
        language="kk",
        consent=True,
        attachments=[],
    )
    assert language_of(client.get(url, HTTP_ACCEPT_LANGUAGE="de-DE"), filed=True) == "kk"
    assert language_of(client.get(url), filed=True) == "kk"


def test_then_russian(rf):
    # Services accept only the three languages; an old or odd row still gets a page.
    request = rf.get("/appeal/x/")
    assert visitor_language(request, fallback=Decision(language="xx").language) == "ru"
    assert visitor_language(request, fallback=None) == "ru"
    # An appeal's language comes before its decision's, even when the appeal's is unset.
    assert visitor_language(request, fallback=Appeal(language="").language) == "ru"
    assert visitor_language(request, fallback=Decision(language="en").language) == "en"


def test_a_language_not_offered_in_the_address_or_cookie_is_ignored(client, blocked):
    client.cookies[COOKIE] = "de"
    response = client.get(link(blocked) + "?lang=<b>", HTTP_ACCEPT_LANGUAGE="en")
    assert language_of(response) == "en"
    assert COOKIE not in response.cookies


def test_the_cookie_is_secure_in_production(client, blocked, settings):
    settings.LANGUAGE_COOKIE_SECURE = True
    response = client.get(link(blocked) + "?lang=kk")
    assert response.cookies[COOKIE]["secure"] is True
