"""Internal notes on a subject: written from a case page, shown on every later case of the
subject (and of the account's listings), on its story page, and nowhere outside the hub."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from antifraud.delivery import webhook_body
from antifraud.errors import NotAllowed, NotFound
from antifraud.models import AuditEvent, Delivery, Subject
from reviews import services
from reviews.limits import TEXT_MAX
from reviews.links import appeal_token
from reviews.models import Case, Policy, SubjectNote
from reviews.services import DecisionRequest, IndicatorChoice, NoteRefused
from tests.api.conftest import client_for
from tests.factories import CaseFactory, UserFactory, listing_case

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def case(kolesa):
    return listing_case(kolesa, phone="+77015550101")


@pytest.fixture
def supervisor(kolesa):
    return UserFactory(username="kolesa.supervisor", partner=kolesa, role=Role.SUPERVISOR)


def note_url(case: Case) -> str:
    return reverse("case-note-add", args=[case.pk])


# --- the service ------------------------------------------------------------------------


def test_a_note_is_written_stripped_and_audited(case, moderator):
    note = services.subject_note_add(
        actor=moderator,
        subject_id=case.subject_id,
        text="  Звонил с другого номера.\n",
        case_id=case.pk,
    )
    assert (note.subject_id, note.case_id, note.author) == (case.subject_id, case.pk, moderator)
    assert note.text == "Звонил с другого номера."
    [event] = AuditEvent.objects.filter(action="subject.noted")
    assert event.actor == moderator
    assert event.target_id == str(note.pk)
    # The trail is staff-only: it keeps the text, what the moderator knew when they wrote it.
    assert event.payload == {
        "subject": case.subject_id,
        "case": case.pk,
        "text": "Звонил с другого номера.",
    }


@pytest.mark.parametrize("text", ["", "   \n\t ", "x" * (TEXT_MAX + 1)])
def test_an_empty_or_overlong_note_is_refused_and_nothing_written(case, moderator, text):
    with pytest.raises(NoteRefused):
        services.subject_note_add(
            actor=moderator, subject_id=case.subject_id, text=text, case_id=case.pk
        )
    assert not SubjectNote.objects.exists()
    assert not AuditEvent.objects.filter(action="subject.noted").exists()


def test_a_note_of_the_longest_length_is_kept(case, moderator):
    note = services.subject_note_add(
        actor=moderator, subject_id=case.subject_id, text="я" * TEXT_MAX, case_id=case.pk
    )
    assert len(note.text) == TEXT_MAX


def test_who_may_write_notes(case, moderator, supervisor, krisha):
    with pytest.raises(NotAllowed):
        services.subject_note_add(actor=supervisor, subject_id=case.subject_id, text="мнение")
    other = UserFactory(username="krisha.mod", partner=krisha, role=Role.MODERATOR)
    with pytest.raises(NotFound):
        services.subject_note_add(actor=other, subject_id=case.subject_id, text="мнение")
    # A case of another subject is not where this note was written.
    elsewhere = listing_case(case.partner)
    with pytest.raises(NoteRefused):
        services.subject_note_add(
            actor=moderator, subject_id=case.subject_id, text="мнение", case_id=elsewhere.pk
        )
    # The account's note may come from one of its listings' cases.
    note = services.subject_note_add(
        actor=moderator, subject_id=case.subject.account_id, text="мнение", case_id=case.pk
    )
    assert note.subject_id == case.subject.account_id
    assert SubjectNote.objects.count() == 1


# --- the pages --------------------------------------------------------------------------


def test_adding_a_note_with_htmx_swaps_the_card(client, case, moderator):
    client.force_login(moderator)
    response = client.post(note_url(case), {"text": "<b>Скорее всего</b> перекупщик"}, **HTMX)
    assert response.status_code == 200
    content = response.content.decode()
    assert content.lstrip().startswith('<section class="card notes-card" id="notes"')
    assert "&lt;b&gt;Скорее всего&lt;/b&gt; перекупщик" in content
    assert "<b>Скорее" not in content
    note = SubjectNote.objects.get()
    assert (note.subject_id, note.case_id) == (case.subject_id, case.pk)
    # The field is empty again, for the next note.
    assert (
        '<textarea name="text" id="id_note_text" rows="3" maxlength="5000" required></textarea>'
        in content
    )


def test_a_refused_note_keeps_the_text_and_says_why(client, case, moderator):
    client.force_login(moderator)
    response = client.post(note_url(case), {"text": "   "}, **HTMX)
    assert response.status_code == 422
    assert "Write the note first: it is empty." in response.content.decode()
    long = "x" * (TEXT_MAX + 1)
    response = client.post(note_url(case), {"text": long}, **HTMX)
    assert response.status_code == 422
    assert "A note holds at most 5000 characters." in response.content.decode()
    assert long in response.content.decode()
    assert not SubjectNote.objects.exists()


def test_without_javascript_the_case_page_comes_back(client, case, moderator):
    client.force_login(moderator)
    response = client.post(note_url(case), {"text": "Проверить паспорт"})
    assert response.status_code == 302
    assert response["Location"] == reverse("case", args=[case.pk]) + "#notes"
    page = client.get(response["Location"]).content.decode()
    assert "Note added." in page and "Проверить паспорт" in page
    response = client.post(note_url(case), {"text": ""}, follow=True)
    assert "Write the note first: it is empty." in response.content.decode()
    assert SubjectNote.objects.count() == 1


def test_a_note_on_the_account_from_a_listings_case(client, case, moderator):
    client.force_login(moderator)
    client.post(note_url(case), {"text": "Аккаунт перепродаёт", "about": "account"}, **HTMX)
    note = SubjectNote.objects.get()
    assert note.subject_id == case.subject.account_id


def test_a_supervisor_reads_notes_but_cannot_add(client, case, moderator, supervisor):
    services.subject_note_add(
        actor=moderator, subject_id=case.subject_id, text="Видел его раньше", case_id=case.pk
    )
    client.force_login(supervisor)
    page = client.get(reverse("case", args=[case.pk])).content.decode()
    assert "Видел его раньше" in page
    assert 'id="id_note_text"' not in page
    # Supervisors see who wrote it, as they see who decided.
    assert moderator.username in page
    assert client.post(note_url(case), {"text": "тоже"}).status_code == 403
    assert SubjectNote.objects.count() == 1


def test_another_partners_moderator_gets_404(client, case, krisha):
    other = UserFactory(username="krisha.mod", partner=krisha, role=Role.MODERATOR)
    client.force_login(other)
    assert client.post(note_url(case), {"text": "чужой"}).status_code == 404
    assert not SubjectNote.objects.exists()


def test_every_later_case_shows_the_notes_newest_first(client, case, moderator, kolesa):
    first = services.subject_note_add(
        actor=moderator, subject_id=case.subject_id, text="первая заметка", case_id=case.pk
    )
    services.subject_note_add(
        actor=moderator,
        subject_id=case.subject.account_id,
        text="заметка об аккаунте",
        case_id=case.pk,
    )
    Case.objects.filter(pk=case.pk).update(status=Case.Status.DECIDED, decided_at=timezone.now())
    later = CaseFactory(subject=case.subject)
    # Another listing of the same account shows the account's note, not the listing's.
    sibling = listing_case(kolesa, account=case.subject.account)
    colleague = UserFactory(username="kolesa.mod2", partner=kolesa, role=Role.MODERATOR)
    client.force_login(colleague)

    page = client.get(reverse("case", args=[later.pk])).content.decode()
    assert page.index("заметка об аккаунте") < page.index("первая заметка")
    assert f'<a href="{reverse("case", args=[case.pk])}">case {case.pk}</a>' in page
    account_note = page[page.index('id="note-') : page.index("заметка об аккаунте")]
    assert "on the account" in account_note
    # A moderator reads what a colleague wrote, not who: names are for supervisors.
    assert moderator.username not in page.split('id="notes"')[1].split("</section>")[0]

    page = client.get(reverse("case", args=[sibling.pk])).content.decode()
    assert "заметка об аккаунте" in page
    assert first.text not in page


def test_the_story_page_shows_notes_in_time_order(client, case, moderator, supervisor):
    now = timezone.now()
    early = services.subject_note_add(
        actor=moderator, subject_id=case.subject_id, text="ранняя заметка", case_id=case.pk
    )
    SubjectNote.objects.filter(pk=early.pk).update(created_at=now - timezone.timedelta(days=2))
    services.subject_note_add(actor=moderator, subject_id=case.subject_id, text="поздняя заметка")
    for reader in (moderator, supervisor):
        client.force_login(reader)
        page = client.get(reverse("subject-story", args=[case.subject_id])).content.decode()
        assert page.index("ранняя заметка") < page.index("поздняя заметка")
        assert '<tr class="story-note">' in page


# --- never outside the hub --------------------------------------------------------------

SECRET = "NOTE-SECRET-4b1f9e"
SHOWN = "STATEMENT-SHOWN-7c2d0a"


def test_notes_never_leave_the_hub(client, kolesa, moderator, settings):
    """A note with a marker, a block, an appeal, its outcome: the marker is in no outbox
    payload or webhook body, no e-mail, not on the public appeal page, not in the partner
    API. Each search first finds a field that is meant to be there, so it is known to look
    where the note would be."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    case = listing_case(kolesa, phone="+77015550101")
    services.subject_note_add(
        actor=moderator, subject_id=case.subject_id, text=f"{SECRET} listing", case_id=case.pk
    )
    services.subject_note_add(
        actor=moderator, subject_id=case.subject.account_id, text=f"{SECRET} account"
    )
    services.case_claim(actor=moderator, case_id=case.pk)
    identifier = case.subject.identifiers.get()
    [decision] = services.decision_record(
        actor=moderator,
        case_id=case.pk,
        request=DecisionRequest(
            action="block_account",
            policy_id=Policy.objects.get(code="underpriced-vehicle").pk,
            statement_of_reasons=f"Цена вдвое ниже рынка. {SHOWN}",
            indicators=(IndicatorChoice(identifier_id=identifier.pk, list="black"),),
        ),
    ).decisions
    public = Client()
    appeal_page = reverse(
        "appeal", args=[appeal_token(decision_id=decision.pk, decided_at=decision.decided_at)]
    )
    filed = public.post(
        appeal_page + "?lang=ru",
        {
            "statement": "Аккаунт заблокирован по ошибке, это моя машина.",
            "consent": "on",
            "contact_email": "erlan@mail.kz",
        },
    )
    assert filed.status_code == 302
    appeal = decision.appeal
    senior = UserFactory(username="kolesa.senior", partner=kolesa, role=Role.SENIOR_MODERATOR)
    services.appeal_email_send(appeal_id=appeal.pk, kind="received")
    services.appeal_claim(actor=senior, appeal_id=appeal.pk)
    services.appeal_resolve(
        actor=senior, appeal_id=appeal.pk, overturn=True, reply=f"Решение отменено. {SHOWN}"
    )
    services.appeal_email_send(appeal_id=appeal.pk, kind="resolved")

    def neither_secret(texts: list[str], shown: str, where: str) -> None:
        found = "\n".join(texts)
        assert shown in found, f"the search of {where} finds nothing at all"
        assert SECRET not in found, f"a note leaked into {where}"

    # The evidence snapshot is the decision's, shown to reviewers and sampled: the notes
    # stay on the staff pages, where they are kept with their author.
    decision.refresh_from_db()
    neither_secret(
        [json.dumps(decision.evidence, ensure_ascii=False)],
        case.subject.external_id,
        "the evidence snapshot",
    )
    deliveries = list(Delivery.objects.all())
    assert {d.event_type for d in deliveries} >= {"subject.blocked", "subject.unblocked"}
    payloads = [json.dumps(d.payload, ensure_ascii=False) for d in deliveries]
    neither_secret(payloads, SHOWN, "the outbox payloads")
    neither_secret([webhook_body(d.payload) for d in deliveries], SHOWN, "the webhook bodies")
    assert len(mail.outbox) == 2
    neither_secret(
        [f"{m.subject}\n{m.body}\n{m.alternatives}" for m in mail.outbox],
        SHOWN,
        "the e-mails",
    )
    neither_secret(
        [public.get(appeal_page + f"?lang={lang}").content.decode() for lang in ("ru", "kk", "en")],
        SHOWN,
        "the public appeal page",
    )
    api = client_for(_api_key(kolesa))
    answers = [
        api.get(reverse("api-case-list")).content.decode(),
        api.get(reverse("api-case-detail", args=[case.pk])).content.decode(),
        api.get(reverse("api-events")).content.decode(),
    ]
    neither_secret(answers, case.subject.external_id, "the partner API")
    # The staff pages do show the note (the same search, the other way round).
    client.force_login(moderator)
    assert SECRET in client.get(reverse("case", args=[case.pk])).content.decode()
    assert Subject.objects.get(pk=case.subject_id).notes.count() == 1


def _api_key(partner) -> str:
    from antifraud.services.keys import api_key_create

    return api_key_create(actor=None, partner=partner, name="kolesa backend")[1]
