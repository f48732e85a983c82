"""API of grantee reports and donor reports. Same selectors and services as the pages: 404 when
the caller may not see the object, 403 when the role forbids the act, 409 when the state does
(or when an autosave is based on an older version)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from audit.lists import AuditedListPagination
from core.api.cleaning import TextCleaning
from reporting.grantee import selectors, services
from reporting.grantee.models import GranteeReport, GranteeReportState

REPORT_TRANSITIONS = {
    "submit": "reporting.edit_report",
    "approve": "reporting.review_report",
    "request_changes": "reporting.review_report",
}


class ExpenditureInSerializer(TextCleaning, serializers.Serializer):
    budget_line = serializers.IntegerField()
    amount_spent = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    note = serializers.CharField(allow_blank=True, required=False, default="")


class IndicatorValueInSerializer(TextCleaning, serializers.Serializer):
    indicator = serializers.IntegerField()
    actual = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True, required=False)
    comment = serializers.CharField(allow_blank=True, required=False, default="")


class ReportSaveSerializer(TextCleaning, serializers.Serializer):
    version = serializers.IntegerField()
    narrative = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    expenditures = ExpenditureInSerializer(many=True, required=False)
    indicators = IndicatorValueInSerializer(many=True, required=False)

    def service_kwargs(self) -> dict:
        data = self.validated_data
        kwargs = {"version": data["version"]}
        if "narrative" in data:
            kwargs["narrative"] = data["narrative"]
        if "expenditures" in data:
            kwargs["expenditures"] = {
                e["budget_line"]: {"amount_spent": e["amount_spent"], "note": e["note"]} for e in data["expenditures"]
            }
        if "indicators" in data:
            kwargs["indicators"] = {
                i["indicator"]: {"actual": i.get("actual"), "comment": i["comment"]} for i in data["indicators"]
            }
        return kwargs


class ReportCommentSerializer(TextCleaning, serializers.Serializer):
    comment = serializers.CharField(allow_blank=True, required=False, default="")


class GranteeReportSerializer(TextCleaning, serializers.ModelSerializer):
    grant_number = serializers.CharField(source="grant.number", read_only=True)
    organisation = serializers.CharField(source="grant.organisation.legal_name", read_only=True)
    financials = serializers.SerializerMethodField()
    indicators = serializers.SerializerMethodField()
    available_transitions = serializers.SerializerMethodField()

    class Meta:
        model = GranteeReport
        fields = [
            "id",
            "grant",
            "grant_number",
            "organisation",
            "kind",
            "state",
            "due_on",
            "period_start",
            "period_end",
            "version",
            "narrative",
            "submitted_at",
            "decided_at",
            "manager_comment",
            "financials",
            "indicators",
            "available_transitions",
        ]
        read_only_fields = fields

    def get_financials(self, report) -> dict | None:
        if not self.context.get("detail"):
            return None
        f = selectors.report_financials(report)
        return {
            "budget_total": str(f.budget_total),
            "spent": str(f.spent_total),
            "ineligible": str(f.ineligible_total),
            "cumulative": str(f.cumulative_total),
            "flexibility_pct": str(f.flexibility_pct),
            "flags": f.flags,
            "lines": [
                {
                    "budget_line": ln.budget_line_id,
                    "heading": ln.heading,
                    "description": ln.description,
                    "budget": str(ln.budget),
                    "previous": str(ln.previous),
                    "spent": str(ln.spent),
                    "ineligible": str(ln.ineligible),
                    "remaining": str(ln.remaining),
                    "note": ln.note,
                }
                for ln in f.lines
            ],
        }

    def get_indicators(self, report) -> list | None:
        if not self.context.get("detail"):
            return None
        return [
            {
                "indicator": row["indicator"].pk,
                "name": row["indicator"].name,
                "unit": row["indicator"].unit,
                "baseline": str(row["indicator"].baseline),
                "target": str(row["indicator"].target),
                "actual": None if row["actual"] is None else str(row["actual"]),
                "comment": row["comment"],
            }
            for row in selectors.report_indicators(report)
        ]

    def get_available_transitions(self, report) -> list[str]:
        user = self.context["request"].user
        names = [t.name for t in report.get_available_state_transitions()]
        return [n for n in names if n in REPORT_TRANSITIONS and user.has_perm(REPORT_TRANSITIONS[n], report)]


class GranteeReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Grantee reports the caller may see. PATCH autosaves the grantee's part (409 when `version`
    is not the current one); POST …/submit/, …/approve/, …/request_changes/ run the transitions."""

    pagination_class = AuditedListPagination  # rows come and go through audited use cases

    serializer_class = GranteeReportSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return GranteeReport.objects.none()
        qs = selectors.report_list_visible(self.request.user).order_by("due_on", "pk")
        state = self.request.query_params.get("state")
        if state in GranteeReportState.values:
            qs = qs.filter(state=state)
        return qs

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "detail": self.action != "list"}

    def _answer(self, report_id):
        report = self.get_queryset().get(pk=report_id)
        return Response(self.get_serializer(report).data)

    @extend_schema(request=ReportSaveSerializer, responses=GranteeReportSerializer)
    def partial_update(self, request, pk=None):
        report = self.get_object()
        data = ReportSaveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.grantee_report_save(actor=request.user, report_id=report.pk, **data.service_kwargs())
        except services.StaleVersion as exc:
            return Response({"detail": exc.message, "version": exc.current_version}, status=status.HTTP_409_CONFLICT)
        return self._answer(report.pk)

    @extend_schema(request=None, responses=GranteeReportSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        report = self.get_object()
        services.grantee_report_submit(actor=request.user, report_id=report.pk)
        return self._answer(report.pk)

    @extend_schema(request=ReportCommentSerializer, responses=GranteeReportSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        report = self.get_object()
        body = ReportCommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.grantee_report_approve(actor=request.user, report_id=report.pk, comment=body.validated_data["comment"])
        return self._answer(report.pk)

    @extend_schema(request=ReportCommentSerializer, responses=GranteeReportSerializer)
    @action(detail=True, methods=["post"])
    def request_changes(self, request, pk=None):
        report = self.get_object()
        body = ReportCommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.grantee_report_request_changes(
            actor=request.user, report_id=report.pk, comment=body.validated_data["comment"]
        )
        return self._answer(report.pk)
