"""The public appeal page and the seniors' appeal pages."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.roles import Role
from antifraud.models import AuditEvent
from reviews import services
from reviews.links import appeal_token
from reviews.models import Appeal
from reviews.uploads import Upload
from tests.appeal_fixtures import EXECUTABLE, jpeg_bytes
from tests.factories import PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db

STATEMENT = "Аккаунт заблокирован по ошибке, я продаю свою машину и не просил задаток."


def link(decision) -> str:
    return reverse(
        "appeal", args=[appeal_token(decision_id=decision.pk, decided_at=decision.decided_at)]
    )


def post(client, url, **data):
    data.setdefault("statement", STATEMENT)
    data.setdefault("consent", "on")
    return client.post(url + "?lang=ru", data)


# --- the public page --------------------------------------------------------------------


def test_the_page_explains_the_decision_in_three_languages(client, blocked):
    url = link(blocked)
    page = client.get(url + "?lang=ru")
    assert page.status_code == 200
    content = page.content.decode()
    assert "Автомобиль по подозрительно низкой цене" in content  # the policy's Russian title
    assert blocked.statement_of_reasons in content
    assert "ваш аккаунт заблокирован" in content
    assert page["Content-Language"] == "ru"
    kazakh = client.get(url + "?lang=kk").content.decode()
    assert "Күдікті төмен бағадағы автокөлік" in kazakh and "Шағымды жіберу" in kazakh
    english = client.get(url + "?lang=en").content.decode()
    assert "Vehicle at a suspiciously low price" in english and "Send the appeal" in english
    # Nothing internal leaks: no moderator, no note, no evidence.
    assert blocked.decided_by.username not in content


def test_the_page_leads_to_the_published_policies_and_figures(client, blocked):
    content = client.get(link(blocked) + "?lang=kk").content.decode()
    for name, label in (
        ("public-policies", "Ережелер"),
        ("public-transparency", "Ашықтық есебі"),
        ("public-scams", "Алаяқтықты тану"),
    ):
        assert f'<a href="{reverse(name)}">{label}</a>' in content


def test_bad_links_get_the_same_plain_answer(client, blocked, cleared, settings):
    good = link(blocked)
    answers = []
    for url in (good[:-3] + "xx/", reverse("appeal", args=["nonsense"]), link(cleared)):
        response = client.get(url)
        assert response.status_code == 404
        answers.append(response.content)
    settings.APPEAL_LINK_MAX_AGE_DAYS = 0
    expired = client.get(good)
    assert expired.status_code == 404
    assert len({*answers, expired.content}) == 1
    assert blocked.statement_of_reasons.encode() not in expired.content


def test_filing_and_coming_back(client, blocked):
    url = link(blocked)
    response = post(client, url, contact_email="erlan@mail.kz")
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert appeal.language == "ru" and appeal.contact_email == "erlan@mail.kz"
    page = client.get(response["Location"])
    assert "Ваша жалоба получена." in page.content.decode()
    assert "получена, ожидает рассмотрения" in page.content.decode()
    # A replayed form is refused and writes nothing.
    again = post(client, url)
    assert again.status_code == 409
    assert Appeal.objects.count() == 1


def test_form_errors_and_nothing_kept(client, blocked):
    url = link(blocked)
    assert post(client, url, statement="").status_code == 400
    assert post(client, url, consent="").status_code == 400
    bad_file = SimpleUploadedFile("photo.jpg", EXECUTABLE, content_type="image/jpeg")
    response = post(client, url, attachments=[bad_file])
    assert response.status_code == 400
    assert (
        "only JPEG, PNG or PDF" in response.content.decode()
        or "JPEG, PNG или PDF" in response.content.decode()
    )
    assert not Appeal.objects.exists()


def test_files_are_accepted_through_the_form(client, blocked):
    photo = SimpleUploadedFile("car.jpg", jpeg_bytes(gps=True), content_type="image/jpeg")
    response = post(client, link(blocked), attachments=[photo])
    assert response.status_code == 302
    assert Appeal.objects.get().attachments.count() == 1


def test_oversize_posts_are_refused_before_reading(client, blocked, settings):
    settings.APPEAL_REQUEST_MAX_BYTES = 1000
    response = post(client, link(blocked), statement=STATEMENT * 20)
    assert response.status_code == 413
    assert not Appeal.objects.exists()


def test_posting_is_rate_limited(client, blocked, settings):
    settings.APPEAL_RATE_PER_LINK = "2/h"
    url = link(blocked)
    post(client, url, statement="short")
    post(client, url, statement="short")
    limited = post(client, url)
    assert limited.status_code == 429
    # When to come back: within the hour the limit counts, and never "now".
    assert 1 <= int(limited["Retry-After"]) <= 3600
    assert not Appeal.objects.exists()


def test_withdrawing_from_the_page(client, blocked):
    url = link(blocked)
    post(client, url)
    response = client.post(url + "?lang=en", {"action": "withdraw"})
    assert response.status_code == 302
    assert Appeal.objects.get().status == "withdrawn"
    assert "withdrawn by you" in client.get(url + "?lang=en").content.decode()


def test_the_outcome_shows_once_decided(client, blocked, senior):
    appeal = services.appeal_file(decision_id=blocked.pk, statement=STATEMENT, consent=True)
    services.appeal_claim(actor=senior, appeal_id=appeal.pk)
    services.appeal_resolve(
        actor=senior,
        appeal_id=appeal.pk,
        overturn=True,
        reply="Нарушения нет, аккаунт восстановлен.",
    )
    content = client.get(link(blocked) + "?lang=ru").content.decode()
    assert "удовлетворена: решение отменено" in content
    assert "Нарушения нет, аккаунт восстановлен." in content


# --- the seniors' pages -----------------------------------------------------------------


@pytest.fixture
def appeal(blocked):
    return services.appeal_file(
        decision_id=blocked.pk,
        statement='<script>alert("x")</script> моя машина',
        consent=True,
        attachments=[Upload("car.jpg", jpeg_bytes())],
    )


def staff_urls(appeal: Appeal) -> list[tuple[str, str]]:
    attachment = appeal.attachments.get()
    return [
        ("get", reverse("appeals")),
        ("post", reverse("appeal-claim-next")),
        ("get", reverse("appeal-review", args=[appeal.pk])),
        ("post", reverse("appeal-claim", args=[appeal.pk])),
        ("post", reverse("appeal-release", args=[appeal.pk])),
        ("post", reverse("appeal-resolve", args=[appeal.pk])),
        ("get", reverse("appeal-attachment", args=[appeal.pk, attachment.pk])),
    ]


def test_anonymous_and_roleless_are_kept_out(client, appeal, kolesa):
    for method, url in staff_urls(appeal):
        assert getattr(client, method)(url).status_code == 302, url
    client.force_login(UserFactory(partner=kolesa))
    for method, url in staff_urls(appeal):
        assert getattr(client, method)(url).status_code == 403, url


def test_moderators_cannot_see_appeals(client, appeal, moderator):
    client.force_login(moderator)
    for method, url in staff_urls(appeal):
        assert getattr(client, method)(url).status_code == 403, url


def test_another_partners_senior_gets_404(client, appeal):
    client.force_login(UserFactory(partner=PartnerFactory(slug="olx"), role=Role.SENIOR_MODERATOR))
    for method, url in staff_urls(appeal)[2:]:
        assert getattr(client, method)(url).status_code == 404, url


def test_a_senior_reviews_and_overturns(client, appeal, senior):
    client.force_login(senior)
    queue = client.get(reverse("appeals"))
    assert [a.pk for a in queue.context["appeals"]] == [appeal.pk]
    assert client.post(reverse("appeal-claim-next")).status_code == 302
    page = client.get(reverse("appeal-review", args=[appeal.pk]))
    content = page.content.decode()
    assert "&lt;script&gt;" in content and "<script>alert" not in content
    assert page.context["held"] and not page.context["show_decider"]
    assert (
        appeal.decision.decided_by.username not in content
    )  # reviewers judge the decision, not the colleague
    attachment = appeal.attachments.get()
    photo = client.get(reverse("appeal-attachment", args=[appeal.pk, attachment.pk]))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert "sandbox" in photo["Content-Security-Policy"]
    assert AuditEvent.objects.filter(action="appeal.attachment_viewed", actor=senior).exists()
    bad = client.post(reverse("appeal-resolve", args=[appeal.pk]), {"outcome": "overturn"})
    assert bad.status_code == 422
    done = client.post(
        reverse("appeal-resolve", args=[appeal.pk]),
        {"outcome": "overturn", "reply": "Нарушения нет."},
    )
    assert done.status_code == 302
    assert Appeal.objects.get().status == "overturned"


def test_supervisors_see_who_decided(client, appeal, kolesa):
    supervisor = UserFactory(partner=kolesa)
    supervisor.groups.add(Group.objects.get(name="supervisor"))
    client.force_login(supervisor)
    page = client.get(reverse("appeal-review", args=[appeal.pk]))
    assert page.context["show_decider"]
    assert appeal.decision.decided_by.username in page.content.decode()
    assert client.post(reverse("appeal-claim", args=[appeal.pk])).status_code == 403


def test_a_failed_email_is_shown_to_the_reviewer(client, appeal, senior):
    from reviews import services

    services.appeal_email_failed(
        appeal_id=appeal.pk, kind="received", error="SMTPServerDisconnected: closed"
    )
    client.force_login(senior)
    content = client.get(reverse("appeal-review", args=[appeal.pk])).content.decode()
    assert "The receipt e-mail could not be sent" in content
    assert "SMTPServerDisconnected: closed" in content
