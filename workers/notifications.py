"""What each kind of message says. One place for every notification's wording."""
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Kind:
    subject: str
    template: str


KINDS = {
    "organisation_invitation": Kind(_("You are invited to join %(organisation)s on Hromada"),
                                    "workers/email/organisation_invitation.txt"),
    "call_published": Kind(_("New call for proposals: %(call)s"), "workers/email/call_published.txt"),
    # --- applications (submission receipt, eligibility, clarification, withdrawal) ---
    # --- reviews (assignment, conflict declared, returned, decision) ---
    # --- grants and payments (agreement, tranche due, payment made) ---
    "grant_signed": Kind(_("Grant agreement signed: %(grant)s"), "workers/email/grant_signed.txt"),
    "tranche_due": Kind(_("Tranche %(tranche)s of %(grant)s is due for approval"), "workers/email/tranche_due.txt"),
    "tranche_approved": Kind(_("Tranche %(tranche)s of %(grant)s is approved for payment"),
                             "workers/email/tranche_approved.txt"),
    "payment_recorded": Kind(_("Payment made: tranche %(tranche)s of %(grant)s"), "workers/email/payment_recorded.txt"),
    "amendment_proposed": Kind(_("Budget amendment proposed: %(grant)s, version %(version)s"),
                               "workers/email/amendment_proposed.txt"),
    "amendment_decided": Kind(_("Budget amendment decided: %(grant)s, version %(version)s"),
                              "workers/email/amendment_decided.txt"),
    # --- grantee and donor reports (approved, changes requested, donor report ready) ---
    "grantee_report_submitted": Kind(_("Report submitted for review: %(grant)s"), "workers/email/grantee_report_submitted.txt"),
    "grantee_report_approved": Kind(_("Report approved: %(grant)s"), "workers/email/grantee_report_approved.txt"),
    "grantee_report_changes_requested": Kind(_("Changes requested to your report: %(grant)s"),
                                             "workers/email/grantee_report_changes_requested.txt"),
    "donor_report_ready": Kind(_("Donor report ready: %(programme)s"), "workers/email/donor_report_ready.txt"),
    "donor_report_failed": Kind(_("Donor report could not be generated: %(programme)s"), "workers/email/donor_report_failed.txt"),
    "export_ready": Kind(_("Your export is ready: %(export)s"), "workers/email/export_ready.txt"),
    # --- reminders ---
}
