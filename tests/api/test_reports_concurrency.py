"""Concurrent batches about the same new account (PostgreSQL: SQLite serialises writers)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from antifraud.models import Subject
from reviews.models import Report
from tests.api.conftest import client_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_two_batches_naming_the_same_new_account_are_both_accepted(kolesa_key):
    key = kolesa_key[1]
    answers: list[dict] = []
    for attempt in range(5):
        barrier = threading.Barrier(2)

        def send(n: int, attempt: int = attempt, barrier: threading.Barrier = barrier) -> None:
            try:
                body = {
                    "reports": [
                        {
                            "report_id": f"r-{attempt}-{n}",
                            "subject": {"kind": "listing", "external_id": f"l-{attempt}-{n}"},
                            "account": {"external_id": f"shared-{attempt}"},
                            "signal": {"scheme": "other", "explanation": "Complaint."},
                        }
                    ]
                }
                barrier.wait()
                answers.append(client_for(key).post("/api/v1/reports/", body, format="json").json())
            finally:
                connection.close()

        threads = [threading.Thread(target=send, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert [a["accepted"] for a in answers] == [1] * 10, answers
    assert Report.objects.count() == 10
    assert Subject.objects.filter(kind="account").count() == 5
