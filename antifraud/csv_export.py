"""CSV exports streamed to the browser in constant memory.

Rows are read in keyset-paginated batches of plain tuples (`values_list`, never model
instances, no prefetch caches that grow), each batch a fresh query, so an export of
millions of rows holds one batch at a time and no server-side cursor or transaction stays
open while the client reads slowly. Rows are written by `csv.writer` into a small buffer
that is handed on, and emptied, every `FLUSH_BYTES`.

A cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return) is a formula to a
spreadsheet: it is prefixed with `'` so that a scammer's listing title never runs in a
supervisor's Excel.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from accounts.models import User
from antifraud import access
from antifraud.audit import audit_record
from antifraud.errors import NotAllowed
from antifraud.models import AuditEvent

BATCH = 2000
FLUSH_BYTES = 64 * 1024
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """One cell as text, defused when a spreadsheet would read it as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def keyset_rows(
    queryset: QuerySet[Any], fields: Sequence[str], *, batch: int = BATCH
) -> Iterator[tuple[Any, ...]]:
    """The rows of `queryset` as tuples of `fields`, newest id first, read `batch` at a time
    by id (each batch its own query). The first field must be "pk"."""
    assert fields[0] == "pk"
    rows = queryset.order_by("-pk").values_list(*fields)
    last: Any = None
    while True:
        page = list((rows if last is None else rows.filter(pk__lt=last))[:batch])
        yield from page
        if len(page) < batch:
            return
        last = page[-1][0]


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV text of `header` and `rows`, in pieces of about FLUSH_BYTES. It starts with a
    byte-order mark, so that spreadsheets read the Cyrillic right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([csv_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
        if buffer.tell() >= FLUSH_BYTES:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_response(
    filename: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    row_shape: Callable[[tuple[Any, ...]], Sequence[Any]] | None = None,
) -> StreamingHttpResponse:
    """A download of `rows` (shaped by `row_shape` when given), streamed as it is read."""
    shaped = rows if row_shape is None else (row_shape(tuple(row)) for row in rows)
    response = StreamingHttpResponse(
        csv_chunks(header, shaped), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@transaction.atomic
def export_record(
    *, actor: User, what: str, filters: dict[str, str], date_range: dict[str, str | None]
) -> AuditEvent:
    """Every export is in the trail, written before its first row is sent: who took which
    rows (`export.decisions`, `export.appeals`, `export.audit`) with which filters."""
    if not access.may(actor, "antifraud.export_audit"):
        raise NotAllowed("your role cannot export")
    return audit_record(
        actor=actor,
        action=f"export.{what}",
        payload={"filters": filters, "date_range": date_range},
    )
