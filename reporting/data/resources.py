"""Imports with a preview and row-level errors before anything is saved: organisations,
reviewers, exchange rates (CSV or XLSX).

Built on django-import-export: each importer is an import-export Resource and answers with its
Result (rows new / updated / skipped / invalid, each invalid row with its errors per column),
so previews read the same way as import-export's own. The import itself runs set-wise rather
than row by row: one query loads what already exists, each row is cleaned in Python, the rows
are saved with bulk_create / bulk_update and the whole import leaves one audit event. That is
what lets 10,000 rows be previewed and imported in well under a second (bench/import.py).

A user's import: `import_preview` (stores the file under a token, dry run) → the page shows
the preview → `import_confirm` (all or nothing). When the preview found no error and the
importer allows it (organisations), the confirmation saves the rows the preview checked after
re-checking, in one query, only what may have changed since (an identifier registered
meanwhile); otherwise it imports the stored file again with every check."""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.results import RowResult

from accounts.models import Organisation, OrganisationType, ProgrammeRole
from accounts.orgid import REGISTRIES, orgid_validate
from accounts.roles import roles_forget
from applications.review.models import ReviewerProfile
from audit.services import audit_record
from core.languages import in_language, translation_codes
from grants.calls.indicators import INDICATOR_FIELDS, indicator_fields_clean
from grants.calls.models import CURRENCIES, ProgrammeIndicator
from grants.disbursement.models import ExchangeRate
from grants.disbursement.selectors import exchange_rates_used
from reporting.data.setwise import BATCH, SetwiseResource, existing_values

MAX_ROWS = 50000


LIST_SPLIT = re.compile(r"[;,|]")


ORG_TYPES = set(OrganisationType.values)


ORGID_PATTERNS = {
    country: re.compile(re.escape(prefix) + "-(?:" + pattern + ")")
    for country, (prefix, pattern, _example, _what) in REGISTRIES.items()
}


SPACES = re.compile(r"\s+")


WEBSITE = re.compile(r"https?://[^\s/?#.:@][^\s/?#:@]*\.[^\s/?#:@]+(?::\d{1,5})?(?:[/?#]\S*)?", re.IGNORECASE)


def _website_ok(value: str) -> bool:
    """http(s), a dotted host name, no spaces, at most 200 characters (the model field's limit)."""
    return len(value) <= 200 and WEBSITE.fullmatch(value) is not None


class OrganisationImport(SetwiseResource):
    """Organisations (CSOs) a programme manager registers in bulk. One already registered (same
    identifier) is skipped, so importing the same file twice changes nothing. The checks are
    those of accounts.orgid (the registry's prefix and number for the country)."""

    columns = (
        ("legal_name", gettext_lazy("Legal name"), True),
        ("country", gettext_lazy("Country"), True),
        ("org_type", gettext_lazy("Organisation type"), True),
        ("registration_id", gettext_lazy("Registration identifier"), True),
        ("website", gettext_lazy("Website"), False),
    )
    key_field = "registration_id"

    def load_existing(self, rows):
        for r in rows:  # normalised once, used by the lookup and the checks
            r["_registration_id"] = SPACES.sub("", r["registration_id"]).upper()
        self.existing = existing_values(
            Organisation, "registration_id", {r["_registration_id"] for r in rows if r["_registration_id"]}
        )

    def clean_row(self, values):
        errors = None
        legal_name = values["legal_name"]
        if "  " in legal_name or "\t" in legal_name or "\n" in legal_name:
            legal_name = " ".join(legal_name.split())
        if not legal_name:
            errors = {"legal_name": [_("Enter the organisation's legal name.")]}
        elif len(legal_name) > 300:
            errors = {"legal_name": [_("At most 300 characters.")]}
        country = values["country"].upper()
        registration_id = values["_registration_id"]
        pattern = ORGID_PATTERNS.get(country)
        if pattern is None:
            errors = errors or {}
            errors["country"] = [_("Use one of %(codes)s.") % {"codes": ", ".join(sorted(REGISTRIES))}]
        elif not pattern.fullmatch(registration_id):
            try:  # the exact wording of accounts.orgid, for the rows in error only
                orgid_validate(country, registration_id)
            except ValidationError as exc:
                errors = errors or {}
                errors["registration_id"] = exc.messages
        org_type = values["org_type"].lower()
        if org_type not in ORG_TYPES:
            errors = errors or {}
            errors["org_type"] = [_("Use one of %(types)s.") % {"types": ", ".join(sorted(ORG_TYPES))}]
        website = values.get("website") or ""
        if website and not _website_ok(website):
            errors = errors or {}
            errors["website"] = [_("Enter a full web address, e.g. https://example.org.")]
        if errors:
            raise ValidationError(errors)
        if registration_id in self.existing:
            return RowResult.IMPORT_TYPE_SKIP, registration_id, None
        return RowResult.IMPORT_TYPE_NEW, registration_id, (legal_name, country, org_type, registration_id, website)

    def checked_payload(self, checked):
        return [list(row) for row in checked]

    def confirm_checked(self, payload, actor):
        rows = [tuple(row) for row in payload]
        existing = existing_values(Organisation, "registration_id", [row[3] for row in rows])
        fresh = [row for row in rows if row[3] not in existing]
        try:
            with transaction.atomic():
                if fresh:
                    self.save(fresh, actor)
        except IntegrityError:  # registered meanwhile by someone else: check everything again
            return None
        return len(fresh), len(rows) - len(fresh)

    def save(self, cleaned, actor):
        created = Organisation.objects.bulk_create(
            [
                Organisation(
                    legal_name=legal_name,
                    country=country,
                    org_type=org_type,
                    registration_id=registration_id,
                    website=website,
                )
                for legal_name, country, org_type, registration_id, website in cleaned
            ],
            batch_size=BATCH,
        )
        audit_record(
            actor=actor,
            action="organisations_import",
            object_type="accounts.organisation",
            data={"count": len(created), "registration_ids": [o.registration_id for o in created]},
        )


LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


def _split(value) -> list[str]:
    return [part.strip() for part in LIST_SPLIT.split(value or "") if part.strip()]


class ReviewerImport(SetwiseResource):
    """Reviewers of one programme: a user (created without a password: they set one through
    "forgotten password"), their reviewer profile and the programme's reviewer role."""

    columns = (
        ("email", gettext_lazy("E-mail address"), True),
        ("full_name", gettext_lazy("Full name"), True),
        ("language", gettext_lazy("Language"), False),
        ("expertise", gettext_lazy("Expertise areas"), False),
        ("languages", gettext_lazy("Languages read"), False),
        ("countries", gettext_lazy("Countries"), False),
    )
    key_field = "email"

    def load_existing(self, rows):
        emails = list({r["email"].lower() for r in rows if r["email"]})
        users = get_user_model().objects.filter(email__in=emails)
        self.users = {u.email: u for u in users}
        self.profiles = {p.user_id: p for p in ReviewerProfile.objects.filter(user__in=list(self.users.values()))}
        self.roles = set(
            ProgrammeRole.objects.filter(
                programme=self.context["programme"],
                role=ProgrammeRole.Role.REVIEWER,
                user__in=list(self.users.values()),
            ).values_list("user_id", flat=True)
        )

    def clean_row(self, values):
        errors = {}
        email = values["email"].lower()
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [_("Enter a valid e-mail address.")]
        full_name = " ".join(values["full_name"].split())
        if not full_name:
            errors["full_name"] = [_("Enter the reviewer's name.")]
        language = (values.get("language") or "en").lower()
        if language not in LANGUAGE_CODES:
            errors["language"] = [_("Use one of %(codes)s.") % {"codes": ", ".join(sorted(LANGUAGE_CODES))}]
        countries = [c.upper() for c in _split(values.get("countries"))]
        unknown = [c for c in countries if not re.fullmatch(r"[A-Z]{2}", c)]
        if unknown:
            errors["countries"] = [_("Use two-letter country codes (e.g. UA; AM).")]
        if errors:
            raise ValidationError(errors)
        user = self.users.get(email)
        import_type = RowResult.IMPORT_TYPE_NEW if user is None else RowResult.IMPORT_TYPE_UPDATE
        if user is not None and user.pk in self.roles and user.pk in self.profiles:
            import_type = RowResult.IMPORT_TYPE_SKIP
        return (
            import_type,
            email,
            {
                "email": email,
                "full_name": full_name,
                "language": language,
                "user": user,
                "expertise": _split(values.get("expertise")),
                "languages": [x.lower() for x in _split(values.get("languages"))],
                "countries": countries,
            },
        )

    def save(self, cleaned, actor):
        User = get_user_model()
        new_users = []
        for row in cleaned:
            if row["user"] is None:
                user = User(email=row["email"], full_name=row["full_name"], language=row["language"])
                user.set_unusable_password()
                new_users.append(user)
                row["user"] = user
        User.objects.bulk_create(new_users, batch_size=BATCH)
        if any(u.pk is None for u in new_users):  # a backend that does not return ids
            ids = dict(User.objects.filter(email__in=[u.email for u in new_users]).values_list("email", "pk"))
            for u in new_users:
                u.pk = u.id = ids[u.email]
        profiles_new, profiles_changed = [], []
        for row in cleaned:
            profile = self.profiles.get(row["user"].pk)
            if profile is None:
                profiles_new.append(
                    ReviewerProfile(
                        user=row["user"],
                        expertise=row["expertise"],
                        languages=row["languages"],
                        countries=row["countries"],
                    )
                )
            else:
                profile.expertise = row["expertise"] or profile.expertise
                profile.languages = row["languages"] or profile.languages
                profile.countries = row["countries"] or profile.countries
                profiles_changed.append(profile)
        ReviewerProfile.objects.bulk_create(profiles_new, batch_size=BATCH)
        ReviewerProfile.objects.bulk_update(profiles_changed, ["expertise", "languages", "countries"], batch_size=BATCH)
        programme = self.context["programme"]
        ProgrammeRole.objects.bulk_create(
            [ProgrammeRole(user=row["user"], programme=programme, role=ProgrammeRole.Role.REVIEWER) for row in cleaned],
            ignore_conflicts=True,
            batch_size=BATCH,
        )
        for row in cleaned:
            roles_forget(row["user"])
        audit_record(
            actor=actor,
            action="reviewers_import",
            obj=programme,
            data={
                "count": len(cleaned),
                "created": [u.email for u in new_users],
                "reviewers": [row["email"] for row in cleaned],
            },
        )


def _or_blank(value):
    return "" if value is None else value  # a translation never entered reads as None


class ProgrammeIndicatorImport(SetwiseResource):
    """A programme's results framework from a spreadsheet: one indicator per row, by code; a code
    the programme has already is updated (its row is left as it is when nothing changed)."""

    columns = (
        ("code", gettext_lazy("Code"), True),
        ("level", gettext_lazy("Level"), False),
        ("name", gettext_lazy("Name"), True),
        *((f"name_{code}", in_language(gettext_lazy("Name"), code), False) for code in translation_codes()),
        ("unit", gettext_lazy("Unit"), False),
        ("baseline", gettext_lazy("Baseline"), False),
        ("target", gettext_lazy("Target"), True),
        ("disaggregation", gettext_lazy("Disaggregation"), False),
    )
    key_field = "code"

    def load_existing(self, rows):
        programme = self.context["programme"]
        self.existing = {i.code: i for i in ProgrammeIndicator.objects.filter(programme=programme)}
        self.next_position = max((i.position for i in self.existing.values()), default=0) + 1

    def clean_row(self, values):
        fields = {**values, "level": (values.get("level") or "output").lower()}
        try:
            clean = indicator_fields_clean(fields)
        except ValidationError as exc:
            raise ValidationError({k: [str(m) for m in v] for k, v in exc.message_dict.items()})
        current = self.existing.get(clean["code"])
        if current is None:
            import_type = RowResult.IMPORT_TYPE_NEW
        elif all(_or_blank(getattr(current, k)) == v for k, v in clean.items()):
            import_type = RowResult.IMPORT_TYPE_SKIP
        else:
            import_type = RowResult.IMPORT_TYPE_UPDATE
        return import_type, clean["code"], {"fields": clean, "current": current}

    def save(self, cleaned, actor):
        programme = self.context["programme"]
        new, changed = [], []
        for row in cleaned:
            if row["current"] is None:
                new.append(ProgrammeIndicator(programme=programme, position=self.next_position, **row["fields"]))
                self.next_position += 1
            else:
                for name, value in row["fields"].items():
                    setattr(row["current"], name, value)
                changed.append(row["current"])
        ProgrammeIndicator.objects.bulk_create(new, batch_size=BATCH)
        ProgrammeIndicator.objects.bulk_update(changed, INDICATOR_FIELDS, batch_size=BATCH)
        audit_record(
            actor=actor,
            action="programme_indicators_import",
            obj=programme,
            data={"new": [i.code for i in new], "updated": [i.code for i in changed]},
        )


MONTH = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?")


class ExchangeRateImport(SetwiseResource):
    """Monthly accounting rates: 1 unit of `base` (EUR by default) = `rate` units of `currency`.
    A rate already recorded for the month is updated, and the audit event keeps the old value."""

    columns = (
        ("month", gettext_lazy("Month (YYYY-MM)"), True),
        ("currency", gettext_lazy("Currency"), True),
        ("rate", gettext_lazy("Rate"), True),
        ("base", gettext_lazy("Base currency"), False),
    )
    key_field = "currency"

    def load_existing(self, rows):
        months = set()
        for r in rows:
            month = self._month(r["month"])
            if month:
                months.add(month)
        self.existing = {(r.month, r.base, r.currency): r for r in ExchangeRate.objects.filter(month__in=months)}
        self.used = exchange_rates_used(months)

    @staticmethod
    def _month(value):
        match = MONTH.match(value or "")
        if not match:
            return None
        try:
            return date(int(match.group(1)), int(match.group(2)), 1)
        except ValueError:
            return None

    def clean_row(self, values):
        errors = {}
        month = self._month(values["month"])
        if month is None:
            errors["month"] = [_("Write the month as YYYY-MM, e.g. 2026-03.")]
        currency = values["currency"].upper()
        base = (values.get("base") or "EUR").upper()
        for field_name, code in (("currency", currency), ("base", base)):
            if code not in CURRENCIES:
                errors[field_name] = [_("Use one of %(codes)s.") % {"codes": ", ".join(CURRENCIES)}]
        if currency == base and "currency" not in errors:
            errors["currency"] = [_("The currency is the same as the base currency.")]
        try:
            rate = Decimal(values["rate"].replace(" ", "").replace(",", "."))
            if not rate.is_finite() or rate <= 0:
                raise InvalidOperation
            rate = rate.quantize(Decimal("0.000001"))
        except (InvalidOperation, ValueError):
            errors["rate"] = [_("Enter a positive number, e.g. 45.1234.")]
        if errors:
            raise ValidationError(errors)
        key = (month, base, currency)
        current = self.existing.get(key)
        if current is not None and current.rate == rate:
            return RowResult.IMPORT_TYPE_SKIP, (f"{month:%Y-%m}", base, currency), None
        if current is not None and (month, currency) in self.used:
            raise ValidationError(
                {
                    "rate": [
                        _("Payments already used the %(currency)s rate of %(month)s; it can no longer change.")
                        % {"currency": currency, "month": month.strftime("%m/%Y")}
                    ]
                }
            )
        import_type = RowResult.IMPORT_TYPE_NEW if current is None else RowResult.IMPORT_TYPE_UPDATE
        return import_type, (f"{month:%Y-%m}", base, currency), {"key": key, "rate": rate, "current": current}

    def save(self, cleaned, actor):
        new, changed, record = [], [], []
        for row in cleaned:
            month, base, currency = row["key"]
            current = row["current"]
            record.append(
                {
                    "month": f"{month:%Y-%m}",
                    "base": base,
                    "currency": currency,
                    "rate": str(row["rate"]),
                    "before": str(current.rate) if current else None,
                }
            )
            if current is None:
                new.append(ExchangeRate(month=month, base=base, currency=currency, rate=row["rate"], recorded_by=actor))
            else:
                current.rate = row["rate"]
                current.recorded_by = actor
                changed.append(current)
        ExchangeRate.objects.bulk_create(new, batch_size=BATCH)
        ExchangeRate.objects.bulk_update(changed, ["rate", "recorded_by"], batch_size=BATCH)
        audit_record(
            actor=actor, action="exchange_rates_import", object_type="grants.exchangerate", data={"rates": record}
        )
