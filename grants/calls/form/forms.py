"""The builder's forms: a section, and a question with what its kind needs. Answers to choose
from and table columns are typed one per line; their labels in the other languages likewise, in
the same order. A condition names an earlier question, an operator and a value."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.forms import TextCleaning
from core.languages import language_label, main_language, translation_codes
from grants.calls.form.answers import COLUMN_KINDS, choices, columns, label_of
from grants.calls.form.models import FormPurpose, QuestionKind, SectionKind

OPERATORS = [
    ("", gettext_lazy("always shown")),
    ("equals", gettext_lazy("the answer is")),
    ("in", gettext_lazy("the answer is one of (separate with ;)")),
    ("yes", gettext_lazy("the answer is yes")),
    ("no", gettext_lazy("the answer is no")),
    ("above", gettext_lazy("the number is above")),
    ("below", gettext_lazy("the number is below")),
]
DISPLAY = [("radio", gettext_lazy("buttons, one per answer")), ("list", gettext_lazy("a drop-down list"))]
LINES = gettext_lazy("One per line.")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _labelled(
    lines: list[str], translations: dict[str, list[str]], existing: list[dict], key: str, prefix: str
) -> list[dict]:
    """Items for `lines` (main language), each with its labels in every language given. Items
    keep their identifier: by position when the count is unchanged (a renamed answer), by their
    label otherwise; new ones get the next free identifier."""
    main = main_language()
    by_label = {label_of(item, main): item for item in existing}
    used = {str(item.get(key)) for item in existing}
    counter = len(used)
    items = []
    for index, line in enumerate(lines):
        old: dict | None
        if len(lines) == len(existing):
            old = existing[index]
        else:
            old = by_label.get(line)
        if old is None:
            counter += 1
            while f"{prefix}{counter}" in used:
                counter += 1
            ident = f"{prefix}{counter}"
            used.add(ident)
            old = {key: ident}
        labels = {main: line}
        for code, texts in translations.items():
            if index < len(texts):
                labels[code] = texts[index]
        items.append({**{k: v for k, v in old.items() if k != "label"}, "label": labels})
    return items


class SectionForm(TextCleaning, forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    guidance = forms.CharField(label=gettext_lazy("Guidance"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=SectionKind.choices, initial=SectionKind.QUESTIONS)
    cond_question = forms.TypedChoiceField(
        label=gettext_lazy("Shown only when the question"), required=False, coerce=int, empty_value=None
    )
    cond_op = forms.ChoiceField(label=gettext_lazy("Condition"), required=False, choices=OPERATORS)
    cond_value = forms.CharField(label=gettext_lazy("Value"), required=False, max_length=300)

    def __init__(self, *args, earlier=(), purpose=FormPurpose.APPLICATION, **kwargs):
        self.earlier = list(earlier)
        super().__init__(*args, **kwargs)
        self.fields["cond_question"].choices = [("", "—")] + [(q.pk, str(q)[:80]) for q in self.earlier]
        if purpose != FormPurpose.APPLICATION:
            self.fields["kind"].choices = [(SectionKind.QUESTIONS, SectionKind.QUESTIONS.label)]

    def values(self) -> dict:
        main = main_language()
        return {
            f"title_{main}": self.cleaned_data["title"],
            f"guidance_{main}": self.cleaned_data["guidance"],
            "kind": self.cleaned_data["kind"],
        }

    def condition(self) -> dict:
        return condition_of(self.cleaned_data, self.earlier)


def condition_of(data: dict, earlier: list) -> dict:
    """The condition as the builder stores it; choice answers may be named by their labels."""
    qid, op = data.get("cond_question"), data.get("cond_op")
    if not qid or not op:
        return {}
    source = next((q for q in earlier if q.pk == qid), None)
    raw = (data.get("cond_value") or "").strip()
    if op in ("yes", "no"):
        return {"question": qid, "op": op}
    if source is not None and source.kind in (QuestionKind.CHOICE, QuestionKind.MULTI_CHOICE):
        by_label = {}
        for c in choices(source):
            for label in (c.get("label") or {}).values():
                by_label[label.casefold()] = str(c.get("value"))
            by_label[str(c.get("value")).casefold()] = str(c.get("value"))
        parts = [p.strip() for p in raw.split(";") if p.strip()] if op == "in" else [raw]
        values = [by_label.get(p.casefold(), p) for p in parts]
        return {"question": qid, "op": op, "value": values if op == "in" else values[0]}
    return {"question": qid, "op": op, "value": raw}


def condition_initial(condition: dict, earlier: list) -> dict:
    if not condition:
        return {}
    source = next((q for q in earlier if q.pk == condition.get("question")), None)
    value = condition.get("value", "")
    if source is not None and source.kind in (QuestionKind.CHOICE, QuestionKind.MULTI_CHOICE):
        labels = {str(c.get("value")): label_of(c, main_language()) for c in choices(source)}
        value = (
            "; ".join(labels.get(str(v), str(v)) for v in value)
            if isinstance(value, list)
            else labels.get(str(value), value)
        )
    return {"cond_question": condition.get("question"), "cond_op": condition.get("op"), "cond_value": value}


class QuestionForm(TextCleaning, forms.Form):
    section = forms.TypedChoiceField(label=gettext_lazy("Section"), coerce=int)
    kind = forms.ChoiceField(label=gettext_lazy("Type"), choices=QuestionKind.choices, initial=QuestionKind.LONG_TEXT)
    text = forms.CharField(label=gettext_lazy("Question"), max_length=500)
    help_text = forms.CharField(
        label=gettext_lazy("Guidance"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    required = forms.BooleanField(label=gettext_lazy("Required"), required=False, initial=True)
    identifying = forms.BooleanField(
        label=gettext_lazy("Identifying: hidden from blind reviewers (names of the organisation, staff or partners)"),
        required=False,
    )
    max_chars = forms.IntegerField(label=gettext_lazy("Character limit"), min_value=1, max_value=100_000, initial=3000)
    minimum = forms.DecimalField(
        label=gettext_lazy("Smallest number or amount"), required=False, max_digits=16, decimal_places=2
    )
    maximum = forms.DecimalField(
        label=gettext_lazy("Largest number or amount"), required=False, max_digits=16, decimal_places=2
    )
    unit = forms.CharField(label=gettext_lazy("Unit (e.g. people, km)"), required=False, max_length=30)
    choices = forms.CharField(
        label=gettext_lazy("Answers to choose from"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("One per line. To rename an answer, change its line in place."),
    )
    display = forms.ChoiceField(label=gettext_lazy("Shown as"), choices=DISPLAY, initial="radio", required=False)
    min_picks = forms.IntegerField(
        label=gettext_lazy("Fewest answers to pick"), required=False, min_value=0, max_value=50
    )
    max_picks = forms.IntegerField(
        label=gettext_lazy("Most answers to pick"), required=False, min_value=1, max_value=50
    )
    table_columns = forms.CharField(
        label=gettext_lazy("Table columns"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "One per line: its name, then after a | its type (text, number, amount or date), then | total to add it up. "
            "E.g. Activity | text, then Cost | amount | total."
        ),
    )
    max_rows = forms.IntegerField(label=gettext_lazy("Most rows"), required=False, min_value=1, max_value=200)
    file_types = forms.CharField(
        label=gettext_lazy("File types accepted (e.g. pdf, docx)"), required=False, max_length=100
    )
    max_mb = forms.IntegerField(label=gettext_lazy("Largest file (MB)"), required=False, min_value=1, max_value=100)
    accept = forms.CharField(
        label=gettext_lazy("Answers that qualify"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Eligibility check: the answers (one per line, as offered, or yes/no) that let an organisation apply."
        ),
    )
    accept_min = forms.DecimalField(
        label=gettext_lazy("Qualifies from"), required=False, max_digits=16, decimal_places=2
    )
    accept_max = forms.DecimalField(
        label=gettext_lazy("Qualifies up to"), required=False, max_digits=16, decimal_places=2
    )
    cond_question = forms.TypedChoiceField(
        label=gettext_lazy("Shown only when the question"), required=False, coerce=int, empty_value=None
    )
    cond_op = forms.ChoiceField(label=gettext_lazy("Condition"), required=False, choices=OPERATORS)
    cond_value = forms.CharField(label=gettext_lazy("Value"), required=False, max_length=300)
    carries_from = forms.TypedChoiceField(
        label=gettext_lazy("Carries over the concept note's answer to"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=gettext_lazy("Two-stage calls: the invited organisation's draft starts with that answer."),
    )

    def __init__(
        self,
        *args,
        sections=(),
        earlier=(),
        question=None,
        purpose=FormPurpose.APPLICATION,
        concept_questions=(),
        **kwargs,
    ):
        """`earlier`: every question of the form (a condition may only name one before this
        question; the builder says so when it names another)."""
        self.earlier, self.question, self.purpose = list(earlier), question, purpose
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = [(s.pk, str(s)) for s in sections]
        self.fields["cond_question"].choices = [("", "—")] + [(q.pk, str(q)[:80]) for q in self.earlier]
        for code in translation_codes():
            language = language_label(code)
            self.fields[f"choices_{code}"] = forms.CharField(
                label=_("Answers in %(language)s") % {"language": language},
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=LINES,
            )
            self.fields[f"columns_{code}"] = forms.CharField(
                label=_("Column names in %(language)s") % {"language": language},
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=LINES,
            )
        if purpose != FormPurpose.ELIGIBILITY:
            for name in ("accept", "accept_min", "accept_max"):
                del self.fields[name]
        if concept_questions and purpose == FormPurpose.APPLICATION:
            self.fields["carries_from"].choices = [("", "—")] + [(q.pk, str(q)[:80]) for q in concept_questions]
        else:
            del self.fields["carries_from"]
        if purpose != FormPurpose.APPLICATION:
            del self.fields["identifying"]

    @classmethod
    def initial_of(cls, question, earlier) -> dict:
        options = question.options or {}
        main = main_language()
        initial = {
            "section": question.section_id,
            "kind": question.kind,
            "text": getattr(question, f"text_{main}") or "",
            "help_text": getattr(question, f"help_text_{main}") or "",
            "required": question.required,
            "identifying": question.identifying,
            "max_chars": question.max_chars,
            "minimum": options.get("min"),
            "maximum": options.get("max"),
            "unit": options.get("unit", ""),
            "choices": "\n".join(label_of(c, main) for c in choices(question)),
            "display": options.get("display", "radio"),
            "min_picks": options.get("min_picks"),
            "max_picks": options.get("max_picks"),
            "table_columns": "\n".join(
                " | ".join([label_of(c, main), c.get("kind") or "text", *(["total"] if c.get("total") else [])])
                for c in columns(question)
            ),
            "max_rows": options.get("max_rows"),
            "file_types": ", ".join(options.get("file_types") or []),
            "max_mb": options.get("max_mb"),
            "carries_from": options.get("carries_from"),
            **condition_initial(question.condition or {}, earlier),
        }
        accept = options.get("accept")
        if isinstance(accept, dict):
            initial.update(accept_min=accept.get("min"), accept_max=accept.get("max"))
        elif isinstance(accept, list):
            labels = {str(c.get("value")): label_of(c, main) for c in choices(question)}
            initial["accept"] = "\n".join(labels.get(str(v), str(v)) for v in accept)
        for code in translation_codes():
            initial[f"choices_{code}"] = "\n".join(
                (c.get("label") or {}).get(code, "") for c in choices(question)
            ).strip()
            initial[f"columns_{code}"] = "\n".join(
                (c.get("label") or {}).get(code, "") for c in columns(question)
            ).strip()
        return initial

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        old = self.question.options if self.question is not None else {}
        codes = translation_codes()
        options: dict = {}
        if kind in (QuestionKind.NUMBER, QuestionKind.AMOUNT):
            for name, key in (("minimum", "min"), ("maximum", "max")):
                if data.get(name) is not None:
                    options[key] = str(data[name])
            if kind == QuestionKind.NUMBER and data.get("unit"):
                options["unit"] = data["unit"]
        if kind in (QuestionKind.CHOICE, QuestionKind.MULTI_CHOICE):
            options["choices"] = _labelled(
                _lines(data.get("choices", "")),
                {code: _lines(data.get(f"choices_{code}", "")) for code in codes},
                list((old or {}).get("choices") or []),
                "value",
                "a",
            )
            if kind == QuestionKind.CHOICE:
                options["display"] = data.get("display") or "radio"
            else:
                for name in ("min_picks", "max_picks"):
                    if data.get(name):
                        options[name] = data[name]
        if kind == QuestionKind.TABLE:
            specs, kinds, totals = [], [], []
            for line in _lines(data.get("table_columns", "")):
                bits = [b.strip() for b in line.split("|")]
                col_kind = bits[1].lower() if len(bits) > 1 and bits[1] else "text"
                if col_kind not in COLUMN_KINDS:
                    self.add_error(
                        "table_columns",
                        _("“%(kind)s” is not a column type; use text, number, amount or date.") % {"kind": bits[1]},
                    )
                    col_kind = "text"
                specs.append(bits[0])
                kinds.append(col_kind)
                totals.append(len(bits) > 2 and bits[2].lower() == "total")
            cols = _labelled(
                specs,
                {code: _lines(data.get(f"columns_{code}", "")) for code in codes},
                list((old or {}).get("columns") or []),
                "key",
                "c",
            )
            for col, col_kind, total in zip(cols, kinds, totals):
                col["kind"] = col_kind
                col["total"] = total and col_kind in ("number", "amount")
            options["columns"] = cols
            if data.get("max_rows"):
                options["max_rows"] = data["max_rows"]
        if kind == QuestionKind.FILE:
            types = [t.strip().lower().lstrip(".") for t in (data.get("file_types") or "").split(",") if t.strip()]
            if types:
                options["file_types"] = types
            if data.get("max_mb"):
                options["max_mb"] = data["max_mb"]
        if self.purpose == FormPurpose.ELIGIBILITY:
            options.update(self._accept(data, kind, options))
        if data.get("carries_from"):
            options["carries_from"] = data["carries_from"]
        self.options = options
        self.condition_value = condition_of(data, self.earlier)
        return data

    def _accept(self, data, kind, options) -> dict:
        if kind == QuestionKind.NUMBER:
            bounds = {k: str(data[f"accept_{k}"]) for k in ("min", "max") if data.get(f"accept_{k}") is not None}
            return {"accept": bounds} if bounds else {}
        lines = _lines(data.get("accept", ""))
        if not lines:
            return {}
        if kind == QuestionKind.YES_NO:
            words = {"yes": "yes", "no": "no", _("Yes").casefold(): "yes", _("No").casefold(): "no"}
            values = [words.get(line.casefold()) for line in lines]
        else:
            by_label = {
                label.casefold(): str(c["value"]) for c in options.get("choices", []) for label in c["label"].values()
            }
            values = [by_label.get(line.casefold()) for line in lines]
        if None in values:
            self.add_error("accept", _("Name the qualifying answers exactly as they are offered."))
            return {}
        return {"accept": values}

    def values(self) -> dict:
        main = main_language()
        return {
            f"text_{main}": self.cleaned_data["text"],
            f"help_text_{main}": self.cleaned_data["help_text"],
            "kind": self.cleaned_data["kind"],
            "required": self.cleaned_data.get("required"),
            "identifying": self.cleaned_data.get("identifying"),
            "max_chars": self.cleaned_data.get("max_chars") or 3000,
        }
