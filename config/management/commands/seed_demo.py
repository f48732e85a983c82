"""Demo data: the EU for Integrity programme, its donor, three calls (one decided, one open, one
in review: `config/demo_story.py`), ten CSOs, one login per role.

Idempotent: every object is looked up by its natural key first, so a second run changes nothing.
Every code and reference the demo makes starts with `DEMO-`/`demo-`, so demo data never takes a
number a real programme would use. `--logins-only` prints the logins and touches nothing
(`bin/demo` prints them once the server runs).
"""

from datetime import date, timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from djmoney.money import Money

from accounts.demo import DEMO_PASSWORD
from accounts.models import Membership, Organisation, ProgrammeRole, User
from audit.services import audit_record
from config.demo_story import DECIDED, IN_REVIEW
from config.demo_texts import demo_texts_fill
from grants.calls.models import Call, CallState, Contribution, Criterion, Donor, Programme
from grants.calls.services import call_publish, calls_open_close
from grants.disbursement.demo import GRANTEE_EMAIL

ROLE_LABELS = {"reviewer": "reviewer", "manager": "programme manager", "finance": "finance officer", "donor": "donor"}

# Each part of the system adds its own demo data, in workflow order.
DEMO_SEEDERS = [
    "grants.calls.demo.seed",
    "applications.demo.seed",
    "config.demo_story.seed_calls",
    "applications.review.demo.seed",
    "grants.disbursement.demo.seed",
    "reporting.grantee.demo.seed",
    "config.demo_story.seed_reports",
    "reporting.transparency.demo.seed",
    "workers.demo.seed",
    "grants.calls.form.demo.seed",  # last: every demo call, as the stories above left it
]
PROGRAMME_CODE = "demo-eu4i"

USERS = [
    # email, full name, language, programme role, is admin
    ("applicant@demo.hromada.org", "Олена Коваленко", "uk", None, False),
    ("reviewer@demo.hromada.org", "Armen Petrosyan", "hy", ProgrammeRole.Role.REVIEWER, False),
    ("manager@demo.hromada.org", "Maria Ionescu", "en", ProgrammeRole.Role.MANAGER, False),
    ("finance@demo.hromada.org", "Nino Beridze", "en", ProgrammeRole.Role.FINANCE, False),
    ("donor@demo.hromada.org", "Pierre Dubois", "en", ProgrammeRole.Role.DONOR, False),
    ("admin@demo.hromada.org", "Hromada Admin", "en", None, True),
]

ORGANISATIONS = [
    ("Центр протидії корупції", "UA", "ngo", "UA-EDR-35960913"),
    ("Трансперенсі Інтернешнл Україна", "UA", "ngo", "UA-EDR-39393948"),
    ("Інститут масової інформації", "UA", "media", "UA-EDR-21531247"),
    ("Հակակոռուպցիոն կենտրոն", "AM", "ngo", "AM-SRALE-222.110.02312"),
    ("Ինֆորմացիայի ազատության կենտրոն", "AM", "association", "AM-SRALE-273.110.01234"),
    ("Institute for Development of Freedom of Information", "GE", "think_tank", "GE-NAPR-204957010"),
    ("Transparency International Georgia", "GE", "ngo", "GE-NAPR-204470530"),
    ("Centrul de Investigații Jurnalistice", "MD", "media", "MD-IDNO-1003600123456"),
    ("Asociația pentru Democrație Participativă", "MD", "association", "MD-IDNO-1007600654321"),
    ("Economic Research Center", "AZ", "think_tank", "AZ-IVI-1400123456"),
]

CRITERIA = [
    ("Relevance of the action", "Відповідність дії", "Գործողության համապատասխանություն", 5, 2, 3),
    ("Design and feasibility", "Дизайн і здійсненність", "Նախագծում և իրագործելիություն", 5, 1, 3),
    ("Operational capacity", "Операційна спроможність", "Գործառնական կարողություն", 5, 1, 3),
]


class Command(BaseCommand):
    help = "Load the demo data (idempotent) and print one login per role."

    def add_arguments(self, parser):
        parser.add_argument("--logins-only", action="store_true", help="print the demo logins and change nothing")

    def handle(self, *args, logins_only=False, **options):
        if not logins_only:
            created = self._seed()
            self.stdout.write(
                self.style.SUCCESS("Demo data ready." if created else "Demo data already present; nothing changed.")
            )
        self._logins()

    def _logins(self):
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for email, _name, _lang, role, is_admin in USERS:
            label = "admin" if is_admin else (ROLE_LABELS[role] if role else "applicant")
            self.stdout.write(f"  {label:<20} {email}")
        if User.objects.filter(email=GRANTEE_EMAIL).exists():
            self.stdout.write(
                f"  {'grantee':<20} {GRANTEE_EMAIL}  (an applicant whose grant is signed and partly paid)"
            )

    @transaction.atomic
    def _seed(self) -> bool:
        donor, _ = Donor.objects.get_or_create(
            name="European Union", defaults={"identifier": "XI-IATI-EC_NEAR", "organisation_type": "40"}
        )
        programme, created = Programme.objects.get_or_create(
            code=PROGRAMME_CODE,
            defaults={
                "title": "EU for Integrity",
                "title_uk": "ЄС за доброчесність",
                "title_hy": "ԵՄ-ն հանուն բարեվարքության",
                "description": "Open Government Partnership programme for the Eastern Partnership.",
                "budget": Money(Decimal("2500000.00"), "EUR"),
                "starts_on": date(2020, 5, 1),
                "ends_on": date(2024, 8, 30),
                "countries": ["AM", "AZ", "BY", "GE", "MD", "UA"],
            },
        )
        Contribution.objects.get_or_create(
            donor=donor, programme=programme, defaults={"amount": Money(Decimal("2500000.00"), "EUR")}
        )
        users = {}
        for email, name, language, role, is_admin in USERS:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(
                    email=email,
                    password=DEMO_PASSWORD,
                    full_name=name,
                    language=language,
                    is_staff=is_admin,
                    is_superuser=is_admin,
                )
            EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
            if role:
                ProgrammeRole.objects.get_or_create(user=user, programme=programme, role=role)
            users[email] = user
        for legal_name, country, org_type, reg in ORGANISATIONS:
            org, org_created = Organisation.objects.get_or_create(
                registration_id=reg, defaults={"legal_name": legal_name, "country": country, "org_type": org_type}
            )
            if org_created:
                with transaction.atomic():
                    audit_record(actor=None, action="organisation_register", obj=org, data={"source": "seed_demo"})
        first = Organisation.objects.get(registration_id=ORGANISATIONS[0][3])
        Membership.objects.get_or_create(
            organisation=first, user=users["applicant@demo.hromada.org"], defaults={"role": Membership.Role.OWNER}
        )
        now = timezone.now().replace(second=0, microsecond=0)
        manager = users["manager@demo.hromada.org"]
        self._call(
            programme,
            manager,
            DECIDED,
            {
                "title": "Integrity grants 2025",
                "title_uk": "Гранти доброчесності 2025",
                "title_hy": "Բարեվարքության դրամաշնորհներ 2025",
                "description": "Grants for civil-society monitoring of public money; decided, its grants running.",
                "envelope": Money(Decimal("100000.00"), "EUR"),
                "min_grant": Decimal("20000"),
                "max_grant": Decimal("60000"),
                "cofinancing_min_pct": Decimal("5"),
                "max_duration_months": 18,
                "eligible_countries": ["AM", "AZ", "GE", "MD", "UA"],
                "eligible_org_types": ["ngo", "association", "think_tank", "network", "media"],
                # Open while its applications come in; the story then closes it (config/demo_story.py).
                "opens_at": now - timedelta(days=60),
                "deadline": now + timedelta(hours=6),
                "reviewers_per_application": 2,
            },
        )
        self._call(
            programme,
            manager,
            "demo-advocacy-2026",
            {
                "title": "Advocacy grants for integrity reforms",
                "title_uk": "Гранти на адвокацію реформ доброчесності",
                "title_hy": "Դրամաշնորհներ բարեվարքության բարեփոխումների ջատագովության համար",
                "description": "Support for civil-society advocacy on anti-corruption, open contracting and beneficial ownership.",
                "envelope": Money(Decimal("600000.00"), "EUR"),
                "min_grant": Decimal("20000"),
                "max_grant": Decimal("60000"),
                "cofinancing_min_pct": Decimal("5"),
                "max_duration_months": 18,
                "eligible_countries": ["AM", "AZ", "GE", "MD", "UA"],
                "eligible_org_types": ["ngo", "association", "think_tank", "network", "media"],
                "opens_at": now - timedelta(days=7),
                "deadline": now + timedelta(days=30),
                "reviewers_per_application": 2,
            },
        )
        self._call(
            programme,
            manager,
            IN_REVIEW,
            {
                "title": "Innovation grants for online accountability tools",
                "title_uk": "Інноваційні гранти на онлайн-інструменти підзвітності",
                "title_hy": "Նորարարական դրամաշնորհներ առցանց հաշվետվողականության գործիքների համար",
                "description": "Open-source tools that let citizens follow public money and hold officials to account.",
                "envelope": Money(Decimal("400000.00"), "EUR"),
                "min_grant": Decimal("30000"),
                "max_grant": Decimal("80000"),
                "cofinancing_min_pct": Decimal("5"),
                "max_duration_months": 24,
                "eligible_countries": ["AM", "GE", "MD", "UA"],
                "eligible_org_types": ["ngo", "think_tank", "media", "association", "other"],
                "opens_at": now - timedelta(days=30),
                "deadline": now + timedelta(hours=6),
                "reviewers_per_application": 2,
            },
        )
        calls_open_close()
        ctx = {
            "programme": programme,
            "donor": donor,
            "now": now,
            "calls": {c.code: c for c in Call.objects.filter(programme=programme)},
            "organisations": list(
                Organisation.objects.filter(registration_id__in=[o[3] for o in ORGANISATIONS]).order_by(
                    "registration_id"
                )
            ),
            "users": {
                (role or ("admin" if is_admin else "applicant")): users[email]
                for email, _n, _l, role, is_admin in USERS
            },
        }
        for seeder in DEMO_SEEDERS:
            import_string(seeder)(ctx)
        demo_texts_fill()  # the call texts in every language, so the demo shows each
        return created

    def _call(self, programme, manager, code, fields):
        call = Call.objects.filter(programme=programme, code=code).first()
        if call is not None:
            return call
        call = Call.objects.create(programme=programme, code=code, **fields)
        for position, (name, name_uk, name_hy, max_score, weight, minimum) in enumerate(CRITERIA, start=1):
            Criterion.objects.create(
                call=call,
                position=position,
                name=name,
                name_uk=name_uk,
                name_hy=name_hy,
                max_score=Decimal(max_score),
                weight=Decimal(weight),
                minimum=Decimal(minimum),
            )
        call_publish(actor=manager, call_id=call.pk)
        assert call.__class__.objects.get(pk=call.pk).state == CallState.PUBLISHED
        return call
