from django.db import migrations

from antifraud.models.immutable import postgres_immutable_trigger_sql


def install_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(postgres_immutable_trigger_sql("reviews_decision"))


def remove_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS reviews_decision_immutable ON reviews_decision")


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0001_initial"),
        ("antifraud", "0002_audit_chain_head_and_immutability"),
    ]

    operations = [migrations.RunPython(install_trigger, remove_trigger)]
