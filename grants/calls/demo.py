"""Demo data for this part of the system; called by `manage.py seed_demo`. Must be idempotent.

Both demo calls get their template: budget headings, questions (with character limits),
required documents and a 40/40/20 tranche plan, in English, Ukrainian and Armenian (the other languages
from config/demo_texts.py)."""

from decimal import Decimal

from grants.calls.models import (
    BudgetHeading,
    HeadingKind,
    ProgrammeIndicator,
    Question,
    RequiredDocument,
    TrancheCondition,
    TranchePlanItem,
)

HEADINGS = [
    ("Staff", "Персонал", "Անձնակազմ", HeadingKind.DIRECT),
    ("Travel and events", "Поїздки та заходи", "Ճամփորդություններ և միջոցառումներ", HeadingKind.DIRECT),
    ("Equipment and software", "Обладнання та програмне забезпечення", "Սարքավորումներ և ծրագրեր", HeadingKind.DIRECT),
    (
        "Publications and communication",
        "Публікації та комунікація",
        "Հրապարակումներ և հաղորդակցություն",
        HeadingKind.DIRECT,
    ),
    ("Indirect costs", "Непрямі витрати", "Անուղղակի ծախսեր", HeadingKind.INDIRECT),
]

QUESTIONS = {
    "demo-advocacy-2026": [
        (
            "Which integrity reform will you advocate for, and why now?",
            "За яку реформу доброчесності ви виступатимете і чому саме зараз?",
            "Բարեվարքության ո՞ր բարեփոխման համար եք պայքարելու և ինչո՞ւ հիմա։",
            3000,
        ),
        (
            "Who are the decision-makers and how will you reach them?",
            "Хто ухвалює рішення і як ви до них дістанетеся?",
            "Ովքե՞ր են որոշում կայացնողները և ինչպե՞ս եք հասնելու նրանց։",
            2500,
        ),
        ("How will you measure success?", "Як ви вимірюватимете успіх?", "Ինչպե՞ս եք չափելու հաջողությունը։", 1500),
    ],
    "demo-innovation-2026": [
        (
            "What accountability problem does the tool solve?",
            "Яку проблему підзвітності розв'язує інструмент?",
            "Հաշվետվողականության ո՞ր խնդիրն է լուծում գործիքը։",
            3000,
        ),
        (
            "Which open data does it use, and under which licence will you publish the code?",
            "Які відкриті дані він використовує і під якою ліцензією ви опублікуєте код?",
            "Ո՞ր բաց տվյալներն է այն օգտագործում, և ո՞ր լիցենզիայով եք հրապարակելու կոդը։",
            2000,
        ),
        (
            "How will the tool be maintained after the grant?",
            "Як інструмент підтримуватиметься після гранту?",
            "Ինչպե՞ս է գործիքը պահպանվելու դրամաշնորհից հետո։",
            1500,
        ),
    ],
}

DOCUMENTS = [
    (
        "Statute of the organisation",
        "Статут організації",
        "Կազմակերպության կանոնադրություն",
        "The current statute, as registered.",
        True,
    ),
    (
        "Latest annual financial statement",
        "Остання річна фінансова звітність",
        "Վերջին տարեկան ֆինանսական հաշվետվությունը",
        "Signed by the director and the accountant.",
        True,
    ),
    ("Letters of support", "Листи підтримки", "Աջակցության նամակներ", "From partners or authorities, if any.", False),
]

TRANCHES = [
    ("40", TrancheCondition.SIGNATURE),
    ("40", TrancheCondition.INTERIM_REPORT),
    ("20", TrancheCondition.FINAL_REPORT),
]


# The programme's results framework: (level, code, name, name_uk, name_hy, unit, target, disaggregation).
RESULTS = [
    (
        "outcome",
        "OC1",
        "Public bodies that publish spending data after CSO advocacy",
        "Органи влади, що публікують дані про видатки після адвокації ОГС",
        "Պետական մարմիններ, որոնք հրապարակում են ծախսերի տվյալներ ՔՀԿ ջատագովությունից հետո",
        "public bodies",
        "40",
        ["country"],
    ),
    (
        "output",
        "OP1",
        "People trained in monitoring public money",
        "Люди, навчені моніторингу публічних коштів",
        "Հանրային միջոցների մոնիտորինգում վերապատրաստված մարդիկ",
        "people",
        "600",
        ["country", "gender"],
    ),
]
SECTORS = {"advocacy-2026": "15113", "innovation-2026": "15150"}


def seed(ctx) -> None:
    """`ctx`: programme, donor, calls (by code), organisations (list), users (by role), now."""
    programme = ctx["programme"]
    for position, (level, code, name, name_uk, name_hy, unit, target, disaggregation) in enumerate(RESULTS, 1):
        ProgrammeIndicator.objects.get_or_create(
            programme=programme,
            code=code,
            defaults={
                "level": level,
                "name": name,
                "name_uk": name_uk,
                "name_hy": name_hy,
                "unit": unit,
                "target": Decimal(target),
                "disaggregation": disaggregation,
                "position": position,
            },
        )
    indicators = list(ProgrammeIndicator.objects.filter(programme=programme))
    for code, call in ctx["calls"].items():
        if not call.indicators.exists():
            call.indicators.set(indicators)
        if not call.sector and code in SECTORS:
            type(call).objects.filter(pk=call.pk).update(sector=SECTORS[code])
    for code, call in ctx["calls"].items():
        for position, (name, name_uk, name_hy, kind) in enumerate(HEADINGS, start=1):
            BudgetHeading.objects.get_or_create(
                call=call,
                position=position,
                defaults={"name": name, "name_uk": name_uk, "name_hy": name_hy, "kind": kind},
            )
        for position, (text, text_uk, text_hy, limit) in enumerate(
            QUESTIONS.get(code, QUESTIONS["demo-advocacy-2026"]), start=1
        ):
            Question.objects.get_or_create(
                call=call,
                purpose="application",
                kind="long_text",
                position=position,
                defaults={"text": text, "text_uk": text_uk, "text_hy": text_hy, "max_chars": limit},
            )
        for position, (name, name_uk, name_hy, description, required) in enumerate(DOCUMENTS, start=1):
            if not RequiredDocument.objects.filter(call=call, position=position).exists():
                RequiredDocument.objects.create(
                    call=call,
                    position=position,
                    name=name,
                    name_uk=name_uk,
                    name_hy=name_hy,
                    description=description,
                    required=required,
                )
        for position, (share, condition) in enumerate(TRANCHES, start=1):
            if not TranchePlanItem.objects.filter(call=call, position=position).exists():
                TranchePlanItem.objects.create(
                    call=call, position=position, share_pct=Decimal(share), condition=condition
                )
