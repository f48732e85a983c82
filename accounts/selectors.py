from django.db.models import Count

from accounts.models import Invitation, Membership, Organisation
from accounts.roles import MANAGER, programme_ids


def organisation_list_visible(user):
    """Organisations the user may see: their own; all for programme managers and admins."""
    qs = Organisation.objects.all()
    if not user.is_superuser and not programme_ids(user, MANAGER):
        qs = qs.filter(memberships__user=user)
    return qs.annotate(member_count=Count("memberships", distinct=True)).order_by("legal_name")


def organisation_get_visible(user, pk):
    return organisation_list_visible(user).get(pk=pk)


def organisation_members(organisation):
    return Membership.objects.filter(organisation=organisation).select_related("user").order_by("-role", "user__email")


def invitation_list_open(organisation):
    return Invitation.objects.filter(organisation=organisation, accepted_at__isnull=True).order_by("-created_at")


def organisation_member_users(organisation_id) -> list:
    """The people of an organisation (every role), e.g. to notify them."""
    return [m.user for m in Membership.objects.filter(organisation_id=organisation_id).select_related("user")]
