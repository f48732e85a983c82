# Indexes for the list pages' filters and sorts.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("grants", "0003_list_indexes"),
        ("reporting", "0002_job_lease_and_file_removed"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="donorreport",
            index=models.Index(fields=["programme", "-requested_at"], name="donor_report_prog_requested"),
        ),
        migrations.AddIndex(
            model_name="exportjob",
            index=models.Index(fields=["user", "-created_at"], name="export_job_user_created"),
        ),
        migrations.AddIndex(
            model_name="granteereport",
            index=models.Index(fields=["state", "due_on"], name="grantee_report_state_due"),
        ),
        migrations.AddIndex(
            model_name="granteereport",
            index=models.Index(fields=["due_on", "id"], name="grantee_report_due"),
        ),
    ]
