"""What the scale benchmark requests: every list, dashboard, detail, ranking, search, public
register and export URL of every role, by URL name (reversed at run time, so a page renamed or
not yet merged is skipped with a note instead of breaking the run).

Arguments name objects of the built world (bench/scaling/build.py: objects of median size);
`=value` is a literal. `?page=999999` asks a Django paginator for its last page (get_page), and
`?page=last` asks DRF's; both are a deep page of a long list."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, get_resolver, reverse

LAST = "page=999999"  # Django's Paginator.get_page answers the last page
API_LAST = "page=last"  # DRF's PageNumberPagination


@dataclass(frozen=True)
class Target:
    role: str  # manager, finance, donor, reviewer, applicant, anonymous
    name: str  # namespaced URL name
    args: tuple = ()
    query: str = ""
    kind: str = "page"  # page | pdf | export

    @property
    def label(self) -> str:
        literals = ",".join(a[1:] for a in self.args if a.startswith("="))
        return f"{self.role} {self.name}{f'[{literals}]' if literals else ''}{'?' + self.query if self.query else ''}"

    def url(self, refs: dict) -> str:
        args = [a[1:] if a.startswith("=") else refs[a] for a in self.args]
        path = reverse(self.name, args=args)
        return f"{path}?{self.query.format(**refs)}" if self.query else path


def _t(role, name, *args, query="", kind="page"):
    return Target(role, name, tuple(args), query, kind)


def _every(role, names):
    return [_t(role, n) for n in names]


PAGES = [
    # anonymous: the public call page and the public register (open data)
    *_every("anonymous", ["home", "data:opendata_index"]),
    _t("anonymous", "applications:call_detail", "call"),
    # applicant (member of an organisation with a grant)
    *_every(
        "applicant",
        [
            "dashboard",
            "applications:application_list",
            "accounts:organisation_list",
            "grants:grant_list",
            "reports:report_list",
            "notifications:notifications",
            "api-applications:application-list",
            "api-grants:grant-list",
            "api-reports:grantee-report-list",
            "api-accounts:organisation-list",
            "api-notifications:notification-list",
        ],
    ),
    _t("applicant", "accounts:organisation_detail", "organisation"),
    _t("applicant", "applications:application_detail", "application"),
    _t("applicant", "applications:application_receipt", "application"),
    _t("applicant", "applications:application_submitted_json", "application"),
    _t("applicant", "applications:application_export", "application", "=csv"),
    _t("applicant", "reviews:review_feedback", "application"),
    _t("applicant", "grants:grant_detail", "grant"),
    _t("applicant", "reports:grant_reports", "grant"),
    _t("applicant", "reports:report_detail", "report"),
    _t("applicant", "api-applications:application-detail", "application"),
    _t("applicant", "api-grants:grant-detail", "grant"),
    _t("applicant", "api-reports:grantee-report-detail", "report"),
    _t("applicant", "data:application_pdf", "application", kind="pdf"),
    _t("applicant", "data:grant_summary_pdf", "grant", kind="pdf"),
    # reviewer (median share of the reviews)
    *_every("reviewer", ["dashboard", "reviews:review_home", "notifications:notifications", "api-reviews:review-list"]),
    _t("reviewer", "reviews:review_home", query=LAST),
    _t("reviewer", "api-reviews:review-list", query=API_LAST),
    _t("reviewer", "reviews:review_detail", "review"),
    _t("reviewer", "api-reviews:review-detail", "review"),
    _t("reviewer", "api-reviews:review-application", "review"),
    # programme manager
    *_every(
        "manager",
        [
            "dashboard",
            "donor:manager_dashboard",
            "calls:manage_calls",
            "reviews:review_home",
            "reviews:reviewer_pool",
            "grants:grant_list",
            "reports:report_list",
            "donor:donor_report_list",
            "data:export_list",
            "accounts:organisation_list",
            "notifications:notifications",
            "api-applications:application-list",
            "api-reviews:review-list",
            "api-reviews:reviewer-list",
            "api-grants:grant-list",
            "api-grants:tranche-list",
            "api-grants:payment-list",
            "api-grants:amendment-list",
            "api-reports:grantee-report-list",
            "api-donor:donor-report-list",
            "api-accounts:organisation-list",
            "api-calls:call-list",
            "api-calls:programme-list",
            "api-notifications:notification-list",
        ],
    ),
    _t("manager", "reviews:reviewer_pool", query=LAST),
    _t("manager", "reviews:reviewer_pool", query="q=reviewer1"),
    _t("manager", "grants:grant_list", query=LAST),
    _t("manager", "grants:grant_list", query="state=active"),
    _t("manager", "grants:grant_list", query="q=integrity"),
    _t("manager", "reports:report_list", query=LAST),
    _t("manager", "reports:report_list", query="state=submitted"),
    _t("manager", "accounts:organisation_list", query=LAST),
    _t("manager", "accounts:organisation_list", query="q=integrity"),
    _t("manager", "notifications:notifications", query=LAST),
    _t("manager", "applications:call_manage", "call"),
    _t("manager", "applications:call_applications", "call"),
    _t("manager", "applications:call_applications", "call", query=LAST),
    _t("manager", "applications:call_applications", "call", query="state=reviewed&country=UA"),
    _t("manager", "applications:call_applications", "call", query="q=integrity"),
    _t("manager", "applications:application_detail", "review_application"),
    _t("manager", "reviews:review_call_assignments", "call"),
    _t("manager", "reviews:review_call_assignments", "call", query=LAST),
    _t("manager", "reviews:review_ranking", "call"),
    _t("manager", "reviews:review_ranking", "call", query=LAST + "&n" + LAST),
    _t("manager", "reviews:review_ranking", "decided_call"),
    _t("manager", "reviews:review_application", "review_application"),
    _t("manager", "grants:grant_detail", "grant"),
    _t("manager", "reports:grant_reports", "grant"),
    _t("manager", "reports:report_detail", "report"),
    _t("manager", "donor:donor_report_detail", "donor_report"),
    _t("manager", "donor:donor_dashboard", "programme"),
    _t("manager", "data:export_job", "export_job"),
    _t("manager", "accounts:organisation_detail", "organisation"),
    _t("manager", "api-applications:application-list", query=API_LAST),
    _t("manager", "api-applications:application-list", query="call={call}&state=reviewed"),
    _t("manager", "api-applications:application-list", query="search=integrity"),
    _t("manager", "api-applications:application-detail", "review_application"),
    _t("manager", "api-reviews:review-list", query=API_LAST),
    _t("manager", "api-reviews:assignment-list", query="call={call}"),
    _t("manager", "api-reviews:assignment-progress", query="call={call}"),
    _t("manager", "api-reviews:ranking-detail", "call"),
    _t("manager", "api-reviews:decision-detail", "review_application"),
    _t("manager", "api-grants:grant-list", query=API_LAST),
    _t("manager", "api-grants:grant-detail", "grant"),
    _t("manager", "api-grants:tranche-list", query=API_LAST),
    _t("manager", "api-reports:grantee-report-detail", "report"),
    _t("manager", "api-donor:donor-report-detail", "donor_report"),
    _t("manager", "api-calls:call-detail", "call"),
    _t("manager", "api-calls:programme-detail", "programme"),
    _t("manager", "data:grant_summary_pdf", "grant", kind="pdf"),
    # finance officer
    *_every(
        "finance",
        [
            "dashboard",
            "grants:finance_overview",
            "grants:exchange_rates",
            "grants:grant_list",
            "api-grants:tranche-list",
            "api-grants:payment-list",
            "api-grants:exchange-rate-list",
        ],
    ),
    _t("finance", "grants:grant_detail", "grant"),
    _t("finance", "api-grants:payment-list", query=API_LAST),
    # donor reader
    *_every("donor", ["dashboard", "donor:donor_report_list", "data:export_list", "api-donor:donor-report-list"]),
    _t("donor", "donor:donor_dashboard", "programme"),
    _t("donor", "donor:donor_report_detail", "donor_report"),
    *[
        _t("donor", "donor:donor_chart", "programme", f"={chart}")
        for chart in ("funnel", "funnel-by-country", "money-by-call", "commitments-by-country", "report-status")
    ],
]

EXPORT_KINDS = ("applications", "reviews", "grants", "tranches", "reports")
EXPORTS = [
    *[
        _t("manager", "data:export_download", f"={kind}", f"={fmt}", query="programme={programme}", kind="export")
        for kind in EXPORT_KINDS
        for fmt in ("csv", "xlsx")
    ],
    *[
        _t("manager", "applications:call_applications_export", "call", f"={fmt}", kind="export")
        for fmt in ("csv", "xlsx")
    ],
    *[
        _t("anonymous", f"data:opendata_{name}", "programme_code", "call_code", kind="export")
        for name in ("360_json", "360_csv", "iati")
    ],
]


def resolvable(targets, refs):
    """(target, url) for the targets whose URL name exists; notes for the others."""
    found, notes = [], []
    for target in targets:
        try:
            found.append((target, target.url(refs)))
        except NoReverseMatch:
            notes.append(f"skipped: {target.label} (no URL named {target.name!r} with these arguments)")
    return found, notes


def url_names() -> set[str]:
    """Every namespaced URL name of the project (to name the ones this benchmark does not request)."""
    names: set[str] = set()

    def walk(patterns, prefix):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                walk(p.url_patterns, f"{prefix}{p.namespace}:" if p.namespace else prefix)
            elif p.name and prefix and not prefix.startswith("admin"):
                names.add(prefix + p.name)

    walk(get_resolver().url_patterns, "")
    return names
