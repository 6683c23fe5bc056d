"""The permission matrix: every route of the URLconf against every kind of caller.

`test_every_route_has_a_row` walks the whole URLconf (pages, htmx endpoints, API, admin,
public pages); a route without a row here fails the build. Each row then says what each
caller gets, and `test_route_answers_each_caller_as_the_table_says` asks. The objects named
in URLs belong to Kolesa: the staff of another partner get 404 for them, never 403.

Answers: `ok` (let in: any answer but 401, 403, 404, 405, a sign-in redirect or a 5xx — a
refusal by the domain, such as 409 for deciding a case one does not hold, is still "let
in"), `login` (sent to sign in), `adminlogin` (sent to the admin's sign-in), or a status.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from PIL import Image

from accounts.models import ApiKey, Partner, User
from accounts.roles import Role
from antifraud.models import AuditEvent, Delivery, Indicator, Photo, Signal, Subject
from antifraud.photos import photo_hashes, photo_store
from antifraud.services.keys import api_key_create
from reviews import services
from reviews.links import appeal_token
from reviews.models import Appeal, Case, Decision, DecisionProposal, Policy
from reviews.services import DecisionRequest, IndicatorChoice
from reviews.uploads import Upload
from tests.factories import UserFactory, listing_case

pytestmark = pytest.mark.django_db

ACTORS = (
    "anonymous",
    "moderator",  # Kolesa's staff, one per role
    "senior",
    "supervisor",
    "admin",
    "other_partner",  # Krisha's administrator: every permission, another partner
    "hub",  # a hub moderator: every partner's queues
    "hub_admin",  # the hub's superuser, who uses the Django admin
    "api_key",  # Kolesa's system
    "other_key",  # Krisha's system
)


@dataclass(frozen=True)
class World:
    case: Case
    proposal: DecisionProposal
    decision: Decision
    appeal: Appeal
    photo: Photo
    delivery: Delivery
    users: dict[str, User]
    keys: dict[str, str]

    def admin_object(self, label: str) -> int:
        """The pk of some row of the model, for the admin's object pages."""
        model = ContentType.objects.get_by_natural_key(*label.split(".")).model_class()
        assert model is not None
        pk = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        assert pk is not None, f"the world has no {label}"
        return int(pk)


@dataclass(frozen=True)
class Row:
    method: str
    path: Callable[[World], str]
    answers: str  # one answer per actor, in the order of ACTORS
    body: str | None = None  # JSON for the API; form posts send nothing

    def expected(self) -> dict[str, str]:
        answers = self.answers.split()
        assert len(answers) == len(ACTORS), self
        return dict(zip(ACTORS, answers, strict=True))


def get(path: Callable[[World], str], answers: str) -> Row:
    return Row("GET", path, answers)


def post(path: Callable[[World], str], answers: str) -> Row:
    return Row("POST", path, answers)


def api(method: str, path: Callable[[World], str], answers: str) -> Row:
    return Row(method, path, answers, body="{}" if method == "POST" else None)


def fixed(name: str, *args: object) -> Callable[[World], str]:
    return lambda w: reverse(name, args=args)


def case_url(name: str) -> Callable[[World], str]:
    return lambda w: reverse(name, args=[w.case.pk])


def appeal_url(name: str) -> Callable[[World], str]:
    return lambda w: reverse(name, args=[w.appeal.pk])


def proposal_url(name: str) -> Callable[[World], str]:
    return lambda w: reverse(name, args=[w.proposal.pk])


#                         anonymous   mod senior sup admin other hub hubadm key okey
EVERYONE = "ok ok ok ok ok ok ok ok ok ok"
STAFF_READ = "login ok ok ok ok ok ok ok login login"
CASE_READ = "login ok ok ok ok 404 ok ok login login"
CASE_WORK = "login ok ok 403 ok 404 ok ok login login"
SENIOR_LIST = "login 403 ok 403 ok ok 403 ok login login"
SENIOR_WORK = "login 403 ok 403 ok 404 403 ok login login"
APPEAL_READ = "login 403 ok ok ok 404 403 ok login login"
OVERSEE = "login 403 403 ok ok ok 403 ok login login"
API_PARTNER = "401 401 401 401 401 401 401 401 ok ok"

ROWS: dict[str, Row] = {
    # --- public
    "healthz": get(fixed("healthz"), EVERYONE),
    "login": get(fixed("login"), EVERYONE),
    "logout": post(fixed("logout"), "login " * 10),
    "appeal": get(lambda w: reverse("appeal", args=[w_token(w)]), EVERYONE),
    # The transparency report and its downloads.
    "public-transparency": get(fixed("public-transparency"), EVERYONE),
    "public-transparency-csv": get(fixed("public-transparency-csv"), EVERYONE),
    "public-transparency-json": get(fixed("public-transparency-json"), EVERYONE),
    # The scam-awareness page and its printable version.
    "public-scams": get(fixed("public-scams"), EVERYONE),
    "public-scams-print": get(fixed("public-scams-print"), EVERYONE),
    # The published policy catalogue, a policy's history and one of its versions.
    "public-policies": get(fixed("public-policies"), EVERYONE),
    "public-policy": get(fixed("public-policy", "fake-photos"), EVERYONE),
    "public-policy-version": get(fixed("public-policy-version", "fake-photos", 1), EVERYONE),
    # --- the moderators' pages
    "home": get(fixed("home"), STAFF_READ),
    # Every signed-in person chooses their own language; POST data is empty here, so the
    # answer is the refusal message and a redirect home, not a change.
    "language-set": post(fixed("language-set"), STAFF_READ),
    "claim-next": post(fixed("claim-next"), "login ok ok 403 ok ok ok ok login login"),
    "case": get(case_url("case"), CASE_READ),
    "case-claim": post(case_url("case-claim"), CASE_WORK),
    "case-release": post(case_url("case-release"), CASE_WORK),
    "case-renew": post(case_url("case-renew"), CASE_WORK),
    "case-note-add": post(case_url("case-note-add"), CASE_WORK),
    "case-decide": post(case_url("case-decide"), CASE_WORK),
    "case-skip": post(case_url("case-skip"), CASE_WORK),
    "case-snooze": post(case_url("case-snooze"), CASE_WORK),
    "case-statement": get(
        lambda w: (
            reverse("case-statement", args=[w.case.pk])
            + f"?policy={Policy.objects.get(code='fake-photos', is_current=True).pk}&language=kk"
        ),
        CASE_READ,
    ),
    "photo": get(lambda w: reverse("photo", args=[w.photo.pk]), CASE_READ),
    # Senior moderators approve from the case page; supervisors read the list.
    "approvals": get(fixed("approvals"), "login 403 ok ok ok ok 403 ok login login"),
    # The dashboard: supervisors and administrators see their scope; moderators, their
    # own line only.
    "oversight": get(fixed("oversight"), STAFF_READ),
    "proposal-approve": post(proposal_url("proposal-approve"), SENIOR_WORK),
    "proposal-reject": post(proposal_url("proposal-reject"), SENIOR_WORK),
    # --- appeals
    "appeals": get(fixed("appeals"), "login 403 ok ok ok ok 403 ok login login"),
    "appeal-claim-next": post(fixed("appeal-claim-next"), SENIOR_LIST),
    "appeal-review": get(appeal_url("appeal-review"), APPEAL_READ),
    "appeal-claim": post(appeal_url("appeal-claim"), SENIOR_WORK),
    "appeal-release": post(appeal_url("appeal-release"), SENIOR_WORK),
    "appeal-resolve": post(appeal_url("appeal-resolve"), SENIOR_WORK),
    # The reply field refilled from a template: for those who resolve appeals.
    "appeal-reply": get(
        lambda w: reverse("appeal-reply", args=[w.appeal.pk]) + "?outcome=uphold", SENIOR_WORK
    ),
    "appeal-attachment": get(
        lambda w: reverse("appeal-attachment", args=[w.appeal.pk, w.appeal.attachments.get().pk]),
        APPEAL_READ,
    ),
    # --- oversight: a subject's whole story (anyone who may see the subject); the quality
    # samples, which supervisors and administrators review (the world's decision is a new
    # moderator's, so it was sampled)
    "subject-story": get(lambda w: reverse("subject-story", args=[w.case.subject_id]), CASE_READ),
    "sample-queue": get(fixed("sample-queue"), OVERSEE),
    "sample": get(
        lambda w: reverse("sample", args=[w.decision.quality_sample.pk]),
        "login 403 403 ok ok 404 403 ok login login",
    ),
    "sample-review": post(
        lambda w: reverse("sample-review", args=[w.decision.quality_sample.pk]),
        "login 403 403 ok ok 404 403 ok login login",
    ),
    # --- the supervisors' logs and the audit trail: supervisors and administrators, each
    # partner's their own (senior moderators review appeals and must not see who decided);
    # only the hub's verify the chain, which runs through every partner's events
    "decision-log": get(fixed("decision-log"), OVERSEE),
    "decision-log-export": get(fixed("decision-log-export"), OVERSEE),
    "appeal-log": get(fixed("appeal-log"), OVERSEE),
    "appeal-log-export": get(fixed("appeal-log-export"), OVERSEE),
    "audit-trail": get(fixed("audit-trail"), OVERSEE),
    "audit-trail-export": get(fixed("audit-trail-export"), OVERSEE),
    # The statement-of-reasons export (reviews.export_statements): like the decision log's
    # export; the downloads asked for today, so that they stream.
    "statements": get(fixed("statements"), OVERSEE),
    "statements-export-csv": get(
        lambda w: reverse("statements-export-csv") + f"?from={w_today()}&to={w_today()}", OVERSEE
    ),
    "statements-export-json": get(
        lambda w: reverse("statements-export-json") + f"?from={w_today()}&to={w_today()}", OVERSEE
    ),
    "audit-chain-verify": post(
        fixed("audit-chain-verify"), "login 403 403 403 403 403 403 ok login login"
    ),
    # --- deliveries
    "deliveries": get(fixed("deliveries"), "login 403 403 ok ok ok 403 ok login login"),
    "delivery-retry": post(
        lambda w: reverse("delivery-retry", args=[w.delivery.pk]),
        "login 403 403 ok ok 404 403 ok login login",
    ),
    # --- detection rules: supervisors read, administrators change (rules are the hub's
    # whole, not one partner's: another partner's administrator is let in too)
    "detection-rules": get(fixed("detection-rules"), "login 403 403 ok ok ok 403 ok login login"),
    "detection-rule-change": post(
        fixed("detection-rule-change", "lists.match"),
        # A rule runs on every partner's reports: only the hub's administrators change it.
        "login 403 403 403 403 403 403 ok login login",
    ),
    # --- the lists: the entries are Kolesa's proposals (the page's one withdrawn, which
    # only Kolesa and the hub still see); its staff never promote their own partner's entry
    # nor resolve its disputes, any senior moderator who sees it may revoke or release it
    "lists": get(fixed("lists"), STAFF_READ),
    "list-entry": get(
        lambda w: reverse("list-entry", args=[w_entry(w, withdrawn=True)]), CASE_READ
    ),
    "list-entry-dispute": post(
        lambda w: reverse("list-entry-dispute", args=[w_entry(w)]),
        "login ok ok 403 ok ok ok ok login login",
    ),
    "list-entry-promote": post(
        lambda w: reverse("list-entry-promote", args=[w_entry(w)]),
        "login 403 403 403 403 ok 403 ok login login",
    ),
    "list-entry-revoke": post(
        lambda w: reverse("list-entry-revoke", args=[w_entry(w)]), SENIOR_LIST
    ),
    "list-entry-release": post(
        lambda w: reverse("list-entry-release", args=[w_entry(w)]), SENIOR_LIST
    ),
    "list-dispute-resolve": post(
        lambda w: reverse("list-dispute-resolve", args=[w_dispute(w)]),
        "login 403 403 403 403 ok 403 ok login login",
    ),
    # --- the partner API: keys only; another partner's case is not found
    "api-lookup": api("POST", fixed("api-lookup"), API_PARTNER),
    "api-indicators": api("POST", fixed("api-indicators"), API_PARTNER),
    "api-events": api("GET", fixed("api-events"), API_PARTNER),
    "api-reports": api("POST", fixed("api-reports"), API_PARTNER),
    "api-case-list": api("GET", fixed("api-case-list"), API_PARTNER),
    "api-case-detail": api(
        "GET",
        lambda w: reverse("api-case-detail", args=[w.case.pk]),
        "401 401 401 401 401 401 401 401 ok 404",
    ),
    # The registry: only the proposer withdraws (another partner: 403 `not_yours`); anyone
    # disputes (the proposer's dispute is refused by the domain, 409 `own_entry`); only
    # telecom operators report reassigned numbers, and neither Kolesa nor Krisha is one.
    "api-indicator-withdraw": api(
        "POST",
        lambda w: reverse("api-indicator-withdraw", args=[w_entry(w)]),
        "401 401 401 401 401 401 401 401 ok 403",
    ),
    "api-indicator-disputes": Row(
        "POST",
        lambda w: reverse("api-indicator-disputes", args=[w_entry(w)]),
        API_PARTNER,
        body='{"reason": "The number belongs to our customer."}',
    ),
    "api-indicator-feedback": api("POST", fixed("api-indicator-feedback"), API_PARTNER),
    "api-indicator-reassignments": api(
        "POST",
        fixed("api-indicator-reassignments"),
        "401 401 401 401 401 401 401 401 403 403",
    ),
    "api-schema": get(fixed("api-schema"), EVERYONE),
    "api-docs": get(fixed("api-docs"), EVERYONE),
    "api-redoc": get(fixed("api-redoc"), EVERYONE),
    "api-redoc-script": get(fixed("api-redoc-script"), EVERYONE),
    "^api/": get(lambda w: "/api/v2/anything/", "404 404 404 404 404 404 404 404 404 404"),
    # --- the Django admin, for the hub's staff only (models below)
    "admin:index": get(fixed("admin:index"), "adminlogin " * 7 + "ok adminlogin adminlogin"),
    "admin:login": get(fixed("admin:login"), EVERYONE),
    # Signing out of the admin ends the session and leads to the site's sign-in.
    "admin:logout": post(fixed("admin:logout"), "ok ok ok ok ok ok ok login ok ok"),
    "admin:password_change": get(
        fixed("admin:password_change"), "adminlogin " * 7 + "ok adminlogin adminlogin"
    ),
    "admin:password_change_done": get(
        fixed("admin:password_change_done"), "adminlogin " * 7 + "ok adminlogin adminlogin"
    ),
    # No autocomplete field is configured: the admin refuses every query.
    "admin:autocomplete": get(
        fixed("admin:autocomplete"), "adminlogin " * 7 + "403 adminlogin adminlogin"
    ),
    "admin:jsi18n": get(fixed("admin:jsi18n"), "adminlogin " * 7 + "ok adminlogin adminlogin"),
    # No model has a public page to show "on site".
    "admin:view_on_site": get(
        lambda w: reverse(
            "admin:view_on_site", args=[ContentType.objects.get_for_model(Case).pk, w.case.pk]
        ),
        "adminlogin " * 7 + "404 adminlogin adminlogin",
    ),
    "admin:app_list": get(
        lambda w: reverse("admin:app_list", args=["reviews"]),
        "adminlogin " * 7 + "ok adminlogin adminlogin",
    ),
    "admin/(?P<url>.*)$": get(
        lambda w: "/admin/no/such/page/", "adminlogin " * 7 + "404 adminlogin adminlogin"
    ),
}

# What the hub's administrator may do with each model in the admin; everyone else is sent
# to the admin's sign-in. Domain records are read-only there: they change through services.
ADMIN_MODELS: dict[str, dict[str, str]] = {
    "accounts.user": {"add": "ok", "delete": "403"},
    "accounts.partner": {"add": "ok", "delete": "403"},
    "accounts.apikey": {"add": "403", "delete": "403"},
    "auth.group": {"add": "403", "delete": "403"},
    "axes.accessattempt": {"add": "403", "delete": "ok"},
    "axes.accesslog": {"add": "403", "delete": "ok"},
    "axes.accessfailurelog": {"add": "403", "delete": "ok"},
    "antifraud.subject": {"add": "403", "delete": "403"},
    "antifraud.signal": {"add": "403", "delete": "403"},
    "antifraud.indicator": {"add": "403", "delete": "403"},
    "antifraud.delivery": {"add": "403", "delete": "403"},
    "antifraud.auditevent": {"add": "403", "delete": "403"},
    # The hub's administrators draft new versions (reviews.services.policies); deleting is
    # discarding a draft, and the page asked here is a published version's: never deleted.
    "reviews.policy": {"add": "ok", "delete": "403"},
    "reviews.case": {"add": "403", "delete": "403"},
    "reviews.decision": {"add": "403", "delete": "403"},
    "reviews.appeal": {"add": "403", "delete": "403"},
    "reviews.decisionproposal": {"add": "403", "delete": "403"},
    # Reply templates are the hub's to write, through services (reviews.services.catalogue).
    "reviews.replytemplate": {"add": "ok", "delete": "ok"},
}


def _admin_rows() -> Iterator[tuple[str, Row]]:
    def hub_admin_only(answer: str) -> str:
        return "adminlogin " * 7 + f"{answer} adminlogin adminlogin"

    for label, answers in ADMIN_MODELS.items():
        app, model = label.split(".")
        prefix = f"admin:{app}_{model}"

        def object_path(name: str, label: str = label) -> Callable[[World], str]:
            return lambda w: reverse(name, args=[w.admin_object(label)])

        yield f"{prefix}_changelist", get(fixed(f"{prefix}_changelist"), hub_admin_only("ok"))
        yield f"{prefix}_add", get(fixed(f"{prefix}_add"), hub_admin_only(answers["add"]))
        yield f"{prefix}_change", get(object_path(f"{prefix}_change"), hub_admin_only("ok"))
        yield f"{prefix}_history", get(object_path(f"{prefix}_history"), hub_admin_only("ok"))
        yield (
            f"{prefix}_delete",
            get(object_path(f"{prefix}_delete"), hub_admin_only(answers["delete"])),
        )
        # admin/<app>/<model>/<pk>/ redirects to the change page
        yield (
            f"admin/{app}/{model}/<path:object_id>/",
            get(
                lambda w, label=label, app=app, model=model: (
                    f"/admin/{app}/{model}/{w.admin_object(label)}/"
                ),
                hub_admin_only("ok"),
            ),
        )


ROWS.update(_admin_rows())
ROWS["admin:auth_user_password_change"] = get(
    lambda w: reverse("admin:auth_user_password_change", args=[w.users["moderator"].pk]),
    "adminlogin " * 7 + "ok adminlogin adminlogin",
)


def w_today() -> str:
    return timezone.localdate().isoformat()


def w_token(world: World) -> str:
    return appeal_token(decision_id=world.decision.pk, decided_at=world.decision.decided_at)


def w_entry(world: World, *, withdrawn: bool = False) -> int:
    """A gray entry Kolesa proposed: in force, or withdrawn."""
    from antifraud.normalize import normalize
    from antifraud.services.indicators import indicator_propose
    from antifraud.services.registry import indicator_withdraw

    kolesa = world.case.partner
    phone = normalize("phone", "+77015550404" if withdrawn else "+77015550303")
    entry = indicator_propose(
        partner=kolesa,
        kind=phone.kind,
        value=phone.value,
        display=phone.display,
        reason="Предоплата за автомобиль, которого нет.",
    ).indicator
    if withdrawn:
        indicator_withdraw(partner=kolesa, indicator_id=entry.pk)
    return entry.pk


def w_dispute(world: World) -> int:
    """A hub moderator's open dispute of Kolesa's entry."""
    from antifraud.services.registry import dispute_open

    dispute = dispute_open(
        actor=world.users["hub"], indicator_id=w_entry(world), reason="Номер принадлежит банку."
    )
    return dispute.pk


# --- the URLconf ----------------------------------------------------------------------------


def _routes(
    resolver: URLResolver | None = None, prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, URLPattern]]:
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _routes(pattern, prefix + str(pattern.pattern), inner)
        else:
            route = prefix + str(pattern.pattern)
            yield (f"{namespace}{pattern.name}" if pattern.name else route), pattern


def test_every_route_has_a_row() -> None:
    routes = {key for key, _ in _routes()}
    missing = sorted(routes - ROWS.keys())
    stale = sorted(ROWS.keys() - routes)
    assert not missing, f"routes without a row in the permission matrix: {missing}"
    assert not stale, f"rows for routes that no longer exist: {stale}"


def test_every_view_of_the_project_declares_who_may_use_it() -> None:
    """Pages say it with `staff_page(...)` or `public_page`; API views name the permission
    the access policy checks."""
    undeclared = []
    for key, pattern in _routes():
        view = pattern.callback
        module = getattr(view, "__module__", "")
        if key.startswith("admin") or not module.startswith(
            ("accounts.", "antifraud.", "reviews.")
        ):
            continue  # Django's own views (sign-in, the admin site), held to the table above
        api_view = getattr(view, "cls", None)
        declared = getattr(view, "access", None) or getattr(api_view, "required_permission", None)
        if not declared:
            undeclared.append(key)
    assert not undeclared, f"views that do not declare who may use them: {undeclared}"


# --- asking each route --------------------------------------------------------------------


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (10, 120, 30)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def world(kolesa, krisha, settings) -> World:
    users = {
        "moderator": UserFactory(username="k.moderator", partner=kolesa, role=Role.MODERATOR),
        "senior": UserFactory(username="k.senior", partner=kolesa, role=Role.SENIOR_MODERATOR),
        "supervisor": UserFactory(username="k.supervisor", partner=kolesa, role=Role.SUPERVISOR),
        "admin": UserFactory(username="k.admin", partner=kolesa, role=Role.ADMIN),
        "other_partner": UserFactory(username="kr.admin", partner=krisha, role=Role.ADMIN),
        "hub": UserFactory(username="hub.moderator", partner=None, role=Role.MODERATOR),
        "hub_admin": UserFactory(
            username="hub.admin", partner=None, role=Role.ADMIN, is_staff=True, is_superuser=True
        ),
    }
    keys = {
        "api_key": api_key_create(actor=None, partner=kolesa, name="kolesa")[1],
        "other_key": api_key_create(actor=None, partner=krisha, name="krisha")[1],
    }
    moderator = users["moderator"]
    case = listing_case(kolesa, phone="+77015550101")
    data = _png()
    hashes = photo_hashes(data)
    photo = Photo.objects.create(
        subject=case.subject, image=photo_store(data, hashes.sha256), sha256=hashes.sha256
    )

    # A block that waits for a second moderator (the account is older than the limit).
    settings.SECOND_APPROVAL_ACCOUNT_AGE_DAYS = 1
    waiting = listing_case(kolesa)
    Subject.objects.filter(pk=waiting.subject.account_id).update(
        registered_at=timezone.now() - timedelta(days=30)
    )
    services.case_claim(actor=moderator, case_id=waiting.pk)
    proposal = services.decision_record(
        actor=moderator,
        case_id=waiting.pk,
        request=DecisionRequest(
            action="block_account",
            policy_id=Policy.objects.get(code="fake-rental").pk,
            statement_of_reasons="Предоплата за бронь несуществующей квартиры.",
        ),
    ).proposal
    assert proposal is not None

    # A removal that black-lists the listing's phone, appealed with a file.
    removed = listing_case(kolesa, phone="+77015550202")
    services.case_claim(actor=moderator, case_id=removed.pk)
    decision = services.decision_record(
        actor=moderator,
        case_id=removed.pk,
        request=DecisionRequest(
            action="remove_listing",
            policy_id=Policy.objects.get(code="fake-photos").pk,
            statement_of_reasons="Фотографии из чужого объявления.",
            indicators=(
                IndicatorChoice(identifier_id=removed.subject.identifiers.get().pk, list="black"),
            ),
        ),
    ).decisions[0]
    appeal = services.appeal_file(
        decision_id=decision.pk,
        statement="Фотографии мои, сделаны лично, прикладываю оригинал.",
        consent=True,
        attachments=[Upload(name="original.png", data=data)],
    )
    # A failed sign-in, so that the admin's pages of lockout records have a row to show.
    Client().post(reverse("login"), {"username": "k.moderator", "password": "wrong"})
    for model in (Partner, ApiKey, Signal, Indicator, AuditEvent, Delivery):
        assert model.objects.exists(), model
    return World(
        case=case,
        proposal=proposal,
        decision=decision,
        appeal=appeal,
        photo=photo,
        delivery=Delivery.objects.filter(partner=kolesa).order_by("pk").first(),
        users=users,
        keys=keys,
    )


@pytest.fixture
def clients(world: World) -> dict[str, Client]:
    made = {}
    for actor in ACTORS:
        client = Client()
        if actor in world.users:
            client.force_login(world.users[actor])
        elif actor in world.keys:
            client.defaults["HTTP_AUTHORIZATION"] = f"Api-Key {world.keys[actor]}"
        made[actor] = client
    return made


def _matches(expected: str, status: int, location: str) -> bool:
    if expected == "login":
        return status == 302 and location.startswith("/login/")
    if expected == "adminlogin":
        return status == 302 and location.startswith("/admin/login/")
    if expected == "ok":
        refused = status in (401, 403, 404, 405) or status >= 500
        to_login = status == 302 and location.startswith(("/login/", "/admin/login/"))
        return not refused and not to_login
    return status == int(expected)


@pytest.mark.parametrize("key", sorted(ROWS))
def test_route_answers_each_caller_as_the_table_says(key, world, clients) -> None:
    row = ROWS[key]
    path = row.path(world)
    wrong = []
    for actor, expected in row.expected().items():
        # Each request runs in a savepoint that is rolled back: one caller's claim or
        # decision never changes what the next caller meets.
        with transaction.atomic():
            kwargs = {"content_type": "application/json"} if row.body is not None else {}
            response = clients[actor].generic(row.method, path, row.body or "", **kwargs)
            transaction.set_rollback(True)
        location = response.get("Location", "")
        if not _matches(expected, response.status_code, location):
            wrong.append(f"{actor}: expected {expected}, got {response.status_code} {location}")
    assert not wrong, f"{row.method} {path}\n" + "\n".join(wrong)
