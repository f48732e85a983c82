"""API of grantee reports and donor reports. Same selectors and services as the pages: 404 when
the caller may not see the object, 403 when the role forbids the act, 409 when the state does
(or when an autosave is based on an older version)."""

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from core.api.cleaning import TextCleaning
from grants.calls.models import Programme
from reporting.donor import services as donor_reports
from reporting.donor.models import DonorReport, DonorReportState
from reporting.grantee.results import programme_results


class DonorReportSerializer(TextCleaning, serializers.ModelSerializer):
    programme_code = serializers.CharField(source="programme.code", read_only=True)
    download_url = serializers.SerializerMethodField()
    available_transitions = serializers.SerializerMethodField()

    class Meta:
        model = DonorReport
        fields = [
            "id",
            "programme",
            "programme_code",
            "period_start",
            "period_end",
            "language",
            "state",
            "progress",
            "attempts",
            "pages",
            "error",
            "requested_at",
            "started_at",
            "finished_at",
            "file_removed_at",
            "download_url",
            "available_transitions",
        ]
        read_only_fields = [
            "id",
            "programme_code",
            "state",
            "progress",
            "attempts",
            "pages",
            "error",
            "requested_at",
            "started_at",
            "finished_at",
            "file_removed_at",
            "download_url",
            "available_transitions",
        ]

    def get_download_url(self, report) -> str | None:
        if report.state != DonorReportState.READY or report.file_removed_at is not None:
            return None
        return self.context["request"].build_absolute_uri(reverse("donor:donor_report_download", args=[report.pk]))

    def get_available_transitions(self, report) -> list[str]:
        user = self.context["request"].user
        # A failed report, or one stranded past its lease (`stale`, from the selector), may be retried.
        retriable = report.state == DonorReportState.FAILED or getattr(report, "stale", False)
        return ["retry"] if retriable and user.has_perm("reporting.request_donor_report", report) else []


class DonorReportViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Donor reports of the programmes the caller funds or manages. POST creates a request (the
    PDF is generated in the background: follow `state` and `progress`); POST …/retry/ queues a
    failed one again, or one stranded past its lease (409 while it is still within it); `download_url` appears once the report is ready."""

    serializer_class = DonorReportSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return DonorReport.objects.none()
        return donor_reports.donor_report_list_for(self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        programme: Programme = data["programme"]
        if not request.user.has_perm("reporting.view_donor_report", programme):
            # a programme the caller may not see reads as one that does not exist
            return Response({"programme": [_("Not found.")]}, status=status.HTTP_400_BAD_REQUEST)
        report = donor_reports.donor_report_request(
            actor=request.user,
            programme_id=programme.pk,
            period_start=data["period_start"],
            period_end=data["period_end"],
            language=data.get("language") or "en",
        )
        report = self.get_queryset().get(pk=report.pk)
        return Response(self.get_serializer(report).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=DonorReportSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        report = self.get_object()
        donor_reports.donor_report_retry(actor=request.user, report_id=report.pk)
        return Response(self.get_serializer(self.get_queryset().get(pk=report.pk)).data)


class ResultPartSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="the country or the call")
    grants = serializers.IntegerField()
    target = serializers.DecimalField(max_digits=16, decimal_places=2)
    actual = serializers.DecimalField(max_digits=16, decimal_places=2)


class ResultGrantSerializer(serializers.Serializer):
    grant = serializers.CharField(help_text="grant number")
    indicator = serializers.CharField()
    target = serializers.DecimalField(max_digits=16, decimal_places=2)
    actual = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    status = serializers.ChoiceField(choices=["reported", "late", "missing"])


class ProgrammeResultSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(help_text="in the caller's language")
    level = serializers.CharField()
    unit = serializers.CharField()
    target = serializers.DecimalField(max_digits=16, decimal_places=2)
    grants_target = serializers.DecimalField(max_digits=16, decimal_places=2)
    actual = serializers.DecimalField(max_digits=16, decimal_places=2)
    late = serializers.IntegerField()
    missing = serializers.IntegerField()
    by_country = ResultPartSerializer(many=True)
    by_call = ResultPartSerializer(many=True)
    grants = ResultGrantSerializer(many=True)


def _part(b) -> dict:
    return {"name": b.label, "grants": b.grants, "target": b.target, "actual": b.actual}


class ProgrammeResultsSerializer(serializers.Serializer):
    programme = serializers.CharField(help_text="the programme's code")
    indicators = ProgrammeResultSerializer(many=True, help_text="one per indicator of the results framework")


class ProgrammeResultsViewSet(viewsets.ViewSet):
    """A programme's results (target against actual per programme indicator, by country and call,
    with the grants behind each figure), for its donors and managers; 404 for anyone else."""

    @extend_schema(responses=ProgrammeResultsSerializer)
    def retrieve(self, request, pk=None):
        programme = Programme.objects.filter(pk=pk).first()
        if programme is None or not request.user.has_perm("reporting.view_donor_dashboard", programme):
            raise NotFound
        data = [
            {
                "code": r.indicator.code,
                "name": r.indicator.name,
                "level": r.indicator.level,
                "unit": r.indicator.unit,
                "target": r.indicator.target,
                "grants_target": r.grants_target,
                "actual": r.actual,
                "late": r.late,
                "missing": r.missing,
                "by_country": [_part(b) for b in r.by_country.values()],
                "by_call": [_part(b) for b in r.by_call.values()],
                "grants": [
                    {
                        "grant": grant.number,
                        "indicator": row.indicator.name,
                        "target": row.indicator.target,
                        "actual": row.actual,
                        "status": row.status,
                    }
                    for grant, row in r.rows
                ],
            }
            for r in programme_results(programme)
        ]
        return Response(ProgrammeResultsSerializer({"programme": programme.code, "indicators": data}).data)
