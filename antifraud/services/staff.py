"""Staff accounts: created, changed (roles included) and given passwords only here, each
change locked, checked and audited with its old and new values (never a password).

`actor=None` is an operator at the shell (management commands); a user must be allowed by
the access policy, may not change their own roles, activity or partner (someone else must),
and only the hub's staff grant access to the Django admin or move someone between partners.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.languages import LANGUAGE_CODES
from accounts.models import Partner, User
from accounts.roles import Role
from antifraud import access
from antifraud.audit import audit_record
from antifraud.errors import InvalidInput, NotAllowed, NotFound

EDITABLE = ("first_name", "last_name", "email", "partner", "language", "is_active", "is_staff")
# Changes a person may not make to their own account.
NOT_ON_ONESELF = ("roles", "is_active", "is_staff", "partner")
# Changes only the hub's staff may make.
HUB_ONLY = ("is_staff", "partner")


def _roles_checked(roles: Collection[str]) -> list[str]:
    unknown = sorted(set(roles) - set(Role.values))
    if unknown:
        raise InvalidInput(
            _("unknown roles: %(roles)s") % {"roles": ", ".join(unknown)}, code="unknown_role"
        )
    return sorted(set(roles))


def _roles_of(user: User) -> list[str]:
    return sorted(user.groups.values_list("name", flat=True))


def _roles_set(user: User, roles: list[str]) -> None:
    user.groups.set(Group.objects.filter(name__in=roles))
    # The cached role set (and Django's permission cache) belong to the old roles.
    for cached in ("_perm_cache", "_group_perm_cache", "_user_perm_cache"):
        user.__dict__.pop(cached, None)


def _shown(name: str, value: Any) -> Any:
    if name == "partner":
        return value.slug if isinstance(value, Partner) else None
    return value


def _check_values(values: Mapping[str, Any]) -> None:
    if "language" in values and values["language"] not in LANGUAGE_CODES:
        raise InvalidInput(
            _("the language is one of %(codes)s") % {"codes": ", ".join(LANGUAGE_CODES)},
            code="invalid_language",
        )
    partner = values.get("partner")
    if partner is not None and not isinstance(partner, Partner):
        raise InvalidInput(_("choose a partner, or none for the hub"), code="invalid_partner")


def _locked(actor: User | None, user_id: int) -> User:
    """The account, locked; for a user, only one the access policy lets them see (an
    operator at the shell sees every one)."""
    accounts = User.objects.select_for_update(of=("self",)).select_related("partner")
    if actor is not None:
        return access.visible_or_404(actor, accounts, user_id)
    user = accounts.filter(pk=user_id).first()
    if user is None:
        raise NotFound(_("no such staff account"))
    return user


def _password_checked(password: str, user: User) -> str:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), code="weak_password") from exc
    return password


@transaction.atomic
def staff_create(
    *,
    actor: User | None,
    username: str,
    partner: Partner | None,
    roles: Collection[str] = (),
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    language: str = "ru",
    is_staff: bool = False,
    is_superuser: bool = False,
    password: str | None = None,
    password_hash: str | None = None,
) -> User:
    """A new staff account. Without a password it cannot sign in until one is set.
    `password_hash` takes an already hashed password (bulk provisioning, the demo); a
    superuser is made only from the shell (`actor=None`), as `createsuperuser` does."""
    if actor is not None and not access.may_add_staff(actor, partner):
        raise NotAllowed(_("you cannot add staff to this partner"))
    if actor is not None and is_superuser:
        raise NotAllowed(_("superusers are made from the shell"))
    if actor is not None and is_staff and not access.is_hub(actor):
        raise NotAllowed(_("only the hub's staff grant access to the Django admin"))
    username = username.strip()
    if not username:
        raise InvalidInput(_("a username is required"), code="username_required")
    _check_values({"language": language, "partner": partner})
    roles = _roles_checked(roles)
    user = User(
        username=username,
        partner=partner,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip(),
        language=language,
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    if password_hash is not None:
        user.password = password_hash
    elif password:
        user.set_password(_password_checked(password, user))
    else:
        user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise InvalidInput(
            _("the username “%(name)s” is taken") % {"name": username}, code="username_taken"
        ) from exc
    _roles_set(user, roles)
    audit_record(
        actor=actor,
        action="staff.created",
        target=user,
        payload={
            "username": username,
            "partner": _shown("partner", partner),
            "roles": roles,
            "language": language,
            "is_staff": is_staff,
            "is_superuser": is_superuser,
            "can_sign_in": user.has_usable_password(),
        },
    )
    return user


@transaction.atomic
def staff_update(*, actor: User | None, user_id: int, changes: Mapping[str, Any]) -> User:
    """Change some of EDITABLE and, with `roles`, the roles. The audit event holds each
    changed field's old and new value; changing nothing writes nothing."""
    unknown = sorted(set(changes) - {*EDITABLE, "roles"})
    if unknown:
        raise InvalidInput(
            _("these fields of a staff account cannot be changed here: %(fields)s")
            % {"fields": ", ".join(unknown)},
            code="not_editable",
        )
    if actor is not None and not access.may(actor, "accounts.change_user"):
        raise NotAllowed(_("your role cannot change staff accounts"))
    user = _locked(actor, user_id)
    _check_values(changes)
    diff: dict[str, dict[str, Any]] = {}
    for name, value in changes.items():
        old = _roles_of(user) if name == "roles" else getattr(user, name)
        new = _roles_checked(value) if name == "roles" else value
        if _shown(name, old) != _shown(name, new):
            diff[name] = {"old": _shown(name, old), "new": _shown(name, new)}
    if not diff:
        return user
    if actor is not None:
        if actor.pk == user.pk and (mine := sorted(set(diff) & set(NOT_ON_ONESELF))):
            raise NotAllowed(
                _("someone else must change your own %(fields)s") % {"fields": ", ".join(mine)},
                code="not_on_oneself",
            )
        if not access.is_hub(actor) and (hub := sorted(set(diff) & set(HUB_ONLY))):
            raise NotAllowed(
                _("only the hub's staff change %(fields)s") % {"fields": ", ".join(hub)}
            )
    for name in diff:
        if name != "roles":
            setattr(user, name, changes[name])
    fields = [name for name in diff if name != "roles"]
    if fields:
        user.save(update_fields=fields)
    if "roles" in diff:
        _roles_set(user, diff["roles"]["new"])
    audit_record(actor=actor, action="staff.updated", target=user, payload={"changes": diff})
    return user


@transaction.atomic
def staff_password_set(*, actor: User | None, user_id: int, password: str | None) -> User:
    """Set a staff member's password (checked against the password rules), or with None
    turn password sign-in off. People may set their own."""
    own = actor is not None and actor.pk == user_id
    if actor is not None and not own and not access.may(actor, "accounts.change_user"):
        raise NotAllowed(_("your role cannot change staff accounts"))
    user = _locked(None if own else actor, user_id)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(_password_checked(password, user))
    user.save(update_fields=["password"])
    audit_record(
        actor=actor,
        action="staff.password_set" if password is not None else "staff.password_disabled",
        target=user,
        payload={"own": own},
    )
    return user


@transaction.atomic
def staff_language_set(*, actor: User, language: str) -> User:
    """A person's own interface language, chosen with the switcher on every staff page.
    Choosing the language already set writes nothing."""
    if language not in LANGUAGE_CODES:
        raise InvalidInput(_("Choose one of the offered languages."), code="invalid_language")
    user = _locked(None, actor.pk)
    if user.language == language:
        return user
    old = user.language
    user.language = language
    user.save(update_fields=["language"])
    audit_record(
        actor=actor,
        action="user.language_changed",
        target=user,
        payload={"old": old, "new": language},
    )
    return user
