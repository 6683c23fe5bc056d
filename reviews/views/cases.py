"""The moderators' pages: the queues, the case page, claiming, skipping, snoozing, deciding.

Views parse input, call a selector or a service, and render. htmx requests get the case
workspace alone (a template partial), so "decide and next" swaps in the next case without a
page load; the same URLs work without JavaScript through redirects.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, push_url

from accounts.http import StaffRequest
from accounts.languages import LANGUAGE_CODES, language_or_default
from antifraud import access
from antifraud.access import staff_page, visible_or_404
from antifraud.errors import DomainError, InvalidInput, raise_for_page
from reviews import services
from reviews.filters import CaseFilter
from reviews.forms import (
    DecisionForm,
    RejectProposalForm,
    SnoozeForm,
    StatementQuery,
    decision_summaries,
)
from reviews.limits import TEXT_MAX
from reviews.models import Case, Decision, Policy
from reviews.queues import Queue
from reviews.selectors import (
    CaseDetail,
    case_detail,
    case_snoozes,
    open_cases_of,
    queue_cases,
    queue_counts,
    skipped_case_ids,
    with_snooze_of,
)
from reviews.services.cases import case_claimable
from reviews.services.decisions import block_length_label

logger = logging.getLogger(__name__)

UNKNOWN_OUTCOME = gettext_lazy(
    "The database could not be reached, so it is not known whether your decision was "
    "recorded. Sending this same form again is safe: it is recorded once, however often it "
    "is sent."
)
NOT_RECORDED = gettext_lazy(
    "The database failed and your decision was not recorded. Send it again when you are ready."
)


def _queue_or_default(key: str | None, case: Case | None = None) -> Queue:
    if not key and case is not None:
        key = (
            "escalated" if case.is_escalated else f"partner:{case.partner.slug}:{case.subject_kind}"
        )
    try:
        return Queue.parse(key)
    except InvalidInput:
        return Queue.parse("all")


def _case_for(request: StaffRequest, case_id: int) -> Case:
    return visible_or_404(
        request.user,
        Case.objects.select_related("subject__partner", "partner", "claimed_by"),
        case_id,
    )


def _case_url(case: Case, queue: Queue) -> str:
    return reverse("case", args=[case.pk]) + "?" + urlencode({"queue": queue.key})


# --- the queues -------------------------------------------------------------------------


@staff_page("reviews.view_case")
@require_GET
def queue_page(request: StaffRequest) -> HttpResponse:
    try:
        queue = Queue.parse(request.GET.get("queue"))
    except InvalidInput as error:
        messages.error(request, error.message)
        queue = Queue.parse("all")
    cases = queue_cases(user=request.user, queue=queue)
    filterset = CaseFilter(request.GET, queryset=cases, user=request.user)
    listed = filterset.qs if filterset.is_valid() else cases.none()
    # Each case says whether the moderator snoozed it (others' snoozes do not hide it).
    listed = with_snooze_of(listed, user=request.user, now=timezone.now())
    page = Paginator(listed, settings.QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reviews/queue.html",
        {
            "queue": queue,
            "queues": queue_counts(user=request.user),
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "may_claim": access.may_work_cases(request.user, escalated=queue.escalated),
        },
    )


@staff_page("reviews.claim_case")
@require_POST
def claim_next(request: StaffRequest) -> HttpResponse:
    queue = _queue_or_default(request.POST.get("queue"))
    try:
        case = _claim_next(request, queue)
    except DomainError as error:
        raise_for_page(error)
        messages.error(request, error.message)
        return redirect(reverse("home") + "?" + urlencode({"queue": queue.key}))
    return _show_next(request, case, queue)


def _claim_next(request: StaffRequest, queue: Queue) -> Case | None:
    """The next case for the moderator; says so when only cases they skipped were left."""
    now = timezone.now()
    case = services.case_claim_next(actor=request.user, queue=queue, now=now)
    fresh = case is not None and case.claimed_at == now  # not the case they already held
    if fresh and case is not None and case.pk in skipped_case_ids(user=request.user, now=now):
        messages.info(
            request,
            _("Only cases you skipped are waiting: here is the one you skipped first."),
        )
    return case


def _show_next(request: StaffRequest, case: Case | None, queue: Queue) -> HttpResponse:
    if case is None:
        messages.info(request, _("Nothing is waiting in this queue."))
        target = reverse("home") + "?" + urlencode({"queue": queue.key})
        return HttpResponseClientRedirect(target) if request.htmx else redirect(target)
    if request.htmx:
        response = _render_case(request, case, queue, partial=True)
        return push_url(response, _case_url(case, queue))
    return redirect(_case_url(case, queue))


# --- the case page ----------------------------------------------------------------------


def _default_policies(detail: CaseDetail) -> dict[str, int]:
    by_code = {p.code: p for p in detail.policies}
    scheme_policy = next(
        (p for p in detail.policies if p.scheme == detail.case.scheme), by_code.get("other-fraud")
    )
    defaults: dict[str, int] = {}
    for action in (
        Decision.Action.BLOCK_ACCOUNT,
        Decision.Action.REMOVE_LISTING,
        Decision.Action.WARN,
    ):
        policy = (
            scheme_policy
            if scheme_policy and scheme_policy.allows(action)
            else by_code.get("other-fraud")
        )
        if policy:
            defaults[action] = policy.pk
    if "no-violation" in by_code:
        defaults[Decision.Action.CLEAR] = by_code["no-violation"].pk
    return defaults


def _language(detail: CaseDetail) -> str:
    return language_or_default(detail.subject.language)


def _decision_form(request: StaffRequest, detail: CaseDetail, data: Any = None) -> DecisionForm:
    defaults = _default_policies(detail)
    language = _language(detail)
    initial_policy = next(
        (p for p in detail.policies if p.pk == defaults.get(Decision.Action.BLOCK_ACCOUNT)), None
    )
    initial: dict[str, Any] = {"language": language}
    if initial_policy:
        initial["policy"] = initial_policy.pk
        initial["statement_of_reasons"] = services.statement_prefill(
            initial_policy, detail.subject, language
        )
        initial["block_days"] = initial_policy.durations[0]
        # What a block under the policy normally lists goes on the black list unless the
        # moderator says otherwise (the page's script follows the action and the policy).
        for identifier in detail.identifiers:
            if identifier.kind in initial_policy.default_indicator_kinds:
                initial[f"indicator_{identifier.pk}"] = "black"
    return DecisionForm(
        data,
        initial=initial,
        identifiers=detail.identifiers,
        linked_ids=[entry.subject.pk for entry in detail.linked],
    )


def _render_case(
    request: StaffRequest,
    case: Case,
    queue: Queue,
    *,
    form: DecisionForm | None = None,
    snooze_form: SnoozeForm | None = None,
    partial: bool = False,
    status: int = 200,
) -> HttpResponse:
    detail = case_detail(case, user=request.user)
    held = case.is_held_by(request.user)
    language = (
        form.data.get("language") if form is not None and form.is_bound else _language(detail)
    )
    if language not in LANGUAGE_CODES:
        language = _language(detail)
    now = timezone.now()
    linked_ids = [entry.subject.pk for entry in detail.linked]
    # Each linked subject links to its case under review, else to its story (links_tags).
    open_cases = open_cases_of(user=request.user, subject_ids=linked_ids)
    for entry in detail.linked:
        entry.subject.open_case_id = open_cases.get(entry.subject.pk)  # type: ignore[attr-defined]
    shown_form = (form or _decision_form(request, detail)) if held else None
    context = {
        "case": case,
        "detail": detail,
        "queue": queue,
        "held": held,
        # Offered only when a claim can succeed (not on a case awaiting approval, decided,
        # or held by someone whose lease runs).
        "may_claim": access.may_claim_case(request.user, case)
        and not held
        and case_claimable(case, now),
        "holding": _holding(request, queue, now),
        "snoozes": case_snoozes(case=case, now=now),
        "snooze_form": snooze_form or SnoozeForm(now=now),
        "form": shown_form,
        **(_decision_context(shown_form, detail, linked_ids) if shown_form is not None else {}),
        "statements": [
            (p.pk, services.statement_prefill(p, detail.subject, language)) for p in detail.policies
        ],
        "default_policies_json": json.dumps(_default_policies(detail)),
        "may_approve": detail.proposal is not None
        and access.may_approve(request.user, detail.proposal),
        "reject_form": RejectProposalForm(),
        "text_max": TEXT_MAX,
    }
    template = "reviews/case.html#workspace" if partial else "reviews/case.html"
    return render(request, template, context, status=status)


def _holding(request: StaffRequest, queue: Queue, now: Any) -> int | None:
    """The case of the queue the moderator holds, if any: `n` resumes it rather than
    giving the next one, and the button says so."""
    return (
        Case.objects.visible_to(request.user)
        .filter(queue.condition(), status=Case.Status.CLAIMED, claimed_by=request.user)
        .filter(lease_until__gt=now)
        .values_list("pk", flat=True)
        .first()
    )


def _decision_context(
    form: DecisionForm, detail: CaseDetail, linked_ids: list[int]
) -> dict[str, Any]:
    """What the decision form shows besides its fields: the ring's ticks, the chosen policy's
    block lengths, and the summary line with every sentence the script may switch to."""
    chosen = next((p for p in detail.policies if str(p.pk) == form.choice("policy")), None)
    durations = chosen.durations if chosen else Policy(block_durations=[]).durations
    checked = form.choice("block_days")
    if checked not in {str(days) for days in durations}:
        checked = str(durations[0])
    texts = decision_summaries(
        linked=len(linked_ids),
        identifiers=len(detail.identifiers),
        durations={days for policy in detail.policies for days in policy.durations},
    )
    return {
        "ticked_ring": form.ticked_ring(),
        "block_lengths": [(str(days), block_length_label(days)) for days in durations],
        "block_days_checked": checked,
        "summary_json": json.dumps(texts),
        "summary": form.summary(texts, linked_ids, block_days=checked),
    }


@staff_page("reviews.view_case")
@require_GET
def case_page(request: StaffRequest, case_id: int) -> HttpResponse:
    case = _case_for(request, case_id)
    return _render_case(request, case, _queue_or_default(request.GET.get("queue"), case))


@staff_page("reviews.claim_case")
@require_POST
def case_claim(request: StaffRequest, case_id: int) -> HttpResponse:
    case = _case_for(request, case_id)
    queue = _queue_or_default(request.POST.get("queue"), case)
    try:
        case = services.case_claim(actor=request.user, case_id=case.pk)
    except DomainError as error:
        raise_for_page(error)
        messages.error(request, error.message)
    return redirect(_case_url(case, queue))


@staff_page("reviews.claim_case")
@require_POST
def case_release(request: StaffRequest, case_id: int) -> HttpResponse:
    case = _case_for(request, case_id)
    queue = _queue_or_default(request.POST.get("queue"), case)
    try:
        services.case_release(actor=request.user, case_id=case.pk)
        messages.info(request, _("The case is back in its queue."))
    except DomainError as error:
        raise_for_page(error)
        messages.error(request, error.message)
    return redirect(reverse("home") + "?" + urlencode({"queue": queue.key}))


@staff_page("reviews.claim_case")
@require_POST
def case_renew(request: StaffRequest, case_id: int) -> HttpResponse:
    """The case page calls this while open, so the lease lasts as long as the work."""
    case = _case_for(request, case_id)
    try:
        services.case_lease_renew(actor=request.user, case_id=case.pk)
    except DomainError:
        return render(request, "reviews/_lease_lost.html", {"case": case})
    return HttpResponse(status=204)


@staff_page("reviews.claim_case")
@require_POST
def case_skip(request: StaffRequest, case_id: int) -> HttpResponse:
    """Put the held case back in the queue and open the next one: not this one again while
    others wait."""
    case = _case_for(request, case_id)
    queue = _queue_or_default(request.POST.get("queue"), case)
    try:
        services.case_skip(actor=request.user, case_id=case.pk)
    except DomainError as error:
        raise_for_page(error)
        messages.error(request, error.message)
        return _back_to_case(request, case, queue)
    messages.info(request, _("Case %(id)s skipped: it is back in the queue.") % {"id": case.pk})
    return _next_after(request, case, queue)


@staff_page("reviews.claim_case")
@require_POST
def case_snooze(request: StaffRequest, case_id: int) -> HttpResponse:
    """Put the held case aside for the moderator until a time or a new signal, with a note,
    and open the next one."""
    case = _case_for(request, case_id)
    queue = _queue_or_default(request.POST.get("queue"), case)
    form = SnoozeForm(request.POST)
    if not form.is_valid():
        return _render_case(
            request, case, queue, snooze_form=form, partial=bool(request.htmx), status=422
        )
    try:
        deferral = services.case_snooze(
            actor=request.user,
            case_id=case.pk,
            until=form.cleaned_data["snooze_until"],
            note=form.cleaned_data["note"],
            now=form.now,
        )
    except DomainError as error:
        raise_for_page(error)
        case.refresh_from_db()
        form.add_error(None, error.message)
        return _render_case(
            request, case, queue, snooze_form=form, partial=bool(request.htmx), status=409
        )
    until = timezone.localtime(deferral.until)
    messages.info(
        request,
        _("Case %(id)s snoozed until %(until)s: you get it again then, or when a signal joins it.")
        % {"id": case.pk, "until": f"{until:%d.%m.%Y %H:%M}"},
    )
    return _next_after(request, case, queue)


def _back_to_case(request: StaffRequest, case: Case, queue: Queue) -> HttpResponse:
    target = _case_url(case, queue)
    return HttpResponseClientRedirect(target) if request.htmx else redirect(target)


def _next_after(request: StaffRequest, case: Case, queue: Queue) -> HttpResponse:
    """The next case once this one is put aside; the change has committed, so nothing after
    it may turn into an error."""
    try:
        following = _claim_next(request, queue)
    except (DomainError, DatabaseError):
        logger.warning("no next case after putting case %s aside", case.pk, exc_info=True)
        following = None
    return _show_next(request, following, queue)


@staff_page("reviews.claim_case", "reviews.add_decision")
@require_POST
def case_decide(request: StaffRequest, case_id: int) -> HttpResponse:
    case = _case_for(request, case_id)
    queue = _queue_or_default(request.POST.get("queue"), case)
    detail = case_detail(case)
    form = DecisionForm(
        request.POST,
        identifiers=detail.identifiers,
        linked_ids=[entry.subject.pk for entry in detail.linked],
    )
    if not form.is_valid():
        return _render_case(request, case, queue, form=form, partial=bool(request.htmx), status=422)
    try:
        if form.is_escalation:
            services.case_escalate(
                actor=request.user, case_id=case.pk, note=form.cleaned_data["internal_note"]
            )
            messages.success(
                request, _("Case %(id)s escalated to the senior moderators.") % {"id": case.pk}
            )
        else:
            try:
                outcome = services.decision_record(
                    actor=request.user, case_id=case.pk, request=form.to_request()
                )
            except DatabaseError:
                logger.warning("deciding case %s failed in the database", case.pk, exc_info=True)
                state = _attempt_state(request, case, form.cleaned_data.get("attempt"))
                if state not in ("decided", "proposed"):
                    return _decision_unsure(request, case, recorded=state)
                messages.success(
                    request,
                    _("Case %(id)s: the database failed after your decision, and it was recorded.")
                    % {"id": case.pk},
                )
            else:
                _say_decided(request, case, outcome)
    except DomainError as error:
        raise_for_page(error)
        case.refresh_from_db()
        form.add_error(None, error.message)
        if not case.is_held_by(request.user):
            # The form is shown only to who holds the case: say it above the page instead.
            messages.error(request, error.message)
        return _render_case(request, case, queue, form=form, partial=bool(request.htmx), status=409)
    try:
        following = _claim_next(request, queue)
    except (DomainError, DatabaseError):
        # The decision has committed: nothing after it may turn it into an error.
        logger.warning("no next case after deciding case %s", case.pk, exc_info=True)
        following = None
    return _show_next(request, following, queue)


def _say_decided(request: StaffRequest, case: Case, outcome: services.DecisionOutcome) -> None:
    if outcome.replayed:
        messages.info(
            request, _("Case %(id)s: this decision had already been recorded.") % {"id": case.pk}
        )
    elif outcome.pending:
        messages.warning(
            request,
            _("Case %(id)s waits for a second moderator's approval before it takes effect.")
            % {"id": case.pk},
        )
    else:
        count = len(outcome.decisions)
        messages.success(
            request,
            ngettext(
                "Case %(id)s decided: %(action)s, %(count)d decision.",
                "Case %(id)s decided: %(action)s, %(count)d decisions.",
                count,
            )
            % {
                "id": case.pk,
                "action": outcome.decisions[0].get_action_display(),
                "count": count,
            },
        )


def _attempt_state(request: StaffRequest, case: Case, attempt: uuid.UUID | None) -> str:
    """After the database failed mid-decision: did the form take effect? Asked on a fresh
    connection; "unknown" while the database is still away."""
    if attempt is None:
        return "unknown"
    if not connection.in_atomic_block:
        connection.close()
    try:
        return services.decision_attempt_outcome(
            actor=request.user, case_id=case.pk, attempt=attempt
        )
    except DatabaseError:
        logger.warning("the outcome of deciding case %s is unknown", case.pk, exc_info=True)
        return "unknown"


def _decision_unsure(request: StaffRequest, case: Case, *, recorded: str) -> HttpResponse:
    """Say plainly whether the decision took effect, and offer to send the same form again.
    Drawn from the request alone: the database may still be away."""
    fields = [
        (name, value)
        for name in request.POST
        if name != "csrfmiddlewaretoken"
        for value in request.POST.getlist(name)
    ]
    response = render(
        request,
        "reviews/_decision_unsure.html",
        {
            "case_id": case.pk,
            "message": NOT_RECORDED if recorded == "none" else UNKNOWN_OUTCOME,
            "fields": fields,
        },
        status=503,
    )
    response["Retry-After"] = "5"
    return response


@staff_page("reviews.view_case")
@require_GET
def case_statement(request: StaffRequest, case_id: int) -> HttpResponse:
    """The statement template of a policy in a language, filled in for this subject."""
    case = _case_for(request, case_id)
    query = StatementQuery(request.GET)
    if not query.is_valid():
        return HttpResponse(query.problem(), status=400, content_type="text/plain; charset=utf-8")
    policy, language = query.cleaned_data["policy"], query.cleaned_data["language"]
    return render(
        request,
        "reviews/case.html#statement",
        {
            "statement": services.statement_prefill(policy, case.subject, language),
            "text_max": TEXT_MAX,
        },
    )
