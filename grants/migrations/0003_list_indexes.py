# Indexes for the list pages' filters and sorts.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_list_indexes_and_search"),
        ("applications", "0003_list_indexes_and_search"),
        ("grants", "0002_grant_agreements_and_disbursement"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="call",
            index=models.Index(fields=["state", "deadline"], name="call_state_deadline"),
        ),
        migrations.AddIndex(
            model_name="call",
            index=models.Index(fields=["programme", "-deadline"], name="call_programme_deadline"),
        ),
        migrations.AddIndex(
            model_name="grant",
            index=models.Index(fields=["state", "-created_at"], name="grant_state_created"),
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(fields=["-paid_on", "-id"], name="payment_paid_on"),
        ),
        migrations.AddIndex(
            model_name="tranche",
            index=models.Index(fields=["state", "due_on"], name="tranche_state_due"),
        ),
    ]
