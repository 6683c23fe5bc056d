"""How drf-spectacular describes the partner API's own machinery. Imported by the views, so
the extensions are registered before any schema is generated."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from antifraud.api.authentication import KEYWORD


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """The `Api-Key` security scheme: the Authorization header."""

    target_class = "antifraud.api.authentication.ApiKeyAuthentication"
    name = KEYWORD

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": f"Your partner API key, sent as `Authorization: {KEYWORD} afk_…`.",
        }


# Choice sets that share a field name ("kind", "status") get names of their own rather than
# drf-spectacular's hashed fallbacks.
ENUM_NAME_OVERRIDES = {
    "IndicatorKindEnum": "antifraud.models.IndicatorKind",
    "SubjectKindEnum": "antifraud.models.Subject.Kind",
    "CaseStatusEnum": "reviews.models.Case.Status",
    "AppealStatusEnum": "reviews.models.Appeal.Status",
    "ItemStatusEnum": "antifraud.api.registry_serializers.ItemStatus",
}
