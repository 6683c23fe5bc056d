"""Refusals (403) and pages not found (404) in the site's layout, and one line in the log
for each, without a traceback."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from tests.factories import listing_case

pytestmark = pytest.mark.django_db


def test_a_refused_page_is_in_the_layout_with_a_way_back(client, moderator):
    client.force_login(moderator)
    response = client.get(reverse("approvals"))
    assert response.status_code == 403
    content = response.content.decode()
    assert '<nav class="topnav">' in content and 'id="topbar-language"' in content
    assert "<h1>Not allowed</h1>" in content
    assert "Your role does not allow this page or this action." in content
    assert f'<a href="{reverse("home")}">Back to the queues</a>' in content


def test_the_refusal_speaks_the_user_language(client, moderator):
    moderator.language = "ru"
    moderator.save(update_fields=["language"])
    client.force_login(moderator)
    response = client.get(reverse("approvals"))
    assert response.status_code == 403 and response["Content-Language"] == "ru"
    assert '<html lang="ru">' in response.content.decode()
    assert ">Очереди<" in response.content.decode()


def test_htmx_gets_only_the_message_put_above_the_page(client, moderator):
    client.force_login(moderator)
    response = client.get(reverse("approvals"), HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    content = response.content.decode()
    assert content.lstrip().startswith('<div class="message error" role="alert">')
    assert "<html" not in content and "topnav" not in content
    assert response["HX-Retarget"] == "main.page" and response["HX-Reswap"] == "afterbegin"


def test_another_partners_case_is_not_found_in_the_layout(client, moderator, krisha):
    case = listing_case(krisha)
    client.force_login(moderator)
    response = client.get(reverse("case", args=[case.pk]))
    assert response.status_code == 404
    content = response.content.decode()
    assert "<h1>Not found</h1>" in content and '<nav class="topnav">' in content
    # Nothing says what was asked for.
    assert case.subject.title not in content and "no such" not in content


def test_an_unknown_address_is_not_found_for_anyone(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    content = response.content.decode()
    assert "<h1>Not found</h1>" in content and "topnav" not in content


def test_htmx_not_found_is_a_short_message(client, moderator, krisha):
    client.force_login(moderator)
    response = client.get("/no/such/page/", HTTP_HX_REQUEST="true")
    assert response.status_code == 404 and "<html" not in response.content.decode()
    assert response["HX-Retarget"] == "main.page"


def test_a_refusal_is_one_log_line_without_a_traceback(client, moderator, caplog):
    client.force_login(moderator)
    with caplog.at_level(logging.INFO, logger="django.request"):
        assert client.get(reverse("approvals")).status_code == 403
        assert client.get("/no/such/page/").status_code == 404
    records = [r for r in caplog.records if r.name == "django.request"]
    assert [r.getMessage() for r in records] == [
        "Forbidden (Permission denied): /approvals/",
        "Not Found: /no/such/page/",
    ]
    assert all(r.exc_info is None and r.levelno == logging.WARNING for r in records)
    assert "Traceback" not in caplog.text


def test_a_real_error_keeps_its_traceback(caplog):
    """The filter drops tracebacks of refusals only."""
    logger = logging.getLogger("django.request")
    with caplog.at_level(logging.ERROR, logger="django.request"):
        try:
            raise ValueError("boom")
        except ValueError:
            logger.error("Internal Server Error: /x/", exc_info=True)
    assert caplog.records[-1].exc_info is not None
