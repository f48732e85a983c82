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
    # --- grantee and donor reports (approved, changes requested, donor report ready) ---
    # --- reminders ---
}
