"""Removal of everything the demo writes, for `seed_demo --reset`.

Decisions and the audit trail refuse deletes through the ORM (and, on PostgreSQL, through a
trigger); wiping a demo database is the one place that goes around that, with TRUNCATE on
PostgreSQL (which row triggers do not see) and plain DELETE on SQLite.
"""

from __future__ import annotations

from django.db import connection, transaction

from accounts.models import ApiKey, Partner, User
from antifraud.audit import GENESIS_HASH
from antifraud.models import AuditChain
from reviews.demo.builder import demo_usernames

# Children before parents.
DOMAIN_TABLES = [
    "reviews_monthlyfigure",
    "reviews_blocklift",
    "reviews_casedeferral",
    "reviews_subjectnote",
    "reviews_qualitysample",
    "reviews_digestsent",
    "reviews_report",
    "reviews_decisionproposal",
    "reviews_appealattachment",
    "reviews_appeal",
    "reviews_decision_listed_indicators",
    "reviews_decision_revoked_indicators",
    "reviews_decision",
    "reviews_case_signals",
    "reviews_case",
    "antifraud_delivery",
    "antifraud_auditchaincheck",
    "antifraud_auditevent",
    "antifraud_corroboration",
    "antifraud_dispute",
    "antifraud_feedback",
    "antifraud_indicatorhits",
    "antifraud_phonereassignment",
    "antifraud_lookuptally",
    "antifraud_lookupalert",
    "antifraud_indicator",
    "antifraud_signal",
    "antifraud_textprint",
    "antifraud_photohash",
    "antifraud_photo",
    "antifraud_subjectidentifier",
    "antifraud_subject",
    "antifraud_marketprice",
]


def domain_has_data() -> dict[str, int]:
    from antifraud.models import Subject

    counts = {"partners": Partner.objects.count(), "subjects": Subject.objects.count()}
    return {k: v for k, v in counts.items() if v}


@transaction.atomic
def demo_purge() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Deferred foreign-key checks of this transaction must run before TRUNCATE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("TRUNCATE " + ", ".join(DOMAIN_TABLES) + " RESTART IDENTITY")
        else:
            for table in DOMAIN_TABLES:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
    AuditChain.objects.update_or_create(
        pk=1, defaults={"last_hash": GENESIS_HASH, "last_seq": 0, "last_event_id": None}
    )
    ApiKey.objects.all().delete()
    _policy_versions_purge()
    User.objects.filter(partner__isnull=False).delete()
    User.objects.filter(username__in=demo_usernames()).delete()
    Partner.objects.all().delete()


def _policy_versions_purge() -> None:
    """Policy versions drafted in the demo go with it (their decisions went above, and their
    drafters go below); the catalogue the migrations seeded is in effect again."""
    from reviews.models import Policy

    Policy.objects.filter(drafted_by__isnull=False).delete()
    for code in Policy.objects.values_list("code", flat=True).distinct():
        newest = Policy.objects.filter(code=code).order_by("-version").first()
        if newest is not None and not newest.is_current:
            Policy.objects.filter(code=code, is_current=True).update(is_current=False)
            Policy.objects.filter(pk=newest.pk).update(is_current=True, superseded_at=None)
