"""API of grantee reports and donor reports. Same selectors and services as the pages: 404 when
the caller may not see the object, 403 when the role forbids the act, 409 when the state does
(or when an autosave is based on an older version)."""

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.cleaning import TextCleaning
from grants.calls.models import Programme
from reporting.donor import services as donor_reports
from reporting.donor.models import DonorReport, DonorReportState


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
