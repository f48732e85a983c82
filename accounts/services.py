"""Use cases for accounts and organisations: the only code that writes these tables."""

from allauth.account import app_settings as allauth_settings
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Invitation, Membership, Organisation
from accounts.orgid import orgid_validate
from accounts.roles import roles_forget
from accounts.timezones import country_time_zone, time_zone_valid
from audit.services import audit_record
from core.text import single_line
from workers.messenger import notify_email


def organisation_register(
    *, actor, legal_name: str, country: str, org_type: str, registration_id: str, website: str = ""
) -> Organisation:
    registration_id = orgid_validate(country, registration_id)
    legal_name = single_line(legal_name or "").strip()
    if not legal_name:
        raise ValidationError({"legal_name": _("Enter the organisation's legal name.")})
    try:
        with transaction.atomic():
            org = Organisation.objects.create(
                legal_name=legal_name,
                country=country,
                org_type=org_type,
                registration_id=registration_id,
                website=website,
            )
            Membership.objects.create(organisation=org, user=actor, role=Membership.Role.OWNER)
            _time_zone_default(actor, country)
            audit_record(
                actor=actor,
                action="organisation_register",
                obj=org,
                data={"legal_name": legal_name, "registration_id": registration_id},
            )
    except IntegrityError:
        raise ValidationError({"registration_id": _("An organisation with this identifier is already registered.")})
    roles_forget(actor)
    return org


def organisation_update(*, actor, organisation: Organisation, **fields) -> Organisation:
    if not actor.has_perm("accounts.change_organisation", organisation):
        raise PermissionDenied
    if "registration_id" in fields or "country" in fields:
        fields["registration_id"] = orgid_validate(
            fields.get("country", organisation.country), fields.get("registration_id", organisation.registration_id)
        )
    if "legal_name" in fields:
        fields["legal_name"] = single_line(fields["legal_name"] or "").strip()
    with transaction.atomic():
        org = Organisation.objects.select_for_update().get(pk=organisation.pk)
        changed = {k: v for k, v in fields.items() if getattr(org, k) != v}
        for key, value in changed.items():
            setattr(org, key, value)
        try:
            org.save()
        except IntegrityError:
            raise ValidationError({"registration_id": _("An organisation with this identifier is already registered.")})
        if changed:
            audit_record(actor=actor, action="organisation_update", obj=org, data=changed)
    return org


def member_invite(*, actor, organisation: Organisation, email: str) -> Invitation:
    if not actor.has_perm("accounts.invite_member", organisation):
        raise PermissionDenied
    email = (email or "").strip().lower()
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise ValidationError({"email": _("This person is already a member.")})
    with transaction.atomic():
        invitation = Invitation.objects.create(organisation=organisation, email=email, invited_by=actor)
        event = audit_record(actor=actor, action="member_invite", obj=organisation, data={"email": email})
        notify_email(
            kind="organisation_invitation",
            email=email,
            obj=invitation,
            key=str(event.seq),
            context={
                "organisation": organisation.legal_name,
                "inviter": str(actor),
                "path": f"/organisations/invitations/{invitation.token}/",
            },
            language=actor.language,
        )
    return invitation


def invitation_accept(*, actor, token: str) -> Membership:
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().select_related("organisation").filter(token=token).first()
        if invitation is None or not invitation.is_open:
            raise ValidationError(_("This invitation is no longer valid. Ask the organisation for a new one."))
        if invitation.email.lower() != actor.email.lower():
            raise ValidationError(
                _("This invitation was sent to another e-mail address. Log in with %(email)s to accept it.")
                % {"email": invitation.email}
            )
        membership, _created = Membership.objects.get_or_create(
            organisation=invitation.organisation, user=actor, defaults={"role": Membership.Role.MEMBER}
        )
        _time_zone_default(actor, invitation.organisation.country)
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = actor
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        audit_record(actor=actor, action="member_join", obj=invitation.organisation, data={"email": actor.email})
    roles_forget(actor)
    return membership


def _time_zone_default(user, country: str) -> None:
    """A person without a time zone reads times in their organisation's country's."""
    zone = country_time_zone(country)
    if zone and not getattr(user, "time_zone", ""):
        get_user_model().objects.filter(pk=user.pk, time_zone="").update(time_zone=zone)
        user.time_zone = zone


def user_time_zone_set(*, user, time_zone: str) -> None:
    time_zone = (time_zone or "").strip()
    if time_zone and not time_zone_valid(time_zone):
        raise ValidationError({"time_zone": _("Choose a time zone from the list.")})
    get_user_model().objects.filter(pk=user.pk).update(time_zone=time_zone)
    user.time_zone = time_zone


def user_language_set(*, user, language: str) -> None:
    if user.is_authenticated and user.language != language:
        # request.user is a SimpleLazyObject: type(user) would be the wrapper, not the model.
        get_user_model().objects.filter(pk=user.pk).update(language=language)
        user.language = language


def invited_account(*, email: str, full_name: str = "", language: str = "") -> tuple:
    """The account an invitation into a role goes to, created if needed, inside the caller's
    transaction: (user, created, set_password_path). A new account has no password; its owner
    chooses one from the e-mailed link (`set_password_path`, also given to an existing account
    that never chose one). The link reaches only this address, so the address counts as verified."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid e-mail address.")})
    User = get_user_model()
    found = User.objects.select_for_update().filter(email__iexact=email).first()
    created = found is None
    if found is None:
        user = User.objects.create_user(
            email=email, password=None, full_name=single_line(full_name or "").strip(), language=language
        )
        EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    else:
        user = found
        if full_name and not user.full_name:
            User.objects.filter(pk=user.pk).update(full_name=single_line(full_name).strip())
    set_password_path = ""
    if not user.has_usable_password():
        token = allauth_settings.PASSWORD_RESET_TOKEN_GENERATOR().make_token(user)
        set_password_path = reverse(
            "account_reset_password_from_key", kwargs={"uidb36": user_pk_to_url_str(user), "key": token}
        )
    return user, created, set_password_path
