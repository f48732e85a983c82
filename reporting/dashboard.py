"""The dashboard is one page with a section per role; each app provides its own sections.

A provider is `fn(user) -> dict | None` (the section's template context, None to hide it);
it must run a constant number of queries whatever the data size.
"""

from django.utils.module_loading import import_string

# (role, template, provider dotted path), in display order
SECTIONS = [
    ("applicant", "applications/dashboard_applicant.html", "applications.dashboard.applicant_section"),
    ("reviewer", "applications/dashboard_reviewer.html", "applications.review.dashboard.reviewer_section"),
    ("manager", "reporting/dashboard_manager.html", "reporting.donor.waiting.manager_section"),
    ("finance", "grants/dashboard_finance.html", "grants.disbursement.dashboard.finance_section"),
    ("donor", "reporting/dashboard_donor.html", "reporting.donor.dashboard.donor_section"),
]


def dashboard_sections(user, roles: list[str]) -> list[tuple[str, str, dict]]:
    sections = []
    for role, template, provider in SECTIONS:
        if role in roles:
            context = import_string(provider)(user)
            if context is not None:
                sections.append((role, template, context))
    return sections
