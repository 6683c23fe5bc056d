"""Rows that are written once and never changed: decisions and the audit trail.

The model refuses updates and deletes here; on PostgreSQL a trigger refuses them as well, so
that neither raw SQL nor a forgotten code path can rewrite the record.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models

from antifraud.access import VisibleQuerySet


class ImmutableRecordError(Exception):
    """An attempt to change or delete a record that may only ever be added."""


class ImmutableQuerySet(VisibleQuerySet[Any]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise ImmutableRecordError(f"{self.model.__name__} rows cannot be updated")

    def delete(self) -> NoReturn:
        raise ImmutableRecordError(f"{self.model.__name__} rows cannot be deleted")

    def bulk_update(self, objs: Any, fields: Any, batch_size: Any = None) -> NoReturn:
        raise ImmutableRecordError(f"{self.model.__name__} rows cannot be updated")


class ImmutableModel(models.Model):
    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableRecordError(f"{type(self).__name__} {self.pk} cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ImmutableRecordError(f"{type(self).__name__} {self.pk} cannot be deleted")


# Installed by migrations on PostgreSQL for each immutable table.
POSTGRES_REFUSE_FUNCTION = """
CREATE OR REPLACE FUNCTION antifraud_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'antifraud: rows of % are immutable (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def postgres_immutable_trigger_sql(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION antifraud_refuse_change();"
    )


# The audit trail's guard: like antifraud_refuse_change, except for the one UPDATE the
# sequencer makes, which chains an unchained event (sets seq, prev_hash and hash from
# nothing) and leaves every other column as it was.
POSTGRES_AUDIT_GUARD_FUNCTION = """
CREATE OR REPLACE FUNCTION antifraud_audit_chain_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND OLD.seq IS NULL AND OLD.hash IS NULL AND OLD.prev_hash IS NULL
        AND NEW.seq IS NOT NULL AND NEW.hash IS NOT NULL AND NEW.prev_hash IS NOT NULL
        AND (to_jsonb(NEW) - 'seq' - 'prev_hash' - 'hash')
            = (to_jsonb(OLD) - 'seq' - 'prev_hash' - 'hash')
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'antifraud: rows of % are immutable (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""
