# The ranking's assessment stored on each application (applications/review/ranking/stored.py)
# and the indexes the ranking reads it by. Existing rows start without it (assessed_rules null):
# the ranking computes them before it first reads the call.
#
# SQLite adds these columns by rebuilding the table from the model's state, which holds the
# PostgreSQL-only full-text index (0003): the state forgets that index while the columns are
# added and learns it again afterwards; PostgreSQL keeps it throughout (no database operation).

from decimal import Decimal

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_list_indexes_and_search"),
        ("applications", "0003_list_indexes_and_search"),
        ("grants", "0003_list_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.RemoveIndex(model_name="application", name="application_search")]
        ),
        migrations.AddField(
            model_name="application",
            name="assessed_rules",
            field=models.CharField(blank=True, editable=False, max_length=16, null=True),
        ),
        migrations.AddField(
            model_name="application",
            name="assessment",
            field=models.JSONField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="application",
            name="divergence",
            field=models.DecimalField(blank=True, decimal_places=2, editable=False, max_digits=9, null=True),
        ),
        migrations.AddField(
            model_name="application",
            name="reviews_divergent",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddField(
            model_name="application",
            name="fundable",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddField(
            model_name="application",
            name="ranking_first",
            field=models.DecimalField(decimal_places=20, default=Decimal("0"), editable=False, max_digits=30),
        ),
        migrations.AddField(
            model_name="application",
            name="ranking_group",
            field=models.PositiveSmallIntegerField(default=3, editable=False),
        ),
        migrations.AddField(
            model_name="application",
            name="ranking_score",
            field=models.DecimalField(decimal_places=20, default=Decimal("0"), editable=False, max_digits=30),
        ),
        migrations.AddField(
            model_name="application",
            name="reviews_pending",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="application",
            name="reviews_submitted",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="application",
            name="reviews_withdrawn",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(
                fields=["call", "ranking_group", "-ranking_score", "-ranking_first", "id"],
                include=["state", "requested_amount", "reviews_divergent", "reviews_pending", "consensus_score"],
                name="application_ranking",
            ),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(fields=["call", "assessed_rules"], name="application_assessed_rules"),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="application",
                    index=django.contrib.postgres.indexes.GinIndex(
                        django.contrib.postgres.search.SearchVector("reference", "title", "summary", config="simple"),
                        name="application_search",
                    ),
                )
            ]
        ),
    ]
