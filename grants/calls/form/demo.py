"""Demo data of the call forms; called by `manage.py seed_demo` after the calls' templates. Must
be idempotent. Every demo call gets its form's sections (its questions in "Questions", the budget
section, the documents as file questions), report forms and screening checklist; the open
advocacy call also an eligibility check and a "Partners" section whose table shows only when the
organisation works with partners (identifying: hidden from blind reviewers). Texts in every
language."""

from grants.calls.form.defaults import call_form_defaults_create
from grants.calls.form.models import FormPurpose, FormSection, Question, QuestionKind, SectionKind
from grants.calls.models import Call, RequiredDocument

ADVOCACY = "demo-advocacy-2026"

T = {
    "check": {
        "en": "Before you start",
        "uk": "Перш ніж почати",
        "hy": "Նախքան սկսելը",
        "ka": "დაწყებამდე",
        "ro": "Înainte de a începe",
        "az": "Başlamazdan əvvəl",
        "ru": "Прежде чем начать",
    },
    "nonprofit": {
        "en": "Is your organisation registered as a non-profit?",
        "uk": "Чи зареєстрована Ваша організація як неприбуткова?",
        "hy": "Ձեր կազմակերպությունը գրանցվա՞ծ է որպես ոչ առևտրային",
        "ka": "არის თუ არა თქვენი ორგანიზაცია რეგისტრირებული როგორც არაკომერციული?",
        "ro": "Organizația dumneavoastră este înregistrată ca organizație non-profit?",
        "az": "Təşkilatınız qeyri-kommersiya təşkilatı kimi qeydiyyatdan keçibmi?",
        "ru": "Зарегистрирована ли Ваша организация как некоммерческая?",
    },
    "years": {
        "en": "How many years ago was your organisation registered?",
        "uk": "Скільки років тому зареєстровано Вашу організацію?",
        "hy": "Քանի՞ տարի առաջ է գրանցվել Ձեր կազմակերպությունը",
        "ka": "რამდენი წლის წინ დარეგისტრირდა თქვენი ორგანიზაცია?",
        "ro": "Cu câți ani în urmă a fost înregistrată organizația dumneavoastră?",
        "az": "Təşkilatınız neçə il əvvəl qeydiyyatdan keçib?",
        "ru": "Сколько лет назад зарегистрирована Ваша организация?",
    },
    "partners_section": {
        "en": "Partners",
        "uk": "Партнери",
        "hy": "Գործընկերներ",
        "ka": "პარტნიორები",
        "ro": "Parteneri",
        "az": "Tərəfdaşlar",
        "ru": "Партнёры",
    },
    "with_partners": {
        "en": "Will you work with partner organisations?",
        "uk": "Чи працюватимете Ви з організаціями-партнерами?",
        "hy": "Կաշխատե՞ք գործընկեր կազմակերպությունների հետ",
        "ka": "ითანამშრომლებთ თუ არა პარტნიორ ორგანიზაციებთან?",
        "ro": "Veți lucra cu organizații partenere?",
        "az": "Tərəfdaş təşkilatlarla işləyəcəksinizmi?",
        "ru": "Будете ли Вы работать с организациями-партнёрами?",
    },
    "partners": {
        "en": "Partner organisations",
        "uk": "Організації-партнери",
        "hy": "Գործընկեր կազմակերպություններ",
        "ka": "პარტნიორი ორგანიზაციები",
        "ro": "Organizații partenere",
        "az": "Tərəfdaş təşkilatlar",
        "ru": "Организации-партнёры",
    },
    "organisation": {
        "en": "Organisation",
        "uk": "Організація",
        "hy": "Կազմակերպություն",
        "ka": "ორგანიზაცია",
        "ro": "Organizație",
        "az": "Təşkilat",
        "ru": "Организация",
    },
    "role": {
        "en": "Role in the project",
        "uk": "Роль у проєкті",
        "hy": "Դերը նախագծում",
        "ka": "როლი პროექტში",
        "ro": "Rolul în proiect",
        "az": "Layihədəki rolu",
        "ru": "Роль в проекте",
    },
}


def _texts(name: str, key: str) -> dict:
    return {f"{name}_{code}": text for code, text in T[key].items()}


def _form_of_today(call) -> None:
    """The call's questions in its first section, its documents as file questions."""
    if not FormSection.objects.filter(call=call).exists():
        call_form_defaults_create(call, reports=False)  # the demo's reports use the fixed narrative
    first = FormSection.objects.filter(call=call, purpose=FormPurpose.APPLICATION, kind=SectionKind.QUESTIONS).first()
    Question.objects.filter(call=call, purpose=FormPurpose.APPLICATION, section__isnull=True).update(section=first)
    loose = RequiredDocument.objects.filter(call=call, question__isnull=True).order_by("position")
    if loose.exists():
        documents = FormSection.objects.create(
            call=call,
            purpose=FormPurpose.APPLICATION,
            position=FormSection.objects.filter(call=call, purpose=FormPurpose.APPLICATION).count() + 1,
            **{f"title_{code}": title for code, title in DOCUMENTS.items()},
        )
        for position, doc in enumerate(loose, start=1):
            Question.objects.create(
                call=call,
                section=documents,
                position=position,
                kind=QuestionKind.FILE,
                required=doc.required,
                document=doc,
                **{f"text_{code}": getattr(doc, f"name_{code}") for code in ("en", "uk", "hy")},
                **{f"help_text_{code}": getattr(doc, f"description_{code}") for code in ("en", "uk", "hy")},
            )


DOCUMENTS = {
    "en": "Documents",
    "uk": "Документи",
    "hy": "Փաստաթղթեր",
    "ka": "დოკუმენტები",
    "ro": "Documente",
    "az": "Sənədlər",
    "ru": "Документы",
}


def _advocacy_extras(call) -> None:
    if Question.objects.filter(call=call, purpose=FormPurpose.ELIGIBILITY).exists():
        return
    check = FormSection.objects.create(
        call=call, purpose=FormPurpose.ELIGIBILITY, position=1, **_texts("title", "check")
    )
    Question.objects.create(
        call=call, purpose=FormPurpose.ELIGIBILITY, section=check, position=1, kind=QuestionKind.YES_NO,
        options={"accept": ["yes"]}, **_texts("text", "nonprofit"),
    )  # fmt: skip
    Question.objects.create(
        call=call, purpose=FormPurpose.ELIGIBILITY, section=check, position=2, kind=QuestionKind.NUMBER,
        options={"min": "0", "max": "200", "accept": {"min": "1"}}, **_texts("text", "years"),
    )  # fmt: skip
    partners = FormSection.objects.create(
        call=call,
        purpose=FormPurpose.APPLICATION,
        position=FormSection.objects.filter(call=call, purpose=FormPurpose.APPLICATION).count() + 1,
        **_texts("title", "partners_section"),
    )
    gate = Question.objects.create(
        call=call, section=partners, position=1, kind=QuestionKind.YES_NO, required=False,
        **_texts("text", "with_partners"),
    )  # fmt: skip
    Question.objects.create(
        call=call, section=partners, position=2, kind=QuestionKind.TABLE, required=True, identifying=True,
        condition={"question": gate.pk, "op": "yes"},
        options={
            "columns": [
                {"key": "c1", "label": T["organisation"], "kind": "text"},
                {"key": "c2", "label": T["role"], "kind": "text"},
            ],
            "max_rows": 10,
        },
        **_texts("text", "partners"),
    )  # fmt: skip


def seed(ctx) -> None:
    """`ctx`: programme, donor, calls (by code), organisations (list), users (by role), now."""
    for call in Call.objects.filter(programme=ctx["programme"]):
        code = call.code
        _form_of_today(call)
        if code == ADVOCACY:
            _advocacy_extras(call)
