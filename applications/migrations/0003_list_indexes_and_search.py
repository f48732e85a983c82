# Indexes for the list pages' filters and sorts; GIN indexes for full-text search (PostgreSQL only).

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.conf import settings
from django.db import migrations, models

from core.migration_operations import AddIndexOnPostgreSQL


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_list_indexes_and_search"),
        ("applications", "0002_review_conflict_late"),
        ("grants", "0002_grant_agreements_and_disbursement"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="application",
            index=models.Index(fields=["call", "reference", "id"], name="application_call_reference"),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(fields=["organisation", "-updated_at"], name="application_org_updated"),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(fields=["-created_at", "id"], name="application_created"),
        ),
        AddIndexOnPostgreSQL(
            model_name="application",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.search.SearchVector("reference", "title", "summary", config="simple"),
                name="application_search",
            ),
        ),
    ]
