"""Use cases of practices: a grantee writes a short story of what worked (problem, approach,
result, contact, photos with alt text) and submits it; a programme manager publishes it or asks
for changes. Published practices appear on /transparency/practices/ and on the grant's page."""

import os
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ProgrammeRole
from audit.services import audit_record
from audit.transitions import lock, transition
from core.errors import TransitionRefused
from core.storage import file_save
from core.text import multi_line, single_line
from grants.agreements.models import Grant
from reporting.grantee.documents import document_kind
from reporting.transparency.models import Practice, PracticePhoto, PracticeState
from workers.messenger import notify_user

PRACTICE_FIELDS = ["title", "language", "problem", "approach", "result", "contact"]
EDITABLE = [PracticeState.DRAFT, PracticeState.CHANGES_REQUESTED]
PHOTOS = "practice_photos"
PHOTO_TYPES = {"image/png": ".png", "image/jpeg": ".jpg"}
MAX_PHOTOS = 6
MAX_PHOTO_MB = 5
TEXT_MAX = 4000


def _path(practice: Practice) -> str:
    return f"/transparency/practices/{practice.pk}/"


def _context(practice: Practice, **extra) -> dict:
    grant = practice.grant
    return {"grant": grant.number, "title": practice.title, "path": _path(practice), **extra}


def photo_path(stored_name: str) -> str:
    return f"{PHOTOS}/{os.path.basename(stored_name)}"


def _require(actor, perm: str, obj) -> None:
    if not actor.has_perm(perm, obj):
        raise PermissionDenied(_("You may not do this."))


def _clean(fields: dict) -> dict:
    clean = {k: v for k, v in fields.items() if k in PRACTICE_FIELDS}
    for name in ("title", "contact", "language"):
        clean[name] = single_line(clean.get(name) or "").strip()
    for name in ("problem", "approach", "result"):
        clean[name] = multi_line(clean.get(name) or "").strip()
    errors = {}
    for name, message in (
        ("title", _("Give the practice a title.")),
        ("problem", _("Say which problem you addressed.")),
        ("approach", _("Say what you did.")),
        ("result", _("Say what changed.")),
    ):
        if not clean[name]:
            errors[name] = message
        elif len(clean[name]) > (200 if name == "title" else TEXT_MAX):
            errors[name] = _("This text is too long.")
    if errors:
        raise ValidationError(errors)
    clean["language"] = clean["language"] or "en"
    return clean


def practice_save(*, actor, grant_id: int, practice_id: int | None = None, **fields) -> Practice:
    """Start a practice of the grant, or change a draft (or one sent back for changes)."""
    clean = _clean(fields)
    with transaction.atomic():
        grant = Grant.objects.select_related("call").get(pk=grant_id)
        _require(actor, "reporting.write_practice", grant)
        if practice_id is None:
            practice = Practice.objects.create(grant=grant, created_by=actor, **clean)
            changed = clean
        else:
            practice = lock(Practice, practice_id)
            if practice.grant_id != grant.pk:
                raise PermissionDenied(_("You may not do this."))
            if practice.state not in EDITABLE:
                raise TransitionRefused(_("This practice was submitted; it can change only when the manager asks."))
            changed = {k: v for k, v in clean.items() if getattr(practice, k) != v}
            for name, value in changed.items():
                setattr(practice, name, value)
            practice.save()
        if changed:
            audit_record(actor=actor, action="practice_save", obj=practice, data={"grant": grant.pk, **changed})
    return practice


def practice_photo_add(*, actor, practice_id: int, uploaded, alt_text: str) -> PracticePhoto:
    alt_text = single_line(alt_text or "").strip()[:300]
    if not alt_text:
        raise ValidationError({"alt_text": _("Describe the photo for people who cannot see it.")})
    if uploaded.size > MAX_PHOTO_MB * 1024 * 1024:
        raise ValidationError({"photo": _("The file is larger than %(mb)s MB.") % {"mb": MAX_PHOTO_MB}})
    try:
        content_type = document_kind(uploaded)
    except ValidationError as exc:
        raise ValidationError({"photo": exc.message_dict.get("file", exc.messages)})
    if content_type not in PHOTO_TYPES:
        raise ValidationError({"photo": _("A photo is a PNG or JPEG image.")})
    with transaction.atomic():
        practice = Practice.objects.select_for_update(of=("self",)).select_related("grant__call").get(pk=practice_id)
        _require(actor, "reporting.write_practice", practice)
        if practice.state not in EDITABLE:
            raise TransitionRefused(_("This practice was submitted; it can change only when the manager asks."))
        if practice.photos.count() >= MAX_PHOTOS:
            raise ValidationError({"photo": _("A practice has at most %(n)s photos.") % {"n": MAX_PHOTOS}})
        stored_name = uuid.uuid4().hex + PHOTO_TYPES[content_type]
        file_save(photo_path(stored_name), uploaded)
        photo = PracticePhoto.objects.create(
            practice=practice,
            stored_name=stored_name,
            content_type=content_type,
            size=uploaded.size,
            alt_text=alt_text,
            position=practice.photos.count() + 1,
        )
        audit_record(
            actor=actor, action="practice_photo_add", obj=practice, data={"photo": photo.pk, "alt_text": alt_text}
        )
    return photo


def practice_submit(*, actor, practice_id: int) -> Practice:
    with transaction.atomic():
        practice = (
            Practice.objects.select_for_update(of=("self",))
            .select_related("grant__call", "grant__organisation")
            .get(pk=practice_id)
        )
        _require(actor, "reporting.write_practice", practice)
        if practice.state not in EDITABLE:
            raise TransitionRefused(_("This practice was submitted already."))
        event = transition(practice, "submit", actor=actor)
        managers = ProgrammeRole.objects.filter(
            programme_id=practice.grant.call.programme_id, role=ProgrammeRole.Role.MANAGER
        ).select_related("user")
        for role in managers:
            notify_user(
                kind="practice_submitted",
                user=role.user,
                obj=practice,
                key=str(event.seq),
                context=_context(practice, organisation=practice.grant.organisation.legal_name),
            )
    return practice


def practice_publish(*, actor, practice_id: int) -> Practice:
    with transaction.atomic():
        practice = Practice.objects.select_for_update(of=("self",)).select_related("grant__call").get(pk=practice_id)
        _require(actor, "reporting.publish_practice", practice)
        if practice.state != PracticeState.SUBMITTED:
            raise TransitionRefused(_("Only a submitted practice can be published."))
        practice.published_at = timezone.now()
        event = transition(practice, "publish", actor=actor)
        notify_user(
            kind="practice_published",
            user=practice.created_by,
            obj=practice,
            key=str(event.seq),
            context=_context(practice),
        )
    return practice


def practice_request_changes(*, actor, practice_id: int, comment: str) -> Practice:
    comment = multi_line(comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("Say what should change.")})
    with transaction.atomic():
        practice = Practice.objects.select_for_update(of=("self",)).select_related("grant__call").get(pk=practice_id)
        _require(actor, "reporting.publish_practice", practice)
        if practice.state != PracticeState.SUBMITTED:
            raise TransitionRefused(_("Only a submitted practice can be sent back."))
        practice.manager_comment = comment
        event = transition(practice, "request_changes", actor=actor, reason=comment)
        notify_user(
            kind="practice_changes_requested",
            user=practice.created_by,
            obj=practice,
            key=str(event.seq),
            context=_context(practice, comment=comment),
        )
    return practice
