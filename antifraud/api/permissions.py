"""The partner API's one permission check: the access policy's, for the permission each
view names in `required_permission`. A view that names none is refused (fail closed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.permissions import BasePermission

from antifraud import access

if TYPE_CHECKING:
    # Not at run time: DRF imports this module while it defines APIView.
    from rest_framework.request import Request
    from rest_framework.views import APIView


class PolicyPermission(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        required = getattr(view, "required_permission", None)
        return required is not None and access.may(request.user, required)
