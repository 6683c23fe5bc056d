"""Logging filters (settings.LOGGING)."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404


class RefusalsWithoutTraceback(logging.Filter):
    """Django logs every 403 with the PermissionDenied's traceback. A refusal is the access
    policy doing its work, not a fault: keep the one line ("Forbidden (Permission denied):
    /approvals/") and drop the traceback, which buried real errors in the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], PermissionDenied | Http404):
            record.exc_info = None
            record.exc_text = None
        return True
