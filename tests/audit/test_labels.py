"""The history reads in words: every action the code records has a label, in every language."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from audit.labels import BY_ACTION, BY_KIND, action_label

ROOT = Path(settings.BASE_DIR)
SKIP = {".venv", "tests", "migrations", "bench", "node_modules"}


def _recorded_actions() -> set[str]:
    """Every action name passed to `transition(obj, "name")` or as `action="name"` in the code."""
    found: set[str] = set()
    for path in ROOT.rglob("*.py"):
        if SKIP & set(path.relative_to(ROOT).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name == "transition" and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
                found.add(node.args[1].value)
            if name in ("audit_record", "transition"):
                for keyword in node.keywords:
                    if keyword.arg == "action" and isinstance(keyword.value, ast.Constant):
                        found.add(keyword.value.value)
    return found


def test_every_recorded_action_has_a_label():
    actions = _recorded_actions()
    assert {"payment_record", "grant_create", "mark_eligible"} <= actions
    assert sorted(a for a in actions if a not in BY_ACTION) == []


def test_labels_depend_on_the_object_and_never_show_a_code():
    assert action_label("payment_record") == "Payment recorded"
    assert action_label("sign", "grants.grant") == "Grant signed"
    assert action_label("approve", "grants.tranche") != action_label("approve", "reporting.granteereport")
    assert action_label("some_new_thing") == "Some new thing"
    for (_kind, action), label in BY_KIND.items():
        assert "_" not in str(label) and action in BY_ACTION


@pytest.mark.parametrize("language", ["uk", "hy"])
def test_labels_are_translatable(language):
    with translation.override(language):
        assert isinstance(action_label("payment_record"), str)
