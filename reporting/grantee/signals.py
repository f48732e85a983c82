"""What happens to grantee reports that parts after them act on (docs/architecture.md).

Reports come before disbursement in the import order (releasing a tranche reads approved
reports), so an approval cannot call disbursement; it says that it happened instead."""

from django.dispatch import Signal

# Sent once a report's approval has committed, with `grant_id` and `actor`: the grant's next
# tranche may now be released (grants/disbursement/receivers.py).
report_approved = Signal()
