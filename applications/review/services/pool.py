"""A programme's reviewer pool: invitations (the account created if needed) and taking a
reviewer out of automatic assignment or back in."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import ProgrammeRole
from accounts.roles import REVIEWER
from accounts.services import invited_account
from applications.review.models import ReviewerProfile
from audit.services import audit_record
from core.shortcuts import get_permitted_or_403
from grants.calls.models import Programme
from workers.messenger import notify_user


def _clean_list(values) -> list[str]:
    if isinstance(values, str):
        values = values.split(",")
    return [v.strip() for v in (values or []) if v and v.strip()]


def reviewer_invite(
    *, actor, programme_id: int, email: str, full_name: str = "", expertise=(), languages=(), countries=()
):
    """Add a person to a programme's reviewer pool: create the account if needed (its owner
    chooses a password from the e-mailed link), give the reviewer role, keep the profile."""
    programme = get_permitted_or_403(actor, Programme, programme_id, "applications.manage_reviewers")
    with transaction.atomic():
        user, created, set_password_path = invited_account(email=email, full_name=full_name, language=actor.language)
        ProgrammeRole.objects.get_or_create(user=user, programme=programme, role=REVIEWER)
        ReviewerProfile.objects.update_or_create(
            user=user,
            defaults={
                "expertise": _clean_list(expertise),
                "languages": _clean_list(languages),
                "countries": [c.upper() for c in _clean_list(countries)],
                "active": True,
            },
        )
        event = audit_record(
            actor=actor, action="reviewer_invite", obj=programme, data={"email": user.email, "account_created": created}
        )
        with translation.override(user.language):
            programme_title = programme.title
        notify_user(
            kind="reviewer_invitation",
            user=user,
            obj=programme,
            key=str(event.seq),
            context={
                "programme": programme_title,
                "inviter": str(actor),
                "path": reverse("reviews:review_home"),
                "set_password_path": set_password_path,
            },
        )
    return user


def reviewer_set_active(*, actor, programme_id: int, user_id: int, active: bool) -> ReviewerProfile:
    """Take a reviewer out of (or back into) automatic assignment; their reviews stay."""
    programme = get_permitted_or_403(actor, Programme, programme_id, "applications.manage_reviewers")
    if not ProgrammeRole.objects.filter(programme=programme, user_id=user_id, role=REVIEWER).exists():
        raise ValidationError({"reviewer": _("This person is not in the programme's reviewer pool.")})
    with transaction.atomic():
        profile, _created = ReviewerProfile.objects.select_for_update().get_or_create(user_id=user_id)
        profile.active = active
        profile.save(update_fields=["active"])
        audit_record(
            actor=actor,
            action="reviewer_activate" if active else "reviewer_deactivate",
            obj=profile,
            data={"programme": programme.pk},
        )
    return profile
