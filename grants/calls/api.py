"""API for programmes and calls: anyone may read public calls; a programme's managers create
and change draft calls (with their template) and publish or cancel them."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.roles import MANAGER
from core.api.cleaning import TextCleaning
from core.languages import columns, translated_fields
from grants.calls import selectors, services
from grants.calls.form.checklist import checklist_items
from grants.calls.form.layout import answers_schema, form_json, form_load
from grants.calls.form.models import FormPurpose, QuestionKind
from grants.calls.models import (
    BudgetHeading,
    Call,
    CallState,
    Criterion,
    Programme,
    Question,
    RequiredDocument,
    TranchePlanItem,
)

CALL_TRANSITIONS = {"publish": [CallState.DRAFT], "cancel": [CallState.DRAFT, CallState.PUBLISHED, CallState.OPEN]}


def _row_serializer(row_model, row_fields):
    texts = translated_fields(row_model)

    class RowSerializer(serializers.ModelSerializer):
        id = serializers.IntegerField(required=False)

        class Meta:
            model = row_model
            # `text`: in the caller's language (Accept-Language) when read, the main language's when
            # written; `text_en`, `text_uk`…: each language's own.
            fields = ["id", "position", *texts, *row_fields]
            read_only_fields = ["position"]
            extra_kwargs = {name: {"required": False} for name in texts}

    RowSerializer.__name__ = f"{row_model.__name__}RowSerializer"
    return RowSerializer


QuestionSerializer = _row_serializer(Question, services.TEMPLATE_PARTS["questions"][1])
BudgetHeadingSerializer = _row_serializer(BudgetHeading, services.TEMPLATE_PARTS["budget_headings"][1])
RequiredDocumentSerializer = _row_serializer(RequiredDocument, services.TEMPLATE_PARTS["required_documents"][1])
CriterionSerializer = _row_serializer(Criterion, services.TEMPLATE_PARTS["criteria"][1])
TranchePlanItemSerializer = _row_serializer(TranchePlanItem, services.TEMPLATE_PARTS["tranche_plan"][1])
PART_SERIALIZERS = {
    "questions": QuestionSerializer,
    "budget_headings": BudgetHeadingSerializer,
    "required_documents": RequiredDocumentSerializer,
    "criteria": CriterionSerializer,
    "tranche_plan": TranchePlanItemSerializer,
}


class ProgrammeSerializer(TextCleaning, serializers.ModelSerializer):
    budget = serializers.DecimalField(source="budget.amount", max_digits=14, decimal_places=2, read_only=True)
    currency = serializers.CharField(source="budget.currency", read_only=True)

    class Meta:
        model = Programme
        fields = [
            "id",
            "code",
            "title",
            *columns("title"),
            "description",
            *columns("description"),
            "budget",
            "currency",
            "starts_on",
            "ends_on",
            "countries",
            "envelopes_total",
        ]


class CallSerializer(TextCleaning, serializers.ModelSerializer):
    envelope = serializers.DecimalField(max_digits=14, decimal_places=2, source="envelope_amount")
    currency = serializers.SerializerMethodField()
    state = serializers.CharField(read_only=True)
    available_transitions = serializers.SerializerMethodField()
    is_accepting = serializers.BooleanField(read_only=True)
    questions = QuestionSerializer(many=True, required=False)
    budget_headings = BudgetHeadingSerializer(many=True, required=False)
    required_documents = RequiredDocumentSerializer(many=True, required=False)
    criteria = CriterionSerializer(many=True, required=False)
    tranche_plan = TranchePlanItemSerializer(many=True, required=False)
    eligible_countries = serializers.ListField(child=serializers.CharField(max_length=2), required=False)
    # Two-stage calls (PRAG's restricted procedure): created with `two_stage`, the call is the concept
    # notes' stage and `full_call` its full-application stage; a full-application stage names its
    # `concept_call`. The shortlist is invited on the site (reviews/calls/<id>/shortlist/).
    two_stage = serializers.BooleanField(write_only=True, required=False, default=False)
    concept_call: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )
    full_call = serializers.SerializerMethodField()
    # The call's forms with their typed questions, the JSON schema of an application's `answers`
    # and the screening checklist: on a single call (not in lists).
    forms = serializers.SerializerMethodField()
    answers_schema = serializers.SerializerMethodField()
    checklist = serializers.SerializerMethodField()
    eligible_org_types = serializers.ListField(child=serializers.CharField(max_length=20), required=False)

    class Meta:
        model = Call
        fields = [
            "id",
            "programme",
            "code",
            "title",
            *columns("title"),
            "description",
            *columns("description"),
            "envelope",
            "currency",
            "min_grant",
            "max_grant",
            "cofinancing_min_pct",
            "max_duration_months",
            "indirect_max_pct",
            "flexibility_pct",
            "eligible_countries",
            "eligible_org_types",
            "opens_at",
            "deadline",
            "reviewers_per_application",
            "divergence_threshold",
            "overall_threshold",
            "blind_review",
            "review_comment_min_chars",
            "review_days",
            "reviewers_not_from_applicant_country",
            "max_file_mb",
            "max_total_mb",
            "state",
            "available_transitions",
            "is_accepting",
            "two_stage",
            "concept_call",
            "full_call",
            "questions",
            "budget_headings",
            "required_documents",
            "criteria",
            "tranche_plan",
            "forms",
            "answers_schema",
            "checklist",
        ]
        validators: list = []  # the services decide (code unique per programme, ranges, time zones)
        extra_kwargs = {"title": {"required": False}}  # or `title_en`: the service asks for one

    def get_full_call(self, call) -> int | None:
        full = getattr(call, "full_call", None)  # the reverse one-to-one: None on a one-stage call
        return full.pk if full is not None else None

    def _single(self) -> bool:
        view = self.context.get("view")
        return view is None or getattr(view, "action", "") != "list"

    def get_forms(self, call) -> dict | None:
        if not self._single():
            return None
        return {purpose: form_json(form_load(call.pk, purpose)) for purpose in FormPurpose.values}

    def get_answers_schema(self, call) -> dict | None:
        return answers_schema(form_load(call.pk)) if self._single() else None

    def get_checklist(self, call) -> list[dict] | None:
        return [{"key": k, "label": label} for k, label in checklist_items(call.pk)] if self._single() else None

    def get_currency(self, call) -> str:
        return str(call.envelope.currency)

    def get_available_transitions(self, call) -> list[str]:
        user = self.context["request"].user
        if not getattr(user, "is_authenticated", False) or not user.has_perm("grants.manage_call", call):
            return []
        return [name for name, sources in CALL_TRANSITIONS.items() if call.state in sources]

    def to_representation(self, call):
        call.envelope_amount = call.envelope.amount
        data = super().to_representation(call)
        return data

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple) and hasattr(self.instance, "pk"):
            fields["programme"].read_only = True
        return fields


class CallCancelSerializer(TextCleaning, serializers.Serializer):
    reason = serializers.CharField()


def _split(validated: dict) -> tuple[dict, dict]:
    parts = {name: [dict(row) for row in validated.pop(name)] for name in list(PART_SERIALIZERS) if name in validated}
    return validated, parts


class CallViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Calls for proposals. Public calls can be read by anyone; drafts only by the programme's
    managers, who create and change them while they are drafts (409 otherwise) and publish or
    cancel them. Publishing is refused (400) with a message naming each problem."""

    serializer_class = CallSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Call.objects.none()
        qs = (
            selectors.call_list_visible(self.request.user)
            .select_related("full_call")
            .prefetch_related(
                # `questions`: the application form's text questions (the template's); the whole
                # form, typed, is `forms` on a single call.
                Prefetch(
                    "questions",
                    queryset=Question.objects.filter(purpose=FormPurpose.APPLICATION)
                    .exclude(kind=QuestionKind.FILE)
                    .order_by("position", "pk"),
                ),
                "budget_headings",
                "required_documents",
                "criteria",
                "tranche_plan",
            )
            .order_by("deadline", "pk")
        )
        state = self.request.query_params.get("state")
        return qs.filter(state=state) if state else qs

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields, parts = _split(dict(serializer.validated_data))
        programme = fields.pop("programme")
        with transaction.atomic():
            call = services.call_create(actor=request.user, programme_id=programme.pk, **fields)
            if parts:
                services.call_template_save(actor=request.user, call_id=call.pk, **parts)
        return Response(self.get_serializer(self.get_queryset().get(pk=call.pk)).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        call = self.get_object()
        if not request.user.has_perm("grants.manage_call", call):
            raise PermissionDenied
        serializer = self.get_serializer(call, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        fields, parts = _split(dict(serializer.validated_data))
        fields.pop("programme", None)
        with transaction.atomic():
            services.call_update(actor=request.user, call_id=call.pk, **fields)
            if parts:
                services.call_template_save(actor=request.user, call_id=call.pk, **parts)
        return Response(self.get_serializer(self.get_queryset().get(pk=call.pk)).data)

    @extend_schema(request=None, responses=CallSerializer)
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def publish(self, request, pk=None):
        call = self.get_object()
        services.call_publish(actor=request.user, call_id=call.pk)
        services.calls_open_close()
        return Response(self.get_serializer(self.get_queryset().get(pk=call.pk)).data)

    @extend_schema(request=CallCancelSerializer, responses=CallSerializer)
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def cancel(self, request, pk=None):
        call = self.get_object()
        services.call_cancel(actor=request.user, call_id=call.pk, reason=str(request.data.get("reason", "")))
        return Response(self.get_serializer(self.get_queryset().get(pk=call.pk)).data)


class ProgrammeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Programmes the caller manages (all for admins)."""

    serializer_class = ProgrammeSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Programme.objects.none()
        return selectors.programme_list_for(self.request.user, MANAGER).order_by("code")
