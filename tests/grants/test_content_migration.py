"""The move to django-modeltranslation keeps every text: English moves into its own column, the
Ukrainian and Armenian columns stay as they were (their names were already the library's).

The data step runs on a row as the move found it — English in the plain column, `title_en` empty —
with the models as they stood at that migration."""

import importlib
from datetime import date

from django.db import connection
from django.db.migrations.loader import MigrationLoader

from grants.calls.models import Programme

MOVE = importlib.import_module("grants.migrations.0006_content_in_every_language")


def test_existing_translations_survive_the_move(db):
    programme = Programme.objects.create(
        code="eu4i",
        title_en="placeholder",
        title_uk="ЄС за доброчесність",
        title_hy="ԵՄ-ն հանուն բարեվարքության",
        budget=1000,
        starts_on=date(2026, 1, 1),
        ends_on=date(2027, 1, 1),
    )
    # As before the move: the English title in the plain column only.
    Programme.objects.filter(pk=programme.pk).update(title_en=None)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE grants_programme SET title = %s WHERE id = %s", ["EU for Integrity", programme.pk])
    apps = MigrationLoader(connection).project_state(("grants", "0006_content_in_every_language")).apps
    MOVE.english_into_its_column(apps, None)
    moved = Programme.objects.get(pk=programme.pk)
    assert moved.title_en == "EU for Integrity"
    assert moved.title_uk == "ЄС за доброчесність" and moved.title_hy == "ԵՄ-ն հանուն բարեվարքության"
    assert moved.description_uk is None  # never translated: the reader gets the English
