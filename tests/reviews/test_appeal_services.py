"""Filing, reviewing and resolving appeals; every refusal changes nothing."""

from __future__ import annotations

import io
import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone
from PIL import Image

from accounts.roles import Role
from antifraud.errors import DomainError, InvalidInput, NotAllowed
from antifraud.models import AuditEvent, Delivery, Indicator, Subject
from reviews import services
from reviews.links import AppealLinkInvalid, appeal_token, appeal_token_read
from reviews.models import Appeal, AppealAttachment, Decision
from reviews.uploads import Upload, UploadRefused, attachments_clean
from tests.appeal_fixtures import EXECUTABLE, PDF_BYTES, PHONE, jpeg_bytes, png_bytes
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STATEMENT = "Это мой номер уже десять лет, я ничего не просил заранее и готов показать машину."


def file(decision, **kwargs) -> Appeal:
    kwargs.setdefault("statement", STATEMENT)
    kwargs.setdefault("consent", True)
    return services.appeal_file(decision_id=decision.pk, **kwargs)


def stored_files() -> list[str]:
    try:
        return default_storage.listdir("appeals")[1]
    except FileNotFoundError:
        return []


# --- the link ---------------------------------------------------------------------------


def test_the_link_is_bound_to_its_decision_and_stable(blocked):
    token = appeal_token(decision_id=blocked.pk, decided_at=blocked.decided_at)
    assert token == appeal_token(decision_id=blocked.pk, decided_at=blocked.decided_at)
    assert appeal_token_read(token) == blocked.pk


def test_a_tampered_or_foreign_link_is_refused(blocked, settings):
    token = appeal_token(decision_id=blocked.pk, decided_at=blocked.decided_at)
    signature = token.rsplit(":", 1)[1]
    forged = appeal_token(decision_id=blocked.pk + 1, decided_at=blocked.decided_at).rsplit(":", 1)[
        0
    ]
    for bad in (token[:-2] + "xx", f"{forged}:{signature}", "garbage", ""):
        with pytest.raises(AppealLinkInvalid):
            appeal_token_read(bad)
    settings.SECRET_KEY = "another-deployment-" + "x" * 40
    with pytest.raises(AppealLinkInvalid):
        appeal_token_read(token)


def test_the_link_expires_with_the_appeal_window(blocked, settings):
    token = appeal_token(decision_id=blocked.pk, decided_at=blocked.decided_at)
    later = blocked.decided_at + timedelta(days=settings.APPEAL_LINK_MAX_AGE_DAYS, minutes=1)
    with pytest.raises(AppealLinkInvalid):
        appeal_token_read(token, now=later)


# --- filing -----------------------------------------------------------------------------


def test_filing_an_appeal(blocked, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        appeal = file(blocked, contact_email="erlan@mail.kz", language="kk")
    assert appeal.status == "submitted"
    assert appeal.consent_at is not None
    assert timedelta(hours=71) < appeal.deadline - appeal.filed_at <= timedelta(hours=72)
    assert AuditEvent.objects.filter(action="appeal.filed", target_id=str(appeal.pk)).exists()
    assert len(callbacks) == 1  # the receipt e-mail, queued after commit


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"statement": "   "}, "statement_too_short"),
        ({"statement": "Это ошибка."}, "statement_too_short"),
        ({"statement": "x" * 5001}, "statement_too_long"),
        ({"consent": False}, "consent_required"),
        ({"contact_email": "not-an-address"}, "invalid_email"),
        ({"attachments": [Upload("a.png", png_bytes())] * 4}, "too_many_attachments"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(blocked, kwargs, code):
    with pytest.raises(InvalidInput) as refused:
        file(blocked, **kwargs)
    assert refused.value.code == code
    assert not Appeal.objects.exists()
    assert stored_files() == []


def test_one_appeal_per_decision(blocked):
    file(blocked)
    with pytest.raises(DomainError) as refused:
        file(blocked, attachments=[Upload("a.png", png_bytes())])
    assert refused.value.code == "already_filed"
    assert Appeal.objects.count() == 1
    assert stored_files() == []


def test_a_clearance_cannot_be_appealed(cleared):
    with pytest.raises(DomainError) as refused:
        file(cleared)
    assert refused.value.code == "not_appealable"


def test_the_appeal_window_closes(blocked, settings):
    settings.APPEAL_LINK_MAX_AGE_DAYS = 0
    with pytest.raises(DomainError) as refused:
        file(blocked)
    assert refused.value.code == "appeal_window_closed"


def test_withdrawing(blocked, senior):
    appeal = file(blocked)
    services.appeal_withdraw(appeal_id=appeal.pk)
    assert Appeal.objects.get().status == "withdrawn"
    # One appeal per decision, even a withdrawn one.
    with pytest.raises(DomainError):
        file(blocked)


def test_an_appeal_in_review_cannot_be_withdrawn(blocked, senior):
    appeal = file(blocked)
    services.appeal_claim(actor=senior, appeal_id=appeal.pk)
    with pytest.raises(DomainError):
        services.appeal_withdraw(appeal_id=appeal.pk)
    assert Appeal.objects.get().status == "in_review"


# --- uploads ----------------------------------------------------------------------------


def test_a_jpeg_is_reencoded_without_its_gps_position(blocked):
    original = jpeg_bytes(gps=True)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the test file has GPS
    appeal = file(blocked, attachments=[Upload("IMG_0001.jpg", original)])
    attachment = appeal.attachments.get()
    assert attachment.content_type == "image/jpeg"
    with attachment.file.open("rb") as stored:
        data = stored.read()
    assert data != original
    exif = Image.open(io.BytesIO(data)).getexif()
    assert not exif.get_ifd(0x8825)
    assert 0x010F not in exif
    assert attachment.original_name == "IMG_0001.jpg"


def test_png_and_pdf_are_accepted(blocked):
    appeal = file(
        blocked, attachments=[Upload("a.png", png_bytes()), Upload("contract.pdf", PDF_BYTES)]
    )
    # Every picture is stored drawn again as a JPEG.
    assert sorted(appeal.attachments.values_list("content_type", flat=True)) == [
        "application/pdf",
        "image/jpeg",
    ]
    assert len(stored_files()) == 2


@pytest.mark.parametrize(
    ("upload", "says"),
    [
        (Upload("photo.jpg", EXECUTABLE), "only JPEG, PNG or PDF"),
        (Upload("scan.pdf", b"%PDF-1.7\nthis file stops here"), "not a PDF"),
        (Upload("big.jpg", b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024)), "at most 5 MB"),
        (Upload("broken.jpg", b"\xff\xd8\xff\xe0" + b"garbage" * 10), "cannot be read"),
        (Upload("empty.png", b""), "empty"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_kept(blocked, upload, says):
    with pytest.raises(UploadRefused, match=says):
        file(blocked, attachments=[Upload("fine.png", png_bytes()), upload])
    assert not Appeal.objects.exists() and not AppealAttachment.objects.exists()
    assert stored_files() == []


def test_an_image_claiming_another_format_is_refused():
    png_named_jpeg = b"\xff\xd8\xff" + png_bytes()
    with pytest.raises(UploadRefused):
        attachments_clean([Upload("x.jpg", png_named_jpeg)])


# --- reviewing --------------------------------------------------------------------------


def test_claim_next_takes_the_closest_deadline(blocked, senior, kolesa):
    appeal = file(blocked)
    assert services.appeal_claim_next(actor=senior).pk == appeal.pk
    appeal.refresh_from_db()
    assert appeal.status == "in_review" and appeal.claimed_by == senior
    assert (
        services.appeal_claim_next(actor=UserFactory(partner=kolesa, role=Role.SENIOR_MODERATOR))
        is None
    )


def test_four_eyes_the_decider_never_gets_the_appeal(blocked, moderator, kolesa):
    appeal = file(blocked)
    # Give the moderator who decided the senior's rights: still not theirs to review.
    moderator.groups.add(*UserFactory(partner=kolesa, role=Role.SENIOR_MODERATOR).groups.all())
    moderator = type(moderator).objects.get(pk=moderator.pk)
    assert services.appeal_claim_next(actor=moderator) is None
    with pytest.raises(DomainError) as refused:
        services.appeal_claim(actor=moderator, appeal_id=appeal.pk)
    assert refused.value.code == "four_eyes"
    Appeal.objects.filter(pk=appeal.pk).update(
        status="in_review", claimed_by=moderator, lease_until=timezone.now() + timedelta(minutes=5)
    )
    with pytest.raises(DomainError) as refused:
        services.appeal_resolve(
            actor=moderator, appeal_id=appeal.pk, overturn=True, reply="Снимаю своё решение."
        )
    assert refused.value.code == "four_eyes"
    assert Appeal.objects.get().status == "in_review"
    assert not Decision.objects.filter(action="reverse").exists()


def test_moderators_cannot_review(blocked, kolesa):
    file(blocked)
    with pytest.raises(NotAllowed):
        services.appeal_claim_next(actor=UserFactory(partner=kolesa, role=Role.MODERATOR))


def test_release_and_lease_expiry_return_the_appeal(blocked, senior):
    appeal = file(blocked)
    services.appeal_claim(actor=senior, appeal_id=appeal.pk)
    services.appeal_release(actor=senior, appeal_id=appeal.pk)
    assert Appeal.objects.get().status == "submitted"
    services.appeal_claim(actor=senior, appeal_id=appeal.pk)
    Appeal.objects.filter(pk=appeal.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert services.appeal_leases_sweep() == 1
    assert Appeal.objects.get().status == "submitted"


def test_resolving_needs_the_claim_and_a_reply(blocked, senior):
    appeal = file(blocked)
    with pytest.raises(services.NotClaimant):
        services.appeal_resolve(actor=senior, appeal_id=appeal.pk, overturn=False, reply="Нет.")
    services.appeal_claim(actor=senior, appeal_id=appeal.pk)
    with pytest.raises(InvalidInput):
        services.appeal_resolve(actor=senior, appeal_id=appeal.pk, overturn=False, reply="  ")
    assert Appeal.objects.get().status == "in_review"


def test_upholding(blocked, senior, django_capture_on_commit_callbacks):
    appeal = file(blocked, contact_email="erlan@mail.kz")
    services.appeal_claim(actor=senior, appeal_id=appeal.pk)
    with django_capture_on_commit_callbacks() as callbacks:
        services.appeal_resolve(
            actor=senior,
            appeal_id=appeal.pk,
            overturn=False,
            reply="Данные подтверждают нарушение.",
        )
    appeal.refresh_from_db()
    assert (appeal.status, appeal.reviewer, appeal.claimed_by) == ("upheld", senior, None)
    assert appeal.reversal is None
    assert Subject.objects.get(pk=blocked.subject.account_id).status == "blocked"
    assert len(callbacks) == 1
    assert AuditEvent.objects.filter(action="appeal.upheld").exists()


def test_overturning_reverses_the_decision_everywhere(blocked, senior):
    appeal = file(blocked)
    listed = list(blocked.listed_indicators.all())
    assert [i.value for i in listed] == [PHONE]
    services.appeal_claim(actor=senior, appeal_id=appeal.pk)
    services.appeal_resolve(
        actor=senior,
        appeal_id=appeal.pk,
        overturn=True,
        reply="Номер принадлежит заявителю, нарушения нет.",
    )
    appeal.refresh_from_db()
    reversal = appeal.reversal
    assert appeal.status == "overturned"
    assert reversal.action == "reverse" and reversal.reverses_id == blocked.pk
    assert reversal.decided_by == senior
    assert reversal.statement_of_reasons.startswith("Номер")
    # The original decision is untouched.
    original = Decision.objects.get(pk=blocked.pk)
    assert original.statement_of_reasons == blocked.statement_of_reasons
    # Account and listing restored.
    listing = Subject.objects.get(pk=blocked.subject_id)
    assert listing.status == "active" and listing.account.status == "active"
    # The phone is off the black list and on the cleared list.
    black = Indicator.objects.get(pk=listed[0].pk)
    assert black.revoked_at is not None and black.revoked_reason == "overturned on appeal"
    assert Indicator.objects.active().get(value=PHONE).list == "cleared"
    assert list(reversal.revoked_indicators.all()) == [black]
    # Every partner hears of it.
    unblocked = Delivery.objects.filter(event_type="subject.unblocked")
    assert sorted(unblocked.values_list("partner__slug", flat=True)) == ["kolesa"]
    assert unblocked.get().payload["data"]["decision"]["reverses"] == blocked.pk
    assert Delivery.objects.filter(event_type="listing.restored").count() == 1
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "appeal.filed",
        "appeal.claimed",
        "appeal.overturned",
        "indicator.revoked",
        "decision.recorded",
    } <= actions


# --- e-mails ----------------------------------------------------------------------------


def test_receipt_and_outcome_emails_in_the_appellants_language(blocked, senior, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    appeal = file(blocked, contact_email="erlan@mail.kz", language="kk")
    assert services.appeal_email_send(appeal_id=appeal.pk, kind="received") is True
    assert services.appeal_email_send(appeal_id=appeal.pk, kind="received") is False  # once only
    [receipt] = mail.outbox
    assert receipt.to == ["erlan@mail.kz"]
    assert receipt.subject == "Шағымыңызды алдық"
    assert "/appeal/" in receipt.body
    # No outcome before there is one.
    assert services.appeal_email_send(appeal_id=appeal.pk, kind="resolved") is False
    services.appeal_claim(actor=senior, appeal_id=appeal.pk)
    services.appeal_resolve(
        actor=senior, appeal_id=appeal.pk, overturn=True, reply="Шешім жойылды <b>ok</b>"
    )
    assert services.appeal_email_send(appeal_id=appeal.pk, kind="resolved") is True
    outcome = mail.outbox[1]
    assert outcome.subject == "Шағымыңыз қанағаттандырылды"
    assert "Шешім жойылды <b>ok</b>" in outcome.body  # plain text, as written
    assert AuditEvent.objects.filter(action="appeal.email_sent").count() == 2


def test_no_email_without_an_address(blocked, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    appeal = file(blocked)
    assert services.appeal_email_send(appeal_id=appeal.pk, kind="received") is False
    assert mail.outbox == []


class UnreachableMailServer(BaseEmailBackend):
    """The mail server, down: every message fails as an SMTP connection would."""

    attempts = 0

    def send_messages(self, email_messages):
        type(self).attempts += 1
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_an_email_that_fails_its_last_retry_is_recorded(blocked, settings):
    from reviews.tasks import appeal_email_send

    settings.EMAIL_BACKEND = f"{__name__}.UnreachableMailServer"
    UnreachableMailServer.attempts = 0
    appeal = file(blocked, contact_email="erlan@mail.kz")
    result = appeal_email_send.apply(args=(appeal.pk, "received"))
    assert result.failed()
    assert UnreachableMailServer.attempts == 1 + appeal_email_send.max_retries
    appeal.refresh_from_db()
    assert appeal.receipt_sent_at is None
    assert appeal.receipt_failed_at is not None
    assert appeal.email_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    [event] = AuditEvent.objects.filter(action="appeal.email_failed")
    assert event.payload == {"kind": "received", "error": appeal.email_error}


def test_a_late_failure_does_not_override_a_sent_email(blocked, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    appeal = file(blocked, contact_email="erlan@mail.kz")
    services.appeal_email_send(appeal_id=appeal.pk, kind="received")
    assert services.appeal_email_failed(appeal_id=appeal.pk, kind="received", error="late") is False
    appeal.refresh_from_db()
    assert appeal.receipt_failed_at is None and appeal.email_error == ""
