from django.db import migrations

from accounts.roles import role_groups_sync


def sync(apps, schema_editor):
    role_groups_sync(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0001_initial"),
        ("antifraud", "0002_audit_chain_head_and_immutability"),
        ("reviews", "0003_policy_catalogue"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
