"""Files and decisions for the appeal tests, made the way users make them."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from accounts.roles import Role
from reviews import services
from reviews.models import Decision, Policy
from reviews.services import DecisionRequest, IndicatorChoice
from tests.factories import UserFactory, listing_case

PHONE = "+77015550101"


def jpeg_bytes(*, gps: bool = False, size: tuple[int, int] = (64, 48)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    exif = Image.Exif()
    if gps:
        exif[0x010F] = "PhoneMaker"  # camera make
        gps_ifd = {1: "N", 2: (43.0, 15.0, 0.0), 3: "E", 4: (76.0, 54.0, 0.0)}  # Almaty
        exif[0x8825] = gps_ifd
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 255, 128)).save(out, format="PNG")
    return out.getvalue()


PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
EXECUTABLE = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200


@pytest.fixture
def blocked(kolesa, moderator):
    """A Kolesa listing whose account the moderator blocked, listing its phone."""
    case = listing_case(kolesa, phone=PHONE)
    services.case_claim(actor=moderator, case_id=case.pk)
    identifier = case.subject.identifiers.get()
    outcome = services.decision_record(
        actor=moderator,
        case_id=case.pk,
        request=DecisionRequest(
            action="block_account",
            policy_id=Policy.objects.get(code="underpriced-vehicle").pk,
            statement_of_reasons="Цена вдвое ниже рынка, требование задатка.",
            indicators=(IndicatorChoice(identifier_id=identifier.pk, list="black"),),
        ),
    )
    return outcome.decisions[0]


@pytest.fixture
def cleared(kolesa, moderator) -> Decision:
    case = listing_case(kolesa)
    services.case_claim(actor=moderator, case_id=case.pk)
    return services.decision_record(
        actor=moderator,
        case_id=case.pk,
        request=DecisionRequest(
            action="clear",
            policy_id=Policy.objects.get(code="no-violation").pk,
            statement_of_reasons="Нарушений нет.",
        ),
    ).decisions[0]


@pytest.fixture
def senior(kolesa):
    return UserFactory(username="kolesa.senior", partner=kolesa, role=Role.SENIOR_MODERATOR)
