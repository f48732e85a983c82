"""API for grants, tranches, payments, amendments and exchange rates, with every transition.

Querysets are the visibility selectors: a grant (or its tranche, payment, amendment) the caller
may not see answers 404. A visible one the caller's role may not change answers 403; a
transition the state forbids, 409. Each object with a state carries `state` and
`available_transitions` (what this caller may run now)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.cleaning import TextCleaning
from grants.agreements import selectors, services
from grants.agreements.models import Amendment, GrantBudgetLine


class GrantReasonSerializer(TextCleaning, serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class GrantBudgetLineSerializer(TextCleaning, serializers.ModelSerializer):
    heading_name = serializers.SerializerMethodField()

    class Meta:
        model = GrantBudgetLine
        fields = ["id", "position", "heading", "heading_name", "description", "amount"]
        read_only_fields = fields

    def get_heading_name(self, line) -> str:
        return str(line.heading)


class AmendmentSerializer(TextCleaning, serializers.ModelSerializer):
    state = serializers.CharField(read_only=True)
    available_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Amendment
        fields = [
            "id",
            "grant",
            "version",
            "reason",
            "lines",
            "state",
            "available_transitions",
            "proposed_at",
            "decided_at",
        ]
        read_only_fields = fields

    def get_available_transitions(self, amendment) -> list[str]:
        return selectors.amendment_available_transitions(amendment, self.context["request"].user)


class GrantBudgetLineAmountSerializer(TextCleaning, serializers.Serializer):
    id = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)


class GrantBudgetChangeSerializer(TextCleaning, serializers.Serializer):
    lines = GrantBudgetLineAmountSerializer(many=True)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class AmendmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Budget versions of the grants the caller may see: version 1 is the budget as signed, then
    every amendment (proposed, approved or rejected). Propose one with POST /grants/{id}/budget/."""

    serializer_class = AmendmentSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Amendment.objects.none()
        qs = selectors.amendment_list_visible(self.request.user)
        if self.request.query_params.get("grant", "").isdigit():
            qs = qs.filter(grant_id=int(self.request.query_params["grant"]))
        return qs

    def _decide(self, request, service):
        amendment = self.get_object()
        data = GrantReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        service(actor=request.user, amendment_id=amendment.pk, reason=data.validated_data["reason"])
        return Response(self.get_serializer(self.get_queryset().get(pk=amendment.pk)).data)

    @extend_schema(request=GrantReasonSerializer, responses={200: AmendmentSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, services.amendment_approve)

    @extend_schema(request=GrantReasonSerializer, responses={200: AmendmentSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, services.amendment_reject)
