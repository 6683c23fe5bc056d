from django.db import migrations

from accounts.roles import role_groups_sync


def sync(apps, schema_editor):
    role_groups_sync(apps)


class Migration(migrations.Migration):
    """Supervisors see the detection rules; administrators also change them."""

    dependencies = [
        ("reviews", "0010_decision_attempts"),
        ("antifraud", "0008_detection"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
