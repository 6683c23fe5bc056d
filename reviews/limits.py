"""Limits on what people write here, defined once; forms, services and templates read them."""

from __future__ import annotations

# Statements of reasons, replies to appellants, internal notes, escalation and review notes,
# and an appellant's statement: long enough for any of them, short enough to read.
TEXT_MAX = 5000
# An appellant explains why the decision is wrong in at least this many characters.
APPEAL_STATEMENT_MIN = 20
