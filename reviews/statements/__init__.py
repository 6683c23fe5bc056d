"""Statements of reasons for supervisors, in the layout of the EU DSA Transparency Database.

Every restriction we decide (a block, a removal, a warning) is exported as one statement of
reasons whose fields and enumerated values are the DSA Transparency Database's, so that a
supervisor, a regulator or a researcher reads our decisions with the tools made for that
database. One topic a module:

- reviews.statements.layout: which decisions are exported, and one decision's statement
  field by field (the DSA's enumerations, our policy as the ground, the source, the dates);
- reviews.statements.redaction: nothing personal leaves; the moderator's own statement
  (`decision_facts`) is read as a person sees it and stripped of phones, e-mails, card
  numbers, IBANs, URLs, handles, long ids and the subject's own details;
- reviews.statements.export: the range of days and its form, the decisions a user may
  export, the CSV and JSON written as they stream, and the audit record of an export.

The names the views and tests use are here. The sizes read at call time (CHUNK,
FLUSH_BYTES) are reviews.statements.export's, and a test patches them there.
"""

from reviews.statements.export import (
    MAX_DAYS,
    PERMISSION,
    Span,
    SpanForm,
    csv_values,
    json_chunks,
    last_month,
    statement_count,
    statement_decisions,
    statements,
    statements_export_record,
)
from reviews.statements.layout import (
    DSA_FIELDS,
    EXPORTED,
    FIELDS,
    OWN_FIELDS,
    WARNING_TEXT,
    decision_facts,
    statement_of,
)
from reviews.statements.redaction import PLACEHOLDER, redact

__all__ = [
    "DSA_FIELDS",
    "EXPORTED",
    "FIELDS",
    "MAX_DAYS",
    "OWN_FIELDS",
    "PERMISSION",
    "PLACEHOLDER",
    "WARNING_TEXT",
    "Span",
    "SpanForm",
    "csv_values",
    "decision_facts",
    "json_chunks",
    "last_month",
    "redact",
    "statement_count",
    "statement_decisions",
    "statement_of",
    "statements",
    "statements_export_record",
]
