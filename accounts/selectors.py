from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from accounts.models import Invitation, Membership, Organisation
from accounts.roles import MANAGER, programme_ids


def organisation_list_visible(user):
    """Organisations the user may see: their own; all for programme managers and admins."""
    qs = Organisation.objects.all()
    if not user.is_superuser and not programme_ids(user, MANAGER):
        qs = qs.filter(memberships__user=user)
    members = Membership.objects.filter(organisation=OuterRef("pk")).order_by().values("organisation")
    return qs.annotate(
        member_count=Coalesce(Subquery(members.annotate(n=Count("pk")).values("n")), 0)  # for the page's rows only
    ).order_by("legal_name", "pk")


def organisation_search(qs, query: str):
    """Every word of the query in the legal name or the registration identifier."""
    for word in (query or "").split()[:8]:
        qs = qs.filter(Q(legal_name__icontains=word) | Q(registration_id__icontains=word))
    return qs


def organisation_get_visible(user, pk):
    return organisation_list_visible(user).get(pk=pk)


def organisation_members(organisation):
    return Membership.objects.filter(organisation=organisation).select_related("user").order_by("-role", "user__email")


def invitation_list_open(organisation):
    return Invitation.objects.filter(organisation=organisation, accepted_at__isnull=True).order_by("-created_at")


def organisation_member_users(organisation_id) -> list:
    """The people of an organisation (every role), e.g. to notify them."""
    return [m.user for m in Membership.objects.filter(organisation_id=organisation_id).select_related("user")]
