"""Each catalogue speaks the domain one way: a msgid using a term of the glossary
(`locale/<lang>/glossary.json`: call, application, tranche, co-financing, conflict of interest)
is translated with the glossary's term, in any inflected form its pattern allows."""

import json
import re
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
GLOSSARIES = sorted(ROOT.glob("locale/*/glossary.json"))
TERMS = {"call", "application", "tranche", "co-financing", "conflict of interest"}
PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sdif]|\{[a-z_0-9]*\}|<[^>]+>")


def test_every_new_language_has_a_glossary():
    assert {p.parent.name for p in GLOSSARIES} >= {"ka", "ro", "az", "ru"}


@pytest.mark.parametrize("path", GLOSSARIES, ids=lambda p: p.parent.name)
def test_the_catalogue_uses_its_glossary(path):
    glossary = json.loads(path.read_text())
    assert set(glossary) == TERMS
    catalogue = polib.pofile(str(path.parent / "LC_MESSAGES" / "django.po"))
    off = []
    for entry in catalogue:
        if entry.obsolete or not entry.translated():
            continue
        source = PLACEHOLDER.sub(" ", f"{entry.msgid} {entry.msgid_plural}")
        texts = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for term, rule in glossary.items():
            if not re.search(rf"\b{re.escape(term)}s?\b", source, re.I):
                continue
            for text in texts:
                if not re.search(rule["pattern"], PLACEHOLDER.sub(" ", text), re.I):
                    off.append(f"{term!r} should read {rule['translation']!r}: {entry.msgid[:60]!r} -> {text[:60]!r}")
    assert not off, f"{len(off)} entries leave the glossary:\n" + "\n".join(off[:15])
