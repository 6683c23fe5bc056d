"""The four staff roles, as groups of permissions.

Coarse rights live here as model permissions on groups; finer rules (which partner's cases
a user may see, four eyes on appeals) are predicates in each app's `permissions` module.
A change to `ROLE_PERMISSIONS` needs a data migration that calls `role_groups_sync` again.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    MODERATOR = "moderator", _("Moderator")
    SENIOR_MODERATOR = "senior_moderator", _("Senior moderator")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Administrator")


_MODERATOR = [
    "reviews.view_case",
    "reviews.claim_case",
    "reviews.view_decision",
    "reviews.add_decision",
    "reviews.view_policy",
    "antifraud.view_subject",
    "antifraud.view_signal",
    "antifraud.view_indicator",
    "antifraud.dispute_indicator",
    "antifraud.view_photo",
    "reviews.view_subjectnote",
    "reviews.add_subjectnote",
]
_SENIOR = [
    *_MODERATOR,
    "antifraud.review_indicator",
    "reviews.claim_escalated_case",
    "reviews.approve_decision",
    "reviews.view_appeal",
    "reviews.review_appeal",
    "reviews.view_appealattachment",
]
_SUPERVISOR = [
    "reviews.view_case",
    "reviews.view_decision",
    "reviews.view_policy",
    "reviews.view_appeal",
    "reviews.view_appealattachment",
    "reviews.view_qualitysample",
    "reviews.review_qualitysample",
    "reviews.export_statements",
    "reviews.view_subjectnote",
    "antifraud.view_subject",
    "antifraud.view_subjectidentifier",
    "antifraud.view_signal",
    "antifraud.view_indicator",
    "antifraud.view_photo",
    "antifraud.view_delivery",
    "antifraud.retry_delivery",
    "antifraud.view_auditevent",
    "antifraud.export_audit",
    "antifraud.view_detectionrule",
    "antifraud.view_lookuptally",
    "antifraud.view_lookupalert",
    "accounts.view_partner",
    "accounts.view_user",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.MODERATOR: _MODERATOR,
    Role.SENIOR_MODERATOR: _SENIOR,
    Role.SUPERVISOR: _SUPERVISOR,
    # Administrators get every permission of the project's apps (see role_groups_sync).
    Role.ADMIN: [],
}
ADMIN_APPS = ("accounts", "antifraud", "reviews", "auth")

# Roles whose hub members the demo lets into the Django admin (read-only for supervisors).
ADMIN_SITE_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


def role_groups_sync(apps: Any) -> None:
    """Make each role's group hold exactly its permissions. Safe to run again."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after migrations; create them now so that groups can
    # refer to permissions of models migrated in this same run.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        if role == Role.ADMIN:
            perms = list(Permission.objects.filter(content_type__app_label__in=ADMIN_APPS))
        else:
            perms = []
            for name in names:
                app_label, codename = name.split(".")
                found = Permission.objects.filter(
                    content_type__app_label=app_label, codename=codename
                ).first()
                if found is None and _declared_by_a_model(app_label, codename):
                    # Its model comes with a later migration, which syncs the roles again.
                    continue
                perms.append(
                    found
                    or Permission.objects.get(content_type__app_label=app_label, codename=codename)
                )
        group.permissions.set(perms)


def _declared_by_a_model(app_label: str, codename: str) -> bool:
    """A model of the code as it is now declares the permission (a name nobody declares is
    a mistake, and `role_groups_sync` fails on it)."""
    from django.apps import apps as code

    for model in code.get_app_config(app_label).get_models():
        opts = model._meta
        declared = {f"{action}_{opts.model_name}" for action in opts.default_permissions}
        declared |= {name for name, _label in opts.permissions}
        if codename in declared:
            return True
    return False
