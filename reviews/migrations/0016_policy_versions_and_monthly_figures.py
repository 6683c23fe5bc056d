"""Policy versions drafted by one administrator and published by another; the monthly
figures of the public pages; the permission to export statements of reasons."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def backfill(apps, schema_editor):
    """Versions replaced before this migration get the date the next one was published."""
    from accounts.roles import role_groups_sync

    Policy = apps.get_model("reviews", "Policy")
    for old in Policy.objects.filter(is_current=False, superseded_at__isnull=True):
        successor = (
            Policy.objects.filter(code=old.code, version__gt=old.version)
            .order_by("version")
            .first()
        )
        if successor is not None:
            old.superseded_at = successor.published_at
            old.save(update_fields=["superseded_at"])
    role_groups_sync(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_partner_lookups_and_reliability"),
        ("antifraud", "0011_signal_created_index"),
        ("reviews", "0015_policy_catalogue_kazakh"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="MonthlyFigure",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("month", models.DateField(verbose_name="month")),
                ("metric", models.CharField(max_length=48, verbose_name="metric")),
                (
                    "key",
                    models.CharField(blank=True, max_length=100, verbose_name="broken down by"),
                ),
                ("value", models.FloatField(verbose_name="value")),
                ("basis", models.PositiveIntegerField(default=0, verbose_name="records")),
                (
                    "computed_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="computed"
                    ),
                ),
            ],
            options={
                "verbose_name": "monthly figure",
                "verbose_name_plural": "monthly figures",
            },
        ),
        migrations.AlterModelOptions(
            name="decision",
            options={
                "ordering": ["-decided_at"],
                "permissions": [("export_statements", "Can export statements of reasons")],
                "verbose_name": "decision",
                "verbose_name_plural": "decisions",
            },
        ),
        migrations.AlterModelOptions(
            name="policy",
            options={
                "ordering": ["code", "-version"],
                "permissions": [("publish_policy", "Can publish a drafted policy version")],
                "verbose_name": "policy",
                "verbose_name_plural": "policies",
            },
        ),
        migrations.AddField(
            model_name="policy",
            name="drafted_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="drafted"),
        ),
        migrations.AddField(
            model_name="policy",
            name="drafted_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="drafted by",
            ),
        ),
        migrations.AddField(
            model_name="policy",
            name="published_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="published by",
            ),
        ),
        migrations.AddField(
            model_name="policy",
            name="status",
            field=models.CharField(
                choices=[("draft", "Draft"), ("published", "Published")],
                default="published",
                max_length=10,
                verbose_name="status",
            ),
        ),
        migrations.AddField(
            model_name="policy",
            name="superseded_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="replaced"),
        ),
        migrations.AlterField(
            model_name="policy",
            name="published_at",
            field=models.DateTimeField(
                blank=True, default=django.utils.timezone.now, null=True, verbose_name="published"
            ),
        ),
        migrations.AddIndex(
            model_name="decision",
            index=models.Index(fields=["decided_at"], name="decision_decided_at"),
        ),
        migrations.AddConstraint(
            model_name="policy",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "draft")), fields=("code",), name="policy_one_draft"
            ),
        ),
        migrations.AddConstraint(
            model_name="policy",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["draft", "published"])),
                name="policy_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="policy",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("is_current", False), ("published_at__isnull", True), ("status", "draft")
                    ),
                    models.Q(("published_at__isnull", False), ("status", "published")),
                    _connector="OR",
                ),
                name="policy_draft_unpublished",
            ),
        ),
        migrations.AddConstraint(
            model_name="policy",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("drafted_by__isnull", True),
                    ("published_by__isnull", True),
                    models.Q(("published_by", models.F("drafted_by")), _negated=True),
                    _connector="OR",
                ),
                name="policy_publisher_differs",
            ),
        ),
        migrations.AddField(
            model_name="monthlyfigure",
            name="partner",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.partner",
            ),
        ),
        migrations.AddIndex(
            model_name="monthlyfigure",
            index=models.Index(fields=["month", "metric"], name="figure_month_metric"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
