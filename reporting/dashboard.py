"""The dashboard is one page with a section per role; each app provides its own sections.

A provider is `fn(user) -> dict | None` (the section's template context, None to hide it);
it must run a constant number of queries whatever the data size.
"""

from django.utils.module_loading import import_string

# (role it is for, section name, template, provider dotted path), in display order; the name is
# the section heading's id (`dash-<name>`).
SECTIONS = [
    # An organisation with a grant sees its grants first, then its applications.
    ("applicant", "grantee", "reporting/dashboard_grantee.html", "grants.disbursement.dashboard.grantee_section"),
    ("applicant", "applicant", "applications/dashboard_applicant.html", "applications.dashboard.applicant_section"),
    (
        "reviewer",
        "reviewer",
        "applications/dashboard_reviewer.html",
        "applications.review.dashboard.reviewer_section",
    ),
    ("manager", "manager", "reporting/dashboard_manager.html", "reporting.donor.waiting.manager_section"),
    ("finance", "finance", "grants/dashboard_finance.html", "grants.disbursement.dashboard.finance_section"),
    ("donor", "donor", "reporting/dashboard_donor.html", "reporting.donor.dashboard.donor_section"),
]


def dashboard_sections(user, roles: list[str]) -> list[tuple[str, str, dict]]:
    """(section name, template, context) of each section the user's roles give and that has
    something to show."""
    sections = []
    for role, name, template, provider in SECTIONS:
        if role in roles:
            context = import_string(provider)(user)
            if context is not None:
                sections.append((name, template, context))
    return sections
