"""The audit trail without a global lock: events are written unchained and given their
place (`seq`) by the sequencer. Events chained by the old scheme were chained in id order, so
they get their sequence numbers in that order and keep their hashes."""

from django.conf import settings
from django.db import migrations, models

from antifraud.models.immutable import (
    POSTGRES_AUDIT_GUARD_FUNCTION,
    POSTGRES_REFUSE_FUNCTION,
    postgres_immutable_trigger_sql,
)

TABLE = "antifraud_auditevent"


def drop_strict_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_immutable ON {TABLE}")


def restore_strict_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_REFUSE_FUNCTION, params=None)
        schema_editor.execute(postgres_immutable_trigger_sql(TABLE))


def number_existing_events(apps, schema_editor):
    AuditEvent = apps.get_model("antifraud", "AuditEvent")
    AuditChain = apps.get_model("antifraud", "AuditChain")
    ids = list(AuditEvent.objects.order_by("pk").values_list("pk", flat=True))
    with schema_editor.connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {TABLE} SET seq = %s WHERE id = %s",
            [(seq, pk) for seq, pk in enumerate(ids, start=1)],
        )
    AuditChain.objects.filter(pk=1).update(last_seq=len(ids), last_event_id=ids[-1] if ids else None)


def install_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_AUDIT_GUARD_FUNCTION, params=None)
        schema_editor.execute(
            f"CREATE TRIGGER {TABLE}_immutable BEFORE UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION antifraud_audit_chain_only();"
        )


def remove_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_immutable ON {TABLE}")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('antifraud', '0004_delivery_feed'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(drop_strict_trigger, restore_strict_trigger),
        migrations.AddField(
            model_name='auditchain',
            name='last_seq',
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='seq',
            field=models.BigIntegerField(blank=True, null=True, unique=True, verbose_name='sequence'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='hash',
            field=models.CharField(blank=True, max_length=64, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='prev_hash',
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(condition=models.Q(('seq__isnull', True)), fields=['id'], name='audit_unchained'),
        ),
        migrations.RunPython(number_existing_events, migrations.RunPython.noop),
        migrations.RunPython(install_guard, remove_guard),
    ]
