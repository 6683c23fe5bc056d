from django.db import migrations

from antifraud.models.immutable import POSTGRES_REFUSE_FUNCTION, postgres_immutable_trigger_sql

GENESIS_HASH = "0" * 64


def create_chain_head(apps, schema_editor):
    AuditChain = apps.get_model("antifraud", "AuditChain")
    AuditChain.objects.get_or_create(pk=1, defaults={"last_hash": GENESIS_HASH})


def install_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(POSTGRES_REFUSE_FUNCTION, params=None)
    schema_editor.execute(postgres_immutable_trigger_sql("antifraud_auditevent"))


def remove_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP TRIGGER IF EXISTS antifraud_auditevent_immutable ON antifraud_auditevent")


class Migration(migrations.Migration):
    dependencies = [("antifraud", "0001_initial")]

    operations = [
        migrations.RunPython(create_chain_head, migrations.RunPython.noop),
        migrations.RunPython(install_triggers, remove_triggers),
    ]
