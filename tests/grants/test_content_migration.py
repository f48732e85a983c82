"""The move to django-modeltranslation keeps every text: English moves into its own column, the
Ukrainian and Armenian columns stay as they were (their names were already the library's)."""

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("grants", "0005_donor_organisation_type")]
AFTER = [("grants", "0006_content_in_every_language")]


@pytest.mark.django_db(transaction=True)
def test_existing_translations_survive_the_move():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    programme = old.get_model("grants", "Programme").objects.create(
        code="eu4i",
        title="EU for Integrity",
        title_uk="ЄС за доброчесність",
        title_hy="ԵՄ-ն հանուն բարեվարքության",
        budget=1000,
        budget_currency="EUR",
        starts_on=date(2026, 1, 1),
        ends_on=date(2027, 1, 1),
    )
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        new = executor.loader.project_state(AFTER).apps
        moved = new.get_model("grants", "Programme").objects.get(pk=programme.pk)
        assert moved.title_en == "EU for Integrity"
        assert moved.title_uk == "ЄС за доброчесність" and moved.title_hy == "ԵՄ-ն հանուն բարեվարքության"
        assert moved.description_uk is None  # a text never translated: the reader gets the English
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
