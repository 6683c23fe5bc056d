"""Contacts that do not exist: a phone number of a possible length that no operator has
(not valid for its region's numbering plan), or an e-mail address at a disposable domain
(the maintained list of the `disposable-email-domains` package). Such contacts are kept as
evidence and raise this signal; the report is accepted."""

from __future__ import annotations

from collections.abc import Iterator

from disposable_email_domains import blocklist
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from antifraud.detection.base import Batch, Explanation, Hit, Rule, Thresholds
from antifraud.models import IndicatorKind, Scheme
from antifraud.normalize import phone_exists

PHONES = gettext_noop("Phone %(phones)s is not a number any operator has assigned.")
EMAILS = gettext_noop("E-mail %(emails)s is at a disposable address domain.")
BOTH = gettext_noop(
    "Phone %(phones)s is not a number any operator has assigned, and e-mail %(emails)s is "
    "at a disposable address domain."
)


def disposable(email: str) -> bool:
    domain = email.rpartition("@")[2].casefold()
    parts = domain.split(".")
    # A subdomain of a disposable domain is disposable too.
    return any(".".join(parts[i:]) in blocklist for i in range(len(parts) - 1))


def detect(batch: Batch, thresholds: Thresholds) -> Iterator[Hit]:
    for subject in batch.subjects:
        pairs = batch.identifiers.get(subject.pk, [])
        phones = sorted(v for k, v in pairs if k == IndicatorKind.PHONE and not phone_exists(v))
        emails = sorted(v for k, v in pairs if k == IndicatorKind.EMAIL and disposable(v))
        if not phones and not emails:
            continue
        template = BOTH if phones and emails else PHONES if phones else EMAILS
        extra = len(phones) + len(emails) - 1
        yield Hit(
            subject=subject,
            score=round(thresholds["score"] + thresholds["score_per_extra"] * extra),
            explanation=Explanation(
                template, {"phones": ", ".join(phones[:3]), "emails": ", ".join(emails[:3])}
            ),
            details={"phones": phones, "emails": emails},
            key=",".join(phones + emails),
        )


RULES = [
    Rule(
        code="contacts.nonexistent",
        title=_("Contacts that do not exist"),
        looks_at=_(
            "phone numbers no operator has assigned (numbering plans of the phonenumbers "
            "library) and e-mail addresses at disposable domains"
        ),
        scheme=Scheme.FAKE_CONTACTS,
        defaults={"score": 45, "score_per_extra": 10},
        detect=detect,
        rests_on_contacts=True,
    )
]
