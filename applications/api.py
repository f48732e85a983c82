"""API for applications, their budget lines and attachments, and every screening transition.

The queryset is `application_list_visible`: an application the caller may not see answers 404.
A visible one the caller's role may not change answers 403; a transition the state forbids, 409.
Each object carries `state` and `available_transitions`."""

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from applications import services
from applications.models import Application, Attachment, BudgetLine
from applications.search import application_search
from applications.selectors import application_shows_identity, attachment_display_name, attachment_neutral_name
from applications.views import attachment_response
from applications.visibility import application_list_visible
from audit.lists import AuditedListPagination
from core.api.cleaning import OneFileField, TextCleaning
from core.api.fields import AmountField
from core.errors import TransitionRefused
from grants.calls.form.layout import form_load
from grants.calls.form.models import Question


class BudgetLineSerializer(TextCleaning, serializers.ModelSerializer):
    class Meta:
        model = BudgetLine
        fields = ["id", "position", "heading", "description", "units", "unit_cost", "total"]
        read_only_fields = ["id", "position", "total"]
        extra_kwargs = {"heading": {"queryset": BudgetLine._meta.get_field("heading").related_model.objects.all()}}  # type: ignore[attr-defined]


class AttachmentSerializer(TextCleaning, serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "document", "original_name", "content_type", "size", "sha256", "uploaded_at", "download_url"]

    def get_download_url(self, attachment) -> str:
        return f"/api/v1/applications/{attachment.application_id}/attachments/{attachment.pk}/"


class ApplicationSerializer(TextCleaning, serializers.ModelSerializer):
    state = serializers.CharField(read_only=True)
    available_transitions = serializers.SerializerMethodField()
    deadline = serializers.SerializerMethodField()
    budget_lines = BudgetLineSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    field_hashes = serializers.SerializerMethodField(
        help_text="Hash of each editable field's stored value; send the ones you edited from as `base` to merge per field."
    )

    class Meta:
        model = Application
        fields = [
            "id",
            "call",
            "organisation",
            "state",
            "available_transitions",
            "version",
            "title",
            "summary",
            "answers",
            "requested_amount",
            "cofinancing_amount",
            "duration_months",
            "budget_lines",
            "attachments",
            "reference",
            "submitted_at",
            "receipt_sha256",
            "deadline",
            "deadline_extended_to",
            "ineligibility_reason",
            "clarification_question",
            "clarification_due",
            "clarification_answer",
            "created_at",
            "updated_at",
            "field_hashes",
            "concept_note",  # a two-stage call's full application: the concept note it was invited from
        ]
        read_only_fields = fields

    def get_available_transitions(self, app) -> list[str]:
        return services.application_available_transitions(self.context["request"].user, app)

    def get_deadline(self, app) -> str:
        return serializers.DateTimeField().to_representation(services.application_deadline(app))

    def get_field_hashes(self, app) -> dict | None:
        if self.context.get("view") is not None and getattr(self.context["view"], "action", "") == "list":
            return None
        values = services.application_values(app, form_load(app.call_id).questions, list(app.budget_lines.all()))
        return services.application_hashes(values)

    def _identifying(self, call_id) -> set:
        """Ids (as text) of the call's identifying questions, read once per call per request."""
        cache = self.__dict__.setdefault("_identifying_ids", {})
        if call_id not in cache:
            cache[call_id] = {
                str(pk)
                for pk in Question.objects.filter(call_id=call_id, identifying=True).values_list("pk", flat=True)
            }
        return cache[call_id]

    def to_representation(self, app):
        data = super().to_representation(app)
        user = self.context["request"].user
        if not application_shows_identity(user, app):
            data["organisation"] = None
            # Under blind review the answers to identifying questions are left out.
            hidden = self._identifying(app.call_id)
            data["answers"] = {k: v for k, v in (data.get("answers") or {}).items() if k not in hidden}
            names = {a.pk: attachment_neutral_name(a) for a in app.attachments.all()}
            for attachment in data["attachments"]:
                attachment["original_name"] = names.get(attachment["id"], "")
        return data


class ApplicationCreateSerializer(TextCleaning, serializers.Serializer):
    call = serializers.IntegerField()
    organisation = serializers.IntegerField()


class ApplicationUpdateSerializer(TextCleaning, serializers.Serializer):
    version = serializers.IntegerField(help_text="The version your changes are based on.")
    title = serializers.CharField(required=False, allow_blank=True)
    summary = serializers.CharField(required=False, allow_blank=True)
    requested_amount = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    cofinancing_amount = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    duration_months = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    answers = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text="question id -> answer, typed as the call's `answers_schema` says (text, a decimal as text, "
        "a date YYYY-MM-DD, a choice's value, a list of values, yes/no, a list of table rows)",
    )
    base = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text="field -> hash of the value you edited from (see field_hashes)",
    )


class BudgetLinesSerializer(TextCleaning, serializers.Serializer):
    version = serializers.IntegerField()
    lines = serializers.ListField(child=serializers.DictField(), help_text="[{heading, description, units, unit_cost}]")
    base = serializers.CharField(required=False, help_text="field_hashes['budget'] you edited from")


class BudgetLineAddSerializer(TextCleaning, serializers.Serializer):
    heading = serializers.IntegerField()
    description = serializers.CharField(max_length=300)
    units = AmountField(allow_zero=True, max_digits=12)
    unit_cost = AmountField(allow_zero=True)  # as the autosave: a line without a cost yet


class AttachmentUploadSerializer(TextCleaning, serializers.Serializer):
    file = OneFileField(help_text="One file per request.")
    document = serializers.IntegerField(required=False, allow_null=True)


class WithdrawSerializer(TextCleaning, serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True)


class EligibleSerializer(TextCleaning, serializers.Serializer):
    checklist = serializers.DictField(
        child=serializers.BooleanField(),
        help_text="every item of the call's screening checklist, by key (the call's `checklist`); "
        "a new call's: " + ", ".join(k for k, _l in services.CHECKLIST),
    )
    comment = serializers.CharField(required=False, allow_blank=True)


class IneligibleSerializer(TextCleaning, serializers.Serializer):
    reason = serializers.CharField()
    checklist = serializers.DictField(child=serializers.BooleanField(), required=False)


class ClarificationSerializer(TextCleaning, serializers.Serializer):
    question = serializers.CharField()
    due = serializers.DateTimeField()


class AnswerSerializer(TextCleaning, serializers.Serializer):
    answer = serializers.CharField()


class ExtendSerializer(TextCleaning, serializers.Serializer):
    until = serializers.DateTimeField()
    reason = serializers.CharField()


class ConflictSerializer(TextCleaning, serializers.Serializer):
    detail = serializers.CharField()
    version = serializers.IntegerField()
    applied = serializers.ListField(child=serializers.CharField())
    conflicts = serializers.DictField()


def _fields_from(data: dict) -> dict:
    fields = {
        k: data[k]
        for k in ("title", "summary", "requested_amount", "cofinancing_amount", "duration_months")
        if k in data
    }
    for question_id, answer in (data.get("answers") or {}).items():
        fields[services.question_field(question_id)] = answer
    return fields


def _save_response(result):
    if result.errors:
        raise serializers.ValidationError(result.errors)
    if result.conflicts:
        return Response(
            {
                "detail": _(
                    "Another member changed these fields since the version you edited; nothing of "
                    "theirs was overwritten. Fetch the application and apply your change again."
                ),
                "version": result.version,
                "applied": result.applied,
                "conflicts": result.conflicts,
            },
            status=status.HTTP_409_CONFLICT,
        )
    return None


class ApplicationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Applications the caller may see (members of the applicant organisation, the programme's
    managers, cleared reviewers). Drafts are changed with optimistic concurrency: send the
    `version` you read; a field someone else changed since answers 409 and is not overwritten."""

    pagination_class = AuditedListPagination  # rows come and go through audited use cases

    serializer_class = ApplicationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Application.objects.none()
        qs = (
            application_list_visible(self.request.user)
            .select_related("call", "call__programme", "organisation")
            .prefetch_related("budget_lines", "attachments")
            .order_by("-created_at", "pk")
        )
        params = self.request.query_params
        if params.get("call", "").isdigit():
            qs = qs.filter(call_id=int(params["call"]))
        if params.get("state"):
            qs = qs.filter(state=params["state"])
        return application_search(qs, params.get("q", "")[:200])

    @extend_schema(
        parameters=[
            OpenApiParameter("call", int, description="Only this call's applications."),
            OpenApiParameter("state", str, description="Only applications in this state."),
            OpenApiParameter(
                "q",
                str,
                description="Full-text search: every word (as a prefix) in the organisation's name, "
                "the reference, the title or the summary.",
            ),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _fresh(self, pk):
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data)

    @extend_schema(
        request=ApplicationCreateSerializer, responses={201: ApplicationSerializer, 200: ApplicationSerializer}
    )
    def create(self, request, *args, **kwargs):
        data = ApplicationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        app, created = services.application_start(
            actor=request.user, call_id=data.validated_data["call"], organisation_id=data.validated_data["organisation"]
        )
        return Response(
            self.get_serializer(self.get_queryset().get(pk=app.pk)).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        request=ApplicationUpdateSerializer,
        responses={200: ApplicationSerializer, 409: OpenApiResponse(ConflictSerializer)},
    )
    def update(self, request, *args, **kwargs):
        app = self.get_object()
        data = ApplicationUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.application_autosave(
            actor=request.user,
            application_id=app.pk,
            version=data.validated_data["version"],
            fields=_fields_from(data.validated_data),
            base=data.validated_data.get("base"),
        )
        return _save_response(result) or self._fresh(app.pk)

    @extend_schema(methods=["get"], responses=BudgetLineSerializer(many=True))
    @extend_schema(methods=["put"], request=BudgetLinesSerializer, responses=BudgetLineSerializer(many=True))
    @extend_schema(methods=["post"], request=BudgetLineAddSerializer, responses=BudgetLineSerializer(many=True))
    # One application's budget, whole (PUT replaces it whole): bounded, so not paginated.
    @action(detail=True, methods=["get", "put", "post"], url_path="budget-lines", pagination_class=None)
    def budget_lines(self, request, pk=None):
        """GET the budget table; PUT replaces it (send `version`); POST appends one line."""
        app = self.get_object()
        if request.method == "PUT":
            data = BudgetLinesSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            base = {"budget": data.validated_data["base"]} if data.validated_data.get("base") else None
            result = services.application_autosave(
                actor=request.user,
                application_id=app.pk,
                version=data.validated_data["version"],
                fields={"budget": data.validated_data["lines"]},
                base=base,
            )
            refused = _save_response(result)
            if refused:
                return refused
        elif request.method == "POST":
            data = BudgetLineAddSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            rows = services.budget_rows(app.budget_lines.order_by("position"))
            base = {"budget": services.value_hash(rows)}
            rows.append({k: str(v) for k, v in data.validated_data.items()})
            result = services.application_autosave(
                actor=request.user, application_id=app.pk, version=None, fields={"budget": rows}, base=base
            )
            refused = _save_response(result)
            if refused:
                return refused
        lines = BudgetLine.objects.filter(application_id=app.pk).order_by("position")
        return Response(
            BudgetLineSerializer(lines, many=True).data,
            status=status.HTTP_201_CREATED if request.method == "POST" else status.HTTP_200_OK,
        )

    @extend_schema(methods=["get"], responses=AttachmentSerializer(many=True))
    @extend_schema(
        methods=["post"],
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        parser_classes=[parsers.MultiPartParser, parsers.FormParser],
        url_path="attachments",
        pagination_class=None,  # one application's documents: bounded, so not paginated
    )
    def attachments(self, request, pk=None):
        """GET the attachments; POST uploads one (multipart: `file`, optional `document`)."""
        app = self.get_object()
        if request.method == "POST":
            data = AttachmentUploadSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            attachment = services.attachment_upload(
                actor=request.user,
                application_id=app.pk,
                uploaded=data.validated_data["file"],
                document_id=data.validated_data.get("document"),
            )
            return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)
        data = AttachmentSerializer(app.attachments.order_by("uploaded_at", "pk"), many=True).data
        if not application_shows_identity(request.user, app):
            for row, attachment in zip(data, app.attachments.order_by("uploaded_at", "pk")):
                row["original_name"] = attachment_neutral_name(attachment)
        return Response(data)

    @extend_schema(methods=["get"], responses={(200, "application/octet-stream"): bytes})
    @extend_schema(methods=["delete"], responses={204: None})
    @action(detail=True, methods=["get", "delete"], url_path=r"attachments/(?P<attachment_id>\d+)")
    def attachment(self, request, pk=None, attachment_id=None):
        """GET downloads the file; DELETE removes one added since the last submission."""
        app = self.get_object()
        attachment = Attachment.objects.filter(pk=attachment_id, application=app).first()
        if attachment is None:
            raise NotFound
        if request.method == "DELETE":
            services.attachment_delete(actor=request.user, application_id=app.pk, attachment_id=attachment.pk)
            return Response(status=status.HTTP_204_NO_CONTENT)
        return attachment_response(attachment, attachment_display_name(request.user, attachment, app))

    def _transition(self, request, run, serializer_class=None, **extra):
        app = self.get_object()
        values = {}
        if serializer_class is not None:
            data = serializer_class(data=request.data)
            data.is_valid(raise_exception=True)
            values = dict(data.validated_data)
        try:
            run(actor=request.user, application_id=app.pk, **values, **extra)
        except ObjectDoesNotExist:
            raise NotFound
        return self._fresh(app.pk)

    @extend_schema(request=None, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Freeze a complete draft; 400 lists exactly what is missing; 409 after the deadline."""
        try:
            return self._transition(request, services.application_submit)
        except TransitionRefused:
            app = Application.objects.only("reference").get(pk=pk)
            if app.reference:
                raise TransitionRefused(f"This application was already submitted ({app.reference}).")
            raise

    @extend_schema(request=WithdrawSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._transition(request, services.application_withdraw, WithdrawSerializer)

    @extend_schema(request=EligibleSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def mark_eligible(self, request, pk=None):
        return self._transition(request, services.application_mark_eligible, EligibleSerializer)

    @extend_schema(request=IneligibleSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def mark_ineligible(self, request, pk=None):
        return self._transition(request, services.application_mark_ineligible, IneligibleSerializer)

    @extend_schema(request=ClarificationSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def request_clarification(self, request, pk=None):
        return self._transition(request, services.application_request_clarification, ClarificationSerializer)

    @extend_schema(request=AnswerSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def answer_clarification(self, request, pk=None):
        return self._transition(request, services.application_answer_clarification, AnswerSerializer)

    @extend_schema(request=ExtendSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def extend_deadline(self, request, pk=None):
        return self._transition(request, services.application_deadline_extend, ExtendSerializer)
