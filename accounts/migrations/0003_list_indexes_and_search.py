# Indexes for the list pages' filters and sorts; GIN indexes for full-text search (PostgreSQL only).

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations, models

from core.migration_operations import AddIndexOnPostgreSQL


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_api_tokens"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="organisation",
            index=models.Index(fields=["legal_name", "id"], name="organisation_legal_name"),
        ),
        AddIndexOnPostgreSQL(
            model_name="organisation",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.search.SearchVector("legal_name", config="simple"), name="organisation_search"
            ),
        ),
        migrations.AddIndex(
            model_name="user",
            index=models.Index(fields=["full_name", "email"], name="user_name_email"),
        ),
    ]
