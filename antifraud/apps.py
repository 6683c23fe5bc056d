from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AntifraudConfig(AppConfig):
    default = True
    name = "antifraud"
    verbose_name = _("Fraud intelligence")


class AntifraudAdminConfig(admin_apps.AdminConfig):
    """Django's admin on the project's site, whose own password change is audited."""

    default = False  # "antifraud" in INSTALLED_APPS means AntifraudConfig
    default_site = "antifraud.admin_site.AntifraudAdminSite"
