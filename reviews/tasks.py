"""Celery tasks of reviews: plain values in, one service call, safe to run twice."""

from __future__ import annotations

from datetime import date
from typing import Any

from celery import shared_task

from antifraud.queueing import ProjectTask
from reviews import services
from reviews.services import block_ends, digests
from reviews.transparency.compute import figures_refresh


@shared_task(base=ProjectTask)
def case_leases_sweep() -> int:
    return services.case_leases_sweep()


@shared_task(base=ProjectTask)
def appeal_leases_sweep() -> int:
    return services.appeal_leases_sweep()


@shared_task(base=ProjectTask)
def block_ends_lift() -> int:
    return block_ends.block_ends_lift()


@shared_task(base=ProjectTask)
def transparency_figures_refresh() -> int:
    """The public pages' figures of the current and the previous month, recomputed."""
    return figures_refresh()


@shared_task(base=ProjectTask)
def appeal_emails_resend_lost() -> int:
    return services.appeal_emails_resend_lost()


class AppealEmailTask(ProjectTask):
    """Once the last retry has failed (or the error is one a retry cannot mend), the failure
    is recorded on the appeal: an e-mail never vanishes without a trace."""

    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        appeal_id, kind = args
        services.appeal_email_failed(
            appeal_id=appeal_id, kind=kind, error=f"{type(exc).__name__}: {exc}"
        )


@shared_task(base=AppealEmailTask, autoretry_for=(OSError,), retry_backoff=60, max_retries=5)
def appeal_email_send(appeal_id: int, kind: str) -> bool:
    return services.appeal_email_send(appeal_id=appeal_id, kind=kind)


@shared_task(base=ProjectTask)
def supervisor_digests_send() -> int:
    return digests.supervisor_digests_send()


class DigestEmailTask(ProjectTask):
    """As for appeal e-mails: a digest that fails its last retry is audited."""

    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        user_id, day = args
        digests.supervisor_digest_failed(
            user_id=user_id, day=date.fromisoformat(day), error=f"{type(exc).__name__}: {exc}"
        )


@shared_task(base=DigestEmailTask, autoretry_for=(OSError,), retry_backoff=60, max_retries=5)
def supervisor_digest_send(user_id: int, day: str) -> bool:
    return digests.supervisor_digest_send(user_id=user_id, day=date.fromisoformat(day))
