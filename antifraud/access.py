"""The one access policy: who may see which objects, and who may do what to them.

Every page, API view, selector and service asks this module; nothing else decides it.

Actors are staff users (`accounts.User`) and partner systems (`PartnerClient`, an API key).
Staff of a partner see that partner's objects; staff of the hub (no partner) see every
partner's; a partner system sees its own. Roles grant model permissions (accounts.roles); a
partner system holds the fixed set `PARTNER_API_PERMISSIONS`.

- **May this actor see it?** `visible(actor, queryset)` — on the models of antifraud and
  reviews also `Model.objects.visible_to(actor)` — and `visible_or_404(actor, queryset, pk)`,
  which answers 404 alike for an object that does not exist and for one the actor may not
  see, so that an id never reveals another partner's object. `SCOPES` says, per model, the
  permission needed to see any of it and the path to the partner that owns it.
- **May this actor do this?** Small predicates, `may_<verb>(actor, obj)`.
- **May this actor use this page?** `staff_page(*permissions)` on every page view for staff
  and `public_page` on the few open to anyone; the decorator is the whole entry check, and
  the permission matrix test (tests/test_access_matrix.py) holds every route to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponseBase
from django.utils.translation import gettext as _

from antifraud.errors import NotFound

if TYPE_CHECKING:
    from accounts.models import Partner

M = TypeVar("M", bound=models.Model)
QS = TypeVar("QS", bound=models.QuerySet[Any])
ViewFunc = Callable[..., HttpResponseBase]


class Actor(Protocol):
    """A staff user or a partner system."""

    @property
    def pk(self) -> Any: ...

    @property
    def is_authenticated(self) -> bool: ...

    @property
    def is_active(self) -> bool: ...

    def has_perm(self, perm: str, obj: Any = None) -> bool: ...


# What a partner's system may do with its API key, whatever its kind.
PARTNER_API_PERMISSIONS = frozenset(
    {
        "reviews.add_report",  # report accounts and listings
        "reviews.view_case",  # read its own cases and their decisions
        "reviews.view_decision",
        "antifraud.view_delivery",  # read its own event feed
        "antifraud.view_indicator",  # look values up on the lists
        "antifraud.add_indicator",  # propose, report and withdraw gray-list entries
        "antifraud.dispute_indicator",  # dispute entries
        "antifraud.add_feedback",  # say whether an entry or its hit was right
    }
)


@dataclass(frozen=True)
class Scope:
    # The permission needed to see any object of the model (None: every signed-in actor).
    view: str | None
    # The path from an object to the partner that owns it: "partner", "subject__partner",
    # "pk" for partners themselves; None for objects every partner shares (the lists).
    partner: str | None
    # Seen only by the hub's staff, whatever their permissions.
    hub_only: bool = False
    # Objects of other partners (or of none) a partner's actor also sees: a condition built
    # when asked (the lists' entries in force). None: only its own.
    shared: Callable[[], models.Q] | None = None


def _in_force() -> models.Q:
    from antifraud.models.indicators import in_force_q

    return in_force_q()


SCOPES: dict[str, Scope] = {
    "accounts.partner": Scope(view=None, partner="pk"),
    "accounts.user": Scope(view="accounts.view_user", partner="partner"),
    "accounts.apikey": Scope(view="accounts.view_apikey", partner="partner"),
    "antifraud.subject": Scope(view="antifraud.view_subject", partner="partner"),
    "antifraud.subjectidentifier": Scope(view="antifraud.view_subject", partner="subject__partner"),
    "antifraud.photo": Scope(view="antifraud.view_photo", partner="subject__partner"),
    "antifraud.signal": Scope(view="antifraud.view_signal", partner="subject__partner"),
    # Partner staff see their partner's proposals in every state, and every entry in force.
    "antifraud.indicator": Scope(
        view="antifraud.view_indicator", partner="partner", shared=_in_force
    ),
    "antifraud.corroboration": Scope(view="antifraud.view_indicator", partner="partner"),
    "antifraud.dispute": Scope(view="antifraud.view_indicator", partner="partner"),
    "antifraud.feedback": Scope(view="antifraud.view_indicator", partner="partner"),
    "antifraud.lookuptally": Scope(view="antifraud.view_lookuptally", partner="partner"),
    "antifraud.lookupalert": Scope(view="antifraud.view_lookupalert", partner=None, hub_only=True),
    "antifraud.delivery": Scope(view="antifraud.view_delivery", partner="partner"),
    # Each event is filed under the partner whose trail holds it (antifraud.audit); the
    # checks of the chain are the whole trail's, seen by everyone who reads a trail.
    "antifraud.auditevent": Scope(view="antifraud.view_auditevent", partner="partner"),
    "antifraud.auditchaincheck": Scope(view="antifraud.view_auditevent", partner=None),
    "reviews.policy": Scope(view=None, partner=None),
    "reviews.case": Scope(view="reviews.view_case", partner="partner"),
    "reviews.decision": Scope(view="reviews.view_decision", partner="subject__partner"),
    "reviews.decisionproposal": Scope(view="reviews.view_case", partner="case__partner"),
    "reviews.appeal": Scope(view="reviews.view_appeal", partner="decision__subject__partner"),
    "reviews.appealattachment": Scope(
        view="reviews.view_appealattachment", partner="appeal__decision__subject__partner"
    ),
    "reviews.report": Scope(view="reviews.view_case", partner="partner"),
    "reviews.casedeferral": Scope(view="reviews.view_case", partner="case__partner"),
    "reviews.subjectnote": Scope(view="reviews.view_subjectnote", partner="subject__partner"),
    "reviews.replytemplate": Scope(view="reviews.view_appeal", partner=None),
    "reviews.blocklift": Scope(view="reviews.view_decision", partner="decision__subject__partner"),
    "reviews.qualitysample": Scope(
        view="reviews.view_qualitysample", partner="decision__subject__partner"
    ),
}


def _scope(model: type[models.Model]) -> Scope:
    try:
        return SCOPES[model._meta.label_lower]
    except KeyError:
        # A model nobody was given a scope for is seen by nobody: fail closed.
        return Scope(view="-", partner=None, hub_only=True)


def scope_of(model: type[models.Model]) -> Scope:
    """Who sees the model's objects (the audit trail files each event by it)."""
    return _scope(model)


def signed_in(actor: Actor | None) -> bool:
    return actor is not None and bool(actor.is_authenticated) and bool(actor.is_active)


def may(actor: Actor | None, perm: str) -> bool:
    """The actor holds the permission (through a role, or as a partner system)."""
    return signed_in(actor) and actor is not None and actor.has_perm(perm)


def partner_of(actor: Actor | None) -> int | None:
    """The partner whose objects the actor sees; None for the hub's staff."""
    return getattr(actor, "partner_id", None)


def is_hub(actor: Actor | None) -> bool:
    return signed_in(actor) and partner_of(actor) is None


def _lookup(path: str) -> str:
    return "pk" if path == "pk" else f"{path}_id"


def may_see_some(actor: Actor | None, model: type[models.Model]) -> bool:
    """The actor may see some objects of the model (which ones: `visible`), so that a page
    knows whether to show a section of them at all."""
    scope = _scope(model)
    if not signed_in(actor) or (scope.view is not None and not may(actor, scope.view)):
        return False
    return partner_of(actor) is None or not scope.hub_only


def visible(actor: Actor | None, queryset: QS) -> QS:
    """The objects of `queryset` the actor may see."""
    scope = _scope(queryset.model)
    if not may_see_some(actor, queryset.model):
        return queryset.none()
    partner_id = partner_of(actor)
    if partner_id is None:
        return queryset
    if scope.partner is None:
        return queryset
    own = models.Q(**{_lookup(scope.partner): partner_id})
    return queryset.filter(own | scope.shared() if scope.shared else own)


def owner_partner_id(obj: models.Model) -> int | None:
    """The partner that owns `obj` (None for objects every partner shares)."""
    path = _scope(type(obj)).partner
    if path is None:
        return None
    if path == "pk":
        return int(obj.pk)
    *hops, last = path.split("__")
    target: Any = obj
    for hop in hops:
        target = getattr(target, hop)
    value = getattr(target, f"{last}_id")
    return None if value is None else int(value)


def in_scope(actor: Actor | None, obj: models.Model) -> bool:
    """An object already loaded is one the actor may see: the same rule as `visible`."""
    scope = _scope(type(obj))
    if not may_see_some(actor, type(obj)):
        return False
    partner_id = partner_of(actor)
    if partner_id is None:
        return True
    if scope.partner is None or owner_partner_id(obj) == partner_id:
        return True
    return (
        scope.shared is not None
        and type(obj)._default_manager.filter(scope.shared(), pk=obj.pk).exists()
    )


def visible_or_404(actor: Actor | None, queryset: models.QuerySet[M], pk: Any) -> M:
    """The object, if it exists and the actor may see it; NotFound (a 404) otherwise."""
    found = visible(actor, queryset).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("no such %(thing)s") % {"thing": queryset.model._meta.verbose_name})
    return found


def partners_in_scope(actor: Actor | None) -> models.QuerySet[Partner]:
    """The partners whose objects the actor sees, by name."""
    from accounts.models import Partner

    return visible(actor, Partner.objects.order_by("name"))


class VisibleQuerySet(models.QuerySet[M]):
    """`Model.objects.visible_to(actor)` for the models of antifraud and reviews."""

    def visible_to(self, actor: Actor | None) -> Self:
        return visible(actor, self)


# --- what actors may do -----------------------------------------------------------------
#
# The objects are duck-typed: this module sits below reviews and cannot import its models.


class _Case(Protocol):
    partner_id: int
    is_escalated: bool


class _Proposal(Protocol):
    proposed_by_id: int


class _Decision(Protocol):
    decided_by_id: int | None
    approved_by_id: int | None


def may_work_cases(actor: Actor | None, *, escalated: bool = False) -> bool:
    """May claim and decide cases (escalations: senior moderators)."""
    return may(actor, "reviews.claim_case") and (
        not escalated or may(actor, "reviews.claim_escalated_case")
    )


def may_claim_case(actor: Actor | None, case: models.Model) -> bool:
    escalated = bool(getattr(case, "is_escalated", False))
    return may_work_cases(actor, escalated=escalated) and in_scope(actor, case)


def may_decide_case(actor: Actor | None, case: models.Model) -> bool:
    return may(actor, "reviews.add_decision") and may_claim_case(actor, case)


def may_act_on_subject(actor: Actor | None, subject: models.Model) -> bool:
    """A subject decided along with a ring: partner staff act on their own partner's only."""
    return may(actor, "reviews.add_decision") and in_scope(actor, subject)


def may_note_subject(actor: Actor | None, subject: models.Model) -> bool:
    """Internal notes on a subject: moderators, seniors and administrators who see it.
    Supervisors read them (`visible`) but do not write them."""
    return may(actor, "reviews.add_subjectnote") and in_scope(actor, subject)


def may_approve(actor: Actor | None, proposal: models.Model) -> bool:
    """Someone else than the proposer, with the right, in the case's scope."""
    proposer = getattr(proposal, "proposed_by_id", None)
    return (
        may(actor, "reviews.approve_decision")
        and actor is not None
        and proposer != actor.pk
        and in_scope(actor, proposal)
    )


def took_part(actor: Actor | None, decision: _Decision) -> bool:
    """The actor made or approved the decision (four eyes: they never review its appeal)."""
    return actor is not None and actor.pk in (decision.decided_by_id, decision.approved_by_id)


def may_review_appeals(actor: Actor | None) -> bool:
    return may(actor, "reviews.review_appeal")


def may_review_appeal(actor: Actor | None, appeal: models.Model) -> bool:
    decision = getattr(appeal, "decision", None)
    return (
        may_review_appeals(actor)
        and in_scope(actor, appeal)
        and decision is not None
        and not took_part(actor, decision)
    )


def may_review_sample(actor: Actor | None, sample: models.Model) -> bool:
    """A supervisor judges a sampled decision they did not make or approve themselves."""
    decision = getattr(sample, "decision", None)
    return (
        may(actor, "reviews.review_qualitysample")
        and in_scope(actor, sample)
        and decision is not None
        and not took_part(actor, decision)
    )


def may_see_deciders(actor: Actor | None) -> bool:
    """Supervisors see who decided; reviewers judge the decision, not the colleague."""
    return may(actor, "antifraud.view_auditevent")


def may_oversee(actor: Actor | None) -> bool:
    """Supervisors and administrators: every figure of the dashboard, in their scope, and
    each colleague's line. Others who decide see only their own line."""
    return may(actor, "antifraud.view_auditevent")


def may_open_oversight(actor: Actor | None) -> bool:
    """The dashboard: supervisors, administrators, and moderators for their own line."""
    return may_oversee(actor) or may_work_cases(actor)


def may_read_approvals(actor: Actor | None) -> bool:
    """The decisions awaiting a second approval: the senior moderators who approve them,
    and the supervisors who watch the queues (read only)."""
    return may(actor, "reviews.approve_decision") or may_oversee(actor)


def may_verify_audit_chain(actor: Actor | None) -> bool:
    """The chain runs through every partner's events: the hub's supervisors and
    administrators have it verified; partners' supervisors read the outcome."""
    return is_hub(actor) and may(actor, "antifraud.view_auditevent")


def may_retry_delivery(actor: Actor | None, delivery: models.Model) -> bool:
    return may(actor, "antifraud.retry_delivery") and in_scope(actor, delivery)


def may_add_staff(actor: Actor | None, partner: Partner | None) -> bool:
    """Administrators add staff to their own partner; the hub's, to any partner or the hub."""
    own = partner_of(actor)
    target = partner.pk if partner is not None else None
    return may(actor, "accounts.add_user") and (own is None or own == target)


def may_manage_partners(actor: Actor | None) -> bool:
    """Partner records (and their webhook secrets) are the hub's registry."""
    return is_hub(actor) and may(actor, "accounts.change_partner")


def may_change_detection_rules(actor: Actor | None) -> bool:
    """A rule runs on every partner's reports: only the hub's administrators change one."""
    return is_hub(actor) and may(actor, "antifraud.change_detectionrule")


class _Indicator(Protocol):
    pk: Any
    partner_id: int | None
    created_by_id: int | None


def listed_it(actor: Actor | None, indicator: _Indicator) -> bool:
    """The actor put the entry on a list, or staff of the partner that proposed it."""
    own = partner_of(actor)
    return actor is not None and (
        actor.pk == indicator.created_by_id or (own is not None and own == indicator.partner_id)
    )


def may_dispute_indicator(actor: Actor | None, indicator: models.Model) -> bool:
    return may(actor, "antifraud.dispute_indicator") and in_scope(actor, indicator)


def may_report_reassignments(actor: Actor | None) -> bool:
    """Only a telecom operator's system says that a number went to a new subscriber."""
    from accounts.models import Partner

    partner = getattr(actor, "partner", None)
    return (
        may(actor, "antifraud.add_indicator")
        and partner is not None
        and partner.kind == Partner.Kind.TELECOM
    )


def may_review_indicator(
    actor: Actor | None, indicator: models.Model, *, revoking: bool = False
) -> bool:
    """Promotion and disputes: a senior moderator who did not list the entry, so that no
    partner promotes or keeps its own entry alone. Revocation and release from quarantine:
    any senior moderator who sees it (a lister may take back their own mistake)."""
    return (
        may(actor, "antifraud.review_indicator")
        and in_scope(actor, indicator)
        and (revoking or not listed_it(actor, indicator))  # type: ignore[arg-type]
    )


def may_see_entry_evidence(actor: Actor | None, indicator: models.Model) -> bool:
    """Every partner's support, disputes and feedback on an entry: seen by the senior
    moderators who may revoke it, as they judge it on them. Others see their own partner's
    (`visible`)."""
    return may_review_indicator(actor, indicator, revoking=True)


def may_manage_api_keys(actor: Actor | None, partner: Partner) -> bool:
    own = partner_of(actor)
    return may(actor, "accounts.add_apikey") and (own is None or own == partner.pk)


# --- pages ------------------------------------------------------------------------------


PageCheck = str | Callable[[Actor | None], bool]


def _passes(actor: Actor | None, check: PageCheck) -> bool:
    return may(actor, check) if isinstance(check, str) else check(actor)


def staff_page(*permissions: PageCheck) -> Callable[[ViewFunc], ViewFunc]:
    """A page for signed-in staff who hold every permission named, and pass every predicate
    given (`may_read_approvals`, for a page that either of two rights opens): anonymous
    visitors go to sign-in, others get 403. The object checks inside are `visible_or_404`
    and the predicates above."""

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not all(_passes(user, check) for check in permissions):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.access = ("staff", permissions)  # type: ignore[attr-defined]
        return wrapped

    return decorator


def public_page(view: ViewFunc) -> ViewFunc:
    """A page open to anyone (sign-in, health, the appeal page behind its signed link)."""
    view.access = ("public", ())  # type: ignore[attr-defined]
    return view
