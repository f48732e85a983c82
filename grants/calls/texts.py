"""A programme's or a call's texts in every UI language, edited side by side.

The main language's text is written on the programme's and the call's own forms; here a manager
(or a translator among the programme's managers) fills in the other languages, sees which are
missing, and saves them in one audited change. Translations may be corrected at any time but for
an archived or cancelled call: they change no term an applicant relies on (the main text does,
and it stays frozen with the call)."""

from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import audit_record
from core.errors import TransitionRefused
from core.forms import TextCleaning
from core.languages import language_label, main_text, own_name, translated_fields, translation_codes
from grants.calls.models import Call, CallState, Programme

LONG = ("description", "help_text", "guidance")  # shown as text areas
FROZEN = (CallState.ARCHIVED, CallState.CANCELLED)


@dataclass
class TextRow:
    obj: Model
    name: str
    label: str
    main: str
    values: dict = field(default_factory=dict)  # language → text ("" where missing)

    @property
    def key(self) -> str:
        return f"{self.obj._meta.model_name}-{self.obj.pk}-{self.name}"

    def input_name(self, code: str) -> str:
        return f"{self.key}-{code}"

    @property
    def long(self) -> bool:
        return self.name in LONG

    @property
    def max_length(self) -> int | None:
        return self.obj._meta.get_field(self.name).max_length  # type: ignore[union-attr]


def _rows_of(obj: Model, label: str) -> list[TextRow]:
    rows = []
    for n, name in enumerate(translated_fields(obj)):
        main = main_text(obj, name)
        if not main:
            continue  # nothing to translate (an empty description)
        verbose = str(getattr(obj._meta.get_field(name), "verbose_name", name))
        rows.append(
            TextRow(
                obj=obj,
                name=name,
                label=(f"{label} · {verbose}" if n else label) if label else verbose.capitalize(),
                main=main,
                values={code: getattr(obj, f"{name}_{code}") or "" for code in translation_codes()},
            )
        )
    return rows


def text_rows(owner: Programme | Call) -> list[TextRow]:
    """Every text of the programme (and its indicators) or of the call (and its questions, budget
    headings, documents and rubric), in reading order. A fixed number of queries."""
    rows = _rows_of(owner, "")
    if isinstance(owner, Programme):
        for i in owner.indicators.all():
            rows += _rows_of(i, _("Indicator %(code)s") % {"code": i.code})
        return rows
    parts = (
        ("form_sections", gettext_lazy("Form section %(n)s")),
        ("questions", gettext_lazy("Question %(n)s")),
        ("budget_headings", gettext_lazy("Budget heading %(n)s")),
        ("required_documents", gettext_lazy("Document %(n)s")),
        ("criteria", gettext_lazy("Criterion %(n)s")),
        ("checklist", gettext_lazy("Checklist item %(n)s")),
    )
    for part, label in parts:
        for n, obj in enumerate(getattr(owner, part).all(), start=1):
            rows += _rows_of(obj, str(label) % {"n": n})
    return rows


def missing_counts(rows: list[TextRow]) -> list[tuple[str, str, int]]:
    """(code, language's name, texts missing) for every language but the main one."""
    return [
        (code, language_label(code), sum(1 for r in rows if not r.values[code].strip())) for code in translation_codes()
    ]


class TextsForm(TextCleaning, forms.Form):
    """One input per text and language, named `<model>-<pk>-<field>-<language>`."""

    def __init__(self, rows: list[TextRow], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            for code in translation_codes():
                widget = (
                    forms.Textarea(attrs={"rows": 3, "lang": code})
                    if row.long
                    else forms.TextInput(attrs={"lang": code})
                )
                self.fields[row.input_name(code)] = forms.CharField(
                    label=own_name(code),
                    required=False,
                    max_length=row.max_length,
                    initial=row.values[code],
                    widget=widget,
                )

    def grid(self):
        """Per text: its row and its bound inputs in the order of the languages."""
        return [(row, [(code, self[row.input_name(code)]) for code in translation_codes()]) for row in self.rows]


def texts_save(*, actor, owner: Programme | Call, values: dict[str, str]) -> int:
    """Write the translations given as `{input name: text}`; returns how many changed. One audit
    event on the programme or call names each changed text and language."""
    model = type(owner)
    with transaction.atomic():
        owner = model.objects.select_for_update().get(pk=owner.pk)
        if isinstance(owner, Call):
            if not actor.has_perm("grants.manage_call", owner):
                raise PermissionDenied(_("You do not manage this call's programme."))
            if owner.state in FROZEN:
                raise TransitionRefused(_("The texts of an archived or cancelled call can no longer be changed."))
        elif not actor.has_perm("grants.manage_programme", owner):
            raise PermissionDenied(_("You do not manage this programme."))
        changed: dict[str, str] = {}
        dirty: dict[Model, list[str]] = {}
        for row in text_rows(owner):
            for code in translation_codes():
                new = values.get(row.input_name(code))
                if new is None or new == row.values[code]:
                    continue
                column = f"{row.name}_{code}"
                setattr(row.obj, column, new or None)
                dirty.setdefault(row.obj, []).append(column)
                changed[row.input_name(code)] = new
        for obj, columns in dirty.items():
            obj.save(update_fields=columns)
        if changed:
            audit_record(actor=actor, action="texts_translate", obj=owner, data={"changed": changed})
    return len(changed)
