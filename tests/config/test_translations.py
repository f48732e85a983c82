"""Every UI language's catalogue (settings.LANGUAGES but English) is complete: no untranslated or
fuzzy entry, every string marked in the code is in them, and none is English copied over."""

from pathlib import Path

import polib
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]
CATALOGUES = [ROOT / "locale" / lang / "LC_MESSAGES" / "django.po" for lang in LANGUAGES] + sorted(
    ROOT.glob("locale_vendor/*/LC_MESSAGES/django.po")  # third-party apps' missing languages (allauth hy, DRF ka)
)


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_catalogue_is_complete(path):
    catalogue = polib.pofile(str(path))
    untranslated = [e.msgid for e in catalogue.untranslated_entries() if not e.obsolete]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries() if not e.obsolete]
    assert not untranslated, f"{len(untranslated)} untranslated in {path.name}: {untranslated[:10]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {path.name}: {fuzzy[:10]}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_are_not_copies_of_english(lang):
    catalogue = polib.pofile(str(ROOT / "locale" / lang / "LC_MESSAGES" / "django.po"))
    entries = [e for e in catalogue if not e.obsolete and e.msgstr and len(e.msgid) > 12 and "%" not in e.msgid]
    copies = [e.msgid for e in entries if e.msgstr == e.msgid]
    assert len(copies) <= len(entries) * 0.02, copies[:10]


def test_every_marked_string_is_in_the_catalogues(tmp_path):
    """makemessages on the current code finds nothing the committed catalogue lacks."""
    import shutil
    import subprocess
    import sys

    if not shutil.which("xgettext"):
        pytest.skip("gettext tools missing (bin/setup installs them)")
    work = tmp_path / "src"
    shutil.copytree(
        ROOT,
        work,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "var", "node_modules", "*.sqlite3*", "__pycache__", "locale_vendor"
        ),
    )
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "uk",
            "--ignore",
            ".venv",
            "--ignore",
            "tests",
            "--ignore",
            "bench",
            "--no-obsolete",
        ],
        cwd=work,
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "true"},
    )
    fresh = {e.msgid for e in polib.pofile(str(work / "locale/uk/LC_MESSAGES/django.po")) if not e.obsolete}
    committed = {e.msgid for e in polib.pofile(str(ROOT / "locale/uk/LC_MESSAGES/django.po")) if not e.obsolete}
    missing = sorted(fresh - committed)
    assert not missing, f"{len(missing)} strings marked in code but missing from the catalogue: {missing[:10]}"
