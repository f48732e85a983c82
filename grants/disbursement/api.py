"""API for grants, tranches, payments, amendments and exchange rates, with every transition.

Querysets are the visibility selectors: a grant (or its tranche, payment, amendment) the caller
may not see answers 404. A visible one the caller's role may not change answers 403; a
transition the state forbids, 409. Each object with a state carries `state` and
`available_transitions` (what this caller may run now)."""

from collections.abc import Callable
from typing import Any, cast

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from applications.visibility import application_list_visible
from audit.lists import AuditedListPagination
from core.api.cleaning import OneFileField, TextCleaning
from grants.agreements import selectors as agreements_selectors
from grants.agreements import services as agreements_services
from grants.agreements.api import (
    AmendmentSerializer,
    GrantBudgetChangeSerializer,
    GrantBudgetLineSerializer,
    GrantReasonSerializer,
)
from grants.agreements.models import Grant
from grants.disbursement import lifecycle as disbursement_lifecycle
from grants.disbursement import selectors as disbursement_selectors
from grants.disbursement import services as disbursement_services
from grants.disbursement.models import ExchangeRate, Payment, Tranche


class PaymentSerializer(TextCleaning, serializers.ModelSerializer[Payment]):
    grant_number = serializers.CharField(source="grant.number", read_only=True)
    tranche_position = serializers.IntegerField(source="tranche.position", read_only=True)
    recorded_by = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = [
            "id",
            "grant",
            "grant_number",
            "tranche",
            "tranche_position",
            "paid_on",
            "amount",
            "currency",
            "exchange_rate",
            "rate_month",
            "amount_programme_currency",
            "bank_reference",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields

    def get_recorded_by(self, payment: Payment) -> str:
        return payment.recorded_by.get_full_name() if payment.recorded_by_id else ""  # type: ignore[no-untyped-call]


class TrancheSerializer(TextCleaning, serializers.ModelSerializer[Tranche]):
    state = serializers.CharField(read_only=True)
    available_transitions = serializers.SerializerMethodField()
    grant_number = serializers.CharField(source="grant.number", read_only=True)
    currency = serializers.CharField(source="grant.currency", read_only=True)
    approved_by = serializers.SerializerMethodField()
    payment = serializers.SerializerMethodField()

    class Meta:
        model = Tranche
        fields = [
            "id",
            "grant",
            "grant_number",
            "position",
            "share_pct",
            "condition",
            "planned_amount",
            "due_amount",
            "currency",
            "due_reason",
            "due_on",
            "approved_by",
            "approved_at",
            "state",
            "available_transitions",
            "payment",
        ]
        read_only_fields = fields

    def get_available_transitions(self, tranche: Tranche) -> list[str]:
        return disbursement_selectors.tranche_available_transitions(tranche, self.context["request"].user)

    def get_approved_by(self, tranche: Tranche) -> str:
        approver = tranche.approved_by if tranche.approved_by_id else None
        return approver.get_full_name() if approver is not None else ""  # type: ignore[no-untyped-call]

    def get_payment(self, tranche: Tranche) -> dict[str, Any] | None:
        payment = getattr(tranche, "payment", None) if tranche.state == "paid" else None
        if payment is None:
            return None
        return {
            "id": payment.pk,
            "paid_on": payment.paid_on,
            "amount": str(payment.amount),
            "currency": payment.currency,
            "exchange_rate": str(payment.exchange_rate),
            "amount_programme_currency": str(payment.amount_programme_currency),
            "bank_reference": payment.bank_reference,
        }


class GrantSerializer(TextCleaning, serializers.ModelSerializer[Grant]):
    state = serializers.CharField(read_only=True)
    available_transitions = serializers.SerializerMethodField()
    organisation = serializers.SerializerMethodField()
    programme = serializers.IntegerField(source="call.programme_id", read_only=True)
    budget_lines = GrantBudgetLineSerializer(many=True, read_only=True)
    tranches = TrancheSerializer(many=True, read_only=True)

    class Meta:
        model = Grant
        fields = [
            "id",
            "number",
            "title",
            "application",
            "call",
            "programme",
            "organisation",
            "amount_awarded",
            "currency",
            "starts_on",
            "ends_on",
            "signed_at",
            "paid_total",
            "state",
            "available_transitions",
            "budget_lines",
            "tranches",
            "created_at",
        ]
        read_only_fields = fields

    def get_available_transitions(self, grant: Grant) -> list[str]:
        return disbursement_selectors.grant_available_transitions(grant, self.context["request"].user)

    def get_organisation(self, grant: Grant) -> dict[str, Any]:
        org = grant.organisation
        return {
            "id": org.pk,
            "legal_name": org.legal_name,
            "country": org.country,
            "registration_id": org.registration_id,
        }


class GrantCreateSerializer(TextCleaning, serializers.Serializer[Any]):
    application = serializers.IntegerField(help_text="An awarded application without an agreement.")
    starts_on = serializers.DateField(required=False, allow_null=True)
    ends_on = serializers.DateField(required=False, allow_null=True)


class GrantSignSerializer(TextCleaning, serializers.Serializer[Any]):
    document = OneFileField(help_text="The signed agreement, a PDF.")
    signed_on = serializers.DateField(required=False, allow_null=True)


class PaymentCreateSerializer(TextCleaning, serializers.Serializer[Any]):
    paid_on = serializers.DateField()
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    currency = serializers.CharField(max_length=3)
    bank_reference = serializers.CharField(max_length=80)


class ExchangeRateSerializer(TextCleaning, serializers.ModelSerializer[ExchangeRate]):
    class Meta:
        model = ExchangeRate
        fields = ["id", "month", "base", "currency", "rate", "recorded_at"]
        read_only_fields = ["id", "base", "recorded_at"]
        validators: list[Any] = []


class GrantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Grant]):
    """Grant agreements the caller may see: members of the grantee organisation; managers,
    finance officers and donors of the programme. POST creates the draft agreement of an
    awarded application (programme managers)."""

    pagination_class = AuditedListPagination  # rows come and go through audited use cases

    serializer_class = GrantSerializer

    def get_queryset(self) -> QuerySet[Grant]:
        if getattr(self, "swagger_fake_view", False):
            return cast("QuerySet[Grant]", Grant.objects.none())
        user = self.request.user
        visible: QuerySet[Grant] = agreements_selectors.grant_list_visible(user)  # type: ignore[no-untyped-call]
        qs = visible.prefetch_related("budget_lines__heading", "tranches__approved_by", "tranches__payment")
        params = self.request.query_params
        if params.get("state"):
            qs = qs.filter(state=params["state"])
        if params.get("call", "").isdigit():
            qs = qs.filter(call_id=int(params["call"]))
        return qs

    def _fresh(self, pk: int, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data, status=status_code)

    @extend_schema(request=GrantCreateSerializer, responses={201: GrantSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = GrantCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application_id = data.validated_data["application"]
        visible = application_list_visible(request.user)  # type: ignore[no-untyped-call]
        if not visible.filter(pk=application_id).exists():
            raise serializers.ValidationError({"application": ["No such application."]})
        grant = disbursement_lifecycle.grant_create_from_application(
            actor=request.user,
            application_id=application_id,
            starts_on=data.validated_data.get("starts_on"),
            ends_on=data.validated_data.get("ends_on"),
        )
        return self._fresh(grant.pk, status.HTTP_201_CREATED)

    def _transition(self, request: Request, service: Callable[..., Grant], **extra: Any) -> Response:
        grant = self.get_object()
        if not request.user.has_perm("grants.manage_grant", grant):
            raise ApiPermissionDenied()
        data = GrantReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        service(actor=request.user, grant_id=grant.pk, reason=data.validated_data["reason"], **extra)
        return self._fresh(grant.pk)

    @extend_schema(request={"multipart/form-data": GrantSignSerializer}, responses={200: GrantSerializer})
    @action(detail=True, methods=["post"], parser_classes=[parsers.MultiPartParser, parsers.FormParser])
    def sign(self, request: Request, pk: str | None = None) -> Response:
        """Record the signature: upload the signed agreement (PDF); the first tranche becomes due."""
        grant = self.get_object()
        data = GrantSignSerializer(data=request.data)
        if not request.user.has_perm("grants.manage_grant", grant):
            raise ApiPermissionDenied()
        data.is_valid(raise_exception=True)
        disbursement_lifecycle.grant_sign(
            actor=request.user,
            grant_id=grant.pk,
            document=data.validated_data["document"],
            signed_on=data.validated_data.get("signed_on"),
        )
        return self._fresh(grant.pk)

    @extend_schema(request=GrantReasonSerializer, responses={200: GrantSerializer})
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(request, disbursement_lifecycle.grant_suspend)

    @extend_schema(request=GrantReasonSerializer, responses={200: GrantSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(request, disbursement_lifecycle.grant_resume)

    @extend_schema(request=GrantReasonSerializer, responses={200: GrantSerializer})
    @action(detail=True, methods=["post"])
    def terminate(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(request, disbursement_lifecycle.grant_terminate)

    @extend_schema(request=GrantReasonSerializer, responses={200: GrantSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(request, disbursement_lifecycle.grant_close)

    @extend_schema(request=None, responses={200: GrantSerializer})
    @action(detail=True, methods=["post"], url_path="check-conditions")
    def check_conditions(self, request: Request, pk: str | None = None) -> Response:
        """Re-evaluate the tranche conditions (programme managers)."""
        grant = self.get_object()
        if not request.user.has_perm("grants.manage_grant", grant):
            raise ApiPermissionDenied()
        disbursement_services.tranche_conditions_check(grant_id=grant.pk, actor=request.user)
        return self._fresh(grant.pk)

    @extend_schema(request=GrantBudgetChangeSerializer, responses={200: GrantSerializer})
    @action(detail=True, methods=["post"])
    def budget(self, request: Request, pk: str | None = None) -> Response:
        """Change the budget. Draft: the manager edits it freely (the total stays the award).
        Signed: within the flexibility limit it applies at once; beyond it, the answer carries
        the amendment waiting for the manager (`amendment`)."""
        grant = self.get_object()
        data = GrantBudgetChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        amounts = {line["id"]: line["amount"] for line in data.validated_data["lines"]}
        amendment = None
        if grant.state == "draft":
            agreements_services.grant_budget_update(actor=request.user, grant_id=grant.pk, amounts=amounts)
        else:
            result = agreements_services.grant_budget_change(
                actor=request.user, grant_id=grant.pk, amounts=amounts, reason=data.validated_data["reason"]
            )
            amendment = result.amendment
        body = self.get_serializer(self.get_queryset().get(pk=grant.pk)).data
        body = {
            **body,
            "amendment": AmendmentSerializer(amendment, context=self.get_serializer_context()).data
            if amendment
            else None,
        }
        return Response(body)


class TrancheViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Tranche]):
    """Tranches of the grants the caller may see. `approve` (programme managers) and `pay`
    (finance officers; never the person who approved it)."""

    pagination_class = AuditedListPagination  # rows come and go through audited use cases

    serializer_class = TrancheSerializer

    def get_queryset(self) -> QuerySet[Tranche]:
        if getattr(self, "swagger_fake_view", False):
            return cast("QuerySet[Tranche]", Tranche.objects.none())
        qs = disbursement_selectors.tranche_list_visible(self.request.user)
        params = self.request.query_params
        if params.get("grant", "").isdigit():
            qs = qs.filter(grant_id=int(params["grant"]))
        if params.get("state"):
            qs = qs.filter(state=params["state"])
        return qs

    def _fresh(self, pk: int) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data)

    @extend_schema(request=GrantReasonSerializer, responses={200: TrancheSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        tranche = self.get_object()
        data = GrantReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        disbursement_services.tranche_approve(
            actor=request.user, tranche_id=tranche.pk, reason=data.validated_data["reason"]
        )
        return self._fresh(tranche.pk)

    @extend_schema(request=PaymentCreateSerializer, responses={200: TrancheSerializer})
    @action(detail=True, methods=["post"])
    def pay(self, request: Request, pk: str | None = None) -> Response:
        """Record the payment: date, amount, paid currency, bank reference (unique). The rate of
        the payment's month converts it to the grant's currency."""
        tranche = self.get_object()
        if not request.user.has_perm("grants.pay_tranche", tranche):
            raise ApiPermissionDenied()
        data = PaymentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        disbursement_services.payment_record(actor=request.user, tranche_id=tranche.pk, **data.validated_data)
        return self._fresh(tranche.pk)


class PaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Payment]):
    """Payments of the grants the caller may see (record one with POST /tranches/{id}/pay/)."""

    pagination_class = AuditedListPagination  # rows come and go through audited use cases

    serializer_class = PaymentSerializer

    def get_queryset(self) -> QuerySet[Payment]:
        if getattr(self, "swagger_fake_view", False):
            return Payment.objects.none()
        qs = disbursement_selectors.payment_list_visible(self.request.user)
        if self.request.query_params.get("grant", "").isdigit():
            qs = qs.filter(grant_id=int(self.request.query_params["grant"]))
        return qs


class ExchangeRateViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet[ExchangeRate]
):
    """Monthly accounting rates (1 EUR = rate units of currency). Finance officers record or
    correct one with POST (a rate a payment used no longer changes)."""

    serializer_class = ExchangeRateSerializer

    def get_queryset(self) -> QuerySet[ExchangeRate]:
        if getattr(self, "swagger_fake_view", False):
            return ExchangeRate.objects.none()
        user = self.request.user
        if not (user.has_perm("grants.view_finance") or user.has_perm("grants.record_exchange_rate")):
            raise ApiPermissionDenied()
        qs = ExchangeRate.objects.order_by("-month", "currency")
        if self.request.query_params.get("currency"):
            qs = qs.filter(currency=self.request.query_params["currency"].upper())
        return qs

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        rate = disbursement_services.exchange_rate_record(actor=request.user, **data.validated_data)
        return Response(self.get_serializer(rate).data, status=status.HTTP_201_CREATED)
