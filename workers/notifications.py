"""What each kind of message says. One place for every notification's wording.

`Kind(subject, template)` is all a transition's message needs: the subject is a translatable
string formatted with the row's context, the template a text template under
templates/workers/email/ rendered with it, both in the recipient's language. Optional:
`label` names the kind on the preferences page (default: the subject with its blanks shown as
"…"); `subject_overdue` is used instead of `subject` when the context's `offset` is 0 or more
(a reminder sent on or after its due date); `dates` names context values holding ISO dates or
times, shown in the recipient's language and time zone; `configurable=False` keeps a kind off
the preferences page (always sent at once); `codes` turns a context value stored as a code
into words in the recipient's language. A context value `x` may come with `x_uk` / `x_hy`
variants: the one in the recipient's language is used when it is not empty.
"""

import re
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

Text = str | Promise  # a string or a lazily translated one

# Values a context may hold as codes, shown as words in the recipient's language.
REPORT_KINDS = {"interim": _("interim report"), "final": _("final report")}


@dataclass(frozen=True)
class Kind:
    subject: Text
    template: str
    label: Text | None = None
    subject_overdue: Text | None = None
    dates: tuple[str, ...] = ()
    configurable: bool = True
    codes: dict | None = None  # context name -> {code: words}, e.g. {"report": REPORT_KINDS}
    plural: bool = False  # the subject is an ngettext_lazy naming its count (plural forms by number)
    roles: tuple[str, ...] = ()  # who receives it (accounts.roles' names); the preferences page groups by them

    def label_text(self) -> str:
        if self.label:
            return str(self.label)
        return re.sub(r"%\((\w+)\)s", "…", str(self.subject))


KINDS = {
    "organisation_invitation": Kind(
        _("You are invited to join %(organisation)s on Hromada"),
        "workers/email/organisation_invitation.txt",
        configurable=False,
    ),
    "api_tokens_revoked": Kind(
        _("Your Hromada API token no longer works"),
        "workers/email/api_tokens_revoked.txt",
        configurable=False,
    ),
    "call_published": Kind(
        _("New call for proposals: %(call)s"),
        "workers/email/call_published.txt",
        roles=("applicant",),
        label=_("New calls for proposals"),
    ),
    # --- a call's dates after publication (applications.services.call_dates): to those drafting ---
    "call_closed_early": Kind(
        _("The call %(call)s has closed early"),
        "workers/email/call_closed_early.txt",
        configurable=False,
        roles=("applicant",),
    ),
    "call_extended": Kind(
        _("New deadline for %(call)s: %(deadline)s"),
        "workers/email/call_extended.txt",
        dates=("deadline",),
        configurable=False,
        roles=("applicant",),
    ),
    "call_reopened": Kind(
        _("The call %(call)s is open again until %(deadline)s"),
        "workers/email/call_reopened.txt",
        dates=("deadline",),
        configurable=False,
        roles=("applicant",),
    ),
    "call_question_asked": Kind(
        _("A question about %(call)s"),
        "workers/email/call_question_asked.txt",
        roles=("manager",),
        label=_("Questions about a call you manage"),
    ),
    "call_answer_published": Kind(
        _("An answer was published about %(call)s"),
        "workers/email/call_answer_published.txt",
        roles=("applicant",),
        label=_("Answers published about a call you apply to"),
    ),
    # --- applications (submission receipt, eligibility, clarification, withdrawal) ---
    "application_submitted": Kind(
        _("Application received: %(reference)s"),
        "workers/email/application_submitted.txt",
        dates=("submitted_at",),
        configurable=False,
    ),
    "application_withdrawn": Kind(
        _("Application withdrawn: %(application)s"),
        "workers/email/application_withdrawn.txt",
        roles=("applicant", "manager"),
        label=_("An application withdrawn"),
    ),
    "application_eligible": Kind(
        _("Your application %(reference)s is eligible"),
        "workers/email/application_eligible.txt",
        roles=("applicant",),
        label=_("Your application found eligible"),
    ),
    "application_ineligible": Kind(
        _("Your application %(reference)s is not eligible"),
        "workers/email/application_ineligible.txt",
        configurable=False,
    ),
    "application_clarification_requested": Kind(
        _("Please clarify your application %(reference)s by %(due)s"),
        "workers/email/application_clarification_requested.txt",
        dates=("due",),
        configurable=False,
    ),
    "application_clarification_answered": Kind(
        _("Clarification answered: %(reference)s"),
        "workers/email/application_clarification_answered.txt",
        roles=("manager",),
        label=_("An applicant answered a clarification request"),
    ),
    "application_deadline_extended": Kind(
        _("Your deadline for %(call)s is extended to %(until)s"),
        "workers/email/application_deadline_extended.txt",
        dates=("until",),
        configurable=False,
    ),
    "thread_message": Kind(
        _("New message: %(thread)s"),
        "workers/email/thread_message.txt",
        label=_("Messages in the threads of your applications and grants"),
        roles=("applicant", "manager", "finance"),
    ),
    # --- reviews (assignment, conflict declared, returned, decision) ---
    "reviewer_invitation": Kind(
        _("You are invited to review for %(programme)s on Hromada"),
        "workers/email/reviewer_invitation.txt",
        configurable=False,
    ),
    "programme_role_granted": Kind(
        _("You have a role in %(programme)s on Hromada"),
        "workers/email/programme_role_granted.txt",
        configurable=False,
    ),
    "review_assigned": Kind(
        _("Application to review: %(application)s"),
        "workers/email/review_assigned.txt",
        dates=("due",),
        roles=("reviewer",),
        label=_("Applications assigned to you for review"),
    ),
    "review_conflict_declared": Kind(
        _("Conflict of interest declared: %(application)s"),
        "workers/email/review_conflict_declared.txt",
        roles=("manager",),
        label=_("A reviewer declared a conflict of interest"),
    ),
    "review_due_extended": Kind(
        _("More time for your review of %(application)s: due on %(due)s"),
        "workers/email/review_due_extended.txt",
        dates=("due",),
        configurable=False,
    ),
    "review_returned": Kind(
        _("Your review was returned for revision: %(application)s"),
        "workers/email/review_returned.txt",
        dates=("due",),
        configurable=False,
    ),
    "application_decided": Kind(
        _("Decision on your application: %(application)s"),
        "workers/email/application_decided.txt",
        configurable=False,
        dates=("deadline",),  # a concept note's invitation names the full application's deadline
    ),
    # --- grants and payments (agreement, tranche due, payment made) ---
    "grant_signed": Kind(
        _("Grant agreement signed: %(grant)s"),
        "workers/email/grant_signed.txt",
        roles=("applicant", "finance"),
        label=_("A grant agreement signed"),
    ),
    "tranche_due": Kind(
        _("Tranche %(tranche)s of %(grant)s is due for approval"),
        "workers/email/tranche_due.txt",
        roles=("manager",),
        label=_("A tranche due for approval"),
    ),
    "tranche_approved": Kind(
        _("Tranche %(tranche)s of %(grant)s is approved for payment"),
        "workers/email/tranche_approved.txt",
        roles=("finance",),
        label=_("A tranche approved for payment"),
    ),
    "payment_recorded": Kind(
        _("Payment made: tranche %(tranche)s of %(grant)s"),
        "workers/email/payment_recorded.txt",
        roles=("applicant",),
        label=_("A payment made to your organisation"),
    ),
    "amendment_proposed": Kind(
        _("Budget amendment proposed: %(grant)s, version %(version)s"),
        "workers/email/amendment_proposed.txt",
        roles=("manager",),
        label=_("A budget amendment proposed"),
    ),
    "amendment_decided": Kind(
        _("Budget amendment decided: %(grant)s, version %(version)s"),
        "workers/email/amendment_decided.txt",
        roles=("applicant",),
        label=_("A decision on your budget amendment"),
    ),
    # --- grantee and donor reports (approved, changes requested, donor report ready) ---
    "grantee_report_submitted": Kind(
        _("Report submitted for review: %(grant)s"),
        "workers/email/grantee_report_submitted.txt",
        roles=("manager",),
        label=_("A grantee report submitted for review"),
    ),
    "grantee_report_approved": Kind(
        _("Report approved: %(grant)s"),
        "workers/email/grantee_report_approved.txt",
        roles=("applicant",),
        label=_("Your report approved"),
    ),
    "grantee_report_changes_requested": Kind(
        _("Changes requested to your report: %(grant)s"),
        "workers/email/grantee_report_changes_requested.txt",
        roles=("applicant",),
        label=_("Changes requested to your report"),
    ),
    "donor_report_ready": Kind(
        _("Donor report ready: %(programme)s"),
        "workers/email/donor_report_ready.txt",
        roles=("donor", "manager"),
        label=_("A donor report ready to download"),
    ),
    "practice_submitted": Kind(
        _("Practice to publish: %(grant)s"),
        "workers/email/practice_submitted.txt",
        roles=("manager",),
        label=_("A grantee's practice to publish"),
    ),
    "practice_published": Kind(
        _("Your practice is published: %(grant)s"),
        "workers/email/practice_published.txt",
        roles=("applicant",),
        label=_("Your practice published"),
    ),
    "practice_changes_requested": Kind(
        _("Changes requested to your practice: %(grant)s"),
        "workers/email/practice_changes_requested.txt",
        roles=("applicant",),
        label=_("Changes requested to your practice"),
    ),
    "donor_report_failed": Kind(
        _("Donor report could not be generated: %(programme)s"),
        "workers/email/donor_report_failed.txt",
        roles=("donor", "manager"),
        label=_("A donor report that could not be generated"),
    ),
    "export_ready": Kind(
        _("Your export is ready: %(export)s"),
        "workers/email/export_ready.txt",
        roles=("manager", "donor", "finance"),
        label=_("Your export ready to download"),
    ),
    # --- reminders ---
    "reminder_application_deadline": Kind(
        _("Reminder: submit your application to %(call)s by %(deadline)s"),
        "workers/email/reminder_application_deadline.txt",
        label=_("Reminders of a call's deadline while your application is a draft"),
        dates=("deadline",),
        roles=("applicant",),
    ),
    "reminder_clarification_due": Kind(
        _("Reminder: answer the clarification request on %(application)s by %(due)s"),
        "workers/email/reminder_clarification_due.txt",
        label=_("Reminders to answer a clarification request"),
        dates=("due",),
        roles=("applicant",),
    ),
    "reminder_review_due": Kind(
        _("Reminder: your review of %(application)s is due on %(due)s"),
        "workers/email/reminder_review_due.txt",
        subject_overdue=_("Overdue: your review of %(application)s was due on %(due)s"),
        label=_("Reminders of reviews due and overdue"),
        dates=("due",),
        roles=("reviewer",),
    ),
    "reminder_report_due": Kind(
        _("Reminder: the %(report)s for grant %(grant)s is due on %(due)s"),
        "workers/email/reminder_report_due.txt",
        subject_overdue=_("Overdue: the %(report)s for grant %(grant)s was due on %(due)s"),
        label=_("Reminders of grantee reports due and overdue"),
        dates=("due",),
        codes={"report": REPORT_KINDS},
        roles=("applicant",),
    ),
    "reminder_tranche_unpaid": Kind(
        _("Tranche %(tranche)s of grant %(grant)s, approved on %(approved)s, is still unpaid"),
        "workers/email/reminder_tranche_unpaid.txt",
        label=_("Reminders of approved tranches not yet paid"),
        dates=("approved",),
        roles=("finance",),
    ),
    "manager_digest": Kind(
        ngettext_lazy(
            "What waits for you on Hromada: %(total)s item", "What waits for you on Hromada: %(total)s items", "total"
        ),
        "workers/email/manager_digest.txt",
        label=_("Programme manager's daily summary of what waits for a decision"),
        plural=True,
        roles=("manager",),
    ),
    "daily_digest": Kind(
        ngettext_lazy(
            "Your Hromada digest: %(count)s notification", "Your Hromada digest: %(count)s notifications", "count"
        ),
        "workers/email/daily_digest.txt",
        label=_("Daily digest"),
        configurable=False,
        plural=True,
    ),
}
