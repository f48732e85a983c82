"""API of exports: a caller's export jobs with their progress (`rows_done` of `rows_total`,
`progress` in percent) and, once ready, `download_url`. POST queues an export (always built by a
worker: an API client follows the job); POST …/retry/ queues a failed one again, or one stranded
past its lease (409 while it is still within it). Another person's job answers 404."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from reporting.data import exports, jobs
from reporting.data.models import ExportJob
from reporting.data.tables import EXPORTS


class ExportJobSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=list(EXPORTS))
    file_format = serializers.ChoiceField(choices=list(exports.FORMATS))
    programme = serializers.IntegerField(required=False, write_only=True, min_value=1)
    call = serializers.IntegerField(required=False, write_only=True, min_value=1)
    progress = serializers.SerializerMethodField()  # rows_done in percent of rows_total
    download_url = serializers.SerializerMethodField()
    available_transitions = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "kind",
            "file_format",
            "programme",
            "call",
            "params",
            "state",
            "rows_done",
            "rows_total",
            "progress",
            "attempts",
            "error",
            "created_at",
            "finished_at",
            "file_removed_at",
            "download_url",
            "available_transitions",
        ]
        read_only_fields = [f for f in fields if f not in ("kind", "file_format", "programme", "call")]

    def get_progress(self, job) -> int:
        if job.state == ExportJob.State.READY:
            return 100
        return min(100, job.rows_done * 100 // job.rows_total) if job.rows_total else 0

    def get_download_url(self, job) -> str | None:
        if job.state != ExportJob.State.READY or job.file_removed_at is not None:
            return None
        return self.context["request"].build_absolute_uri(reverse("data:export_job_download", args=[job.pk]))

    def get_available_transitions(self, job) -> list[str]:
        # A failed job, or one stranded past its lease (`stale`, from the selector), may be retried.
        return ["retry"] if job.state == ExportJob.State.FAILED or getattr(job, "stale", False) else []


class ExportJobViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """The caller's own exports. POST {kind, file_format, programme?, call?} queues one; follow its
    `state` and `progress`; `download_url` appears once it is ready."""

    serializer_class = ExportJobSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ExportJob.objects.none()
        return jobs.export_jobs_for(self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        filters = {key: data[key] for key in ("programme", "call") if data.get(key)}
        job = jobs.export_job_request(
            actor=request.user,
            kind=data["kind"],
            file_format=data["file_format"],
            filters=filters,
            rows_total=exports.export_count(request.user, data["kind"], filters),
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=job.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ExportJobSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        job = self.get_object()
        jobs.export_job_retry(actor=request.user, job_id=job.pk)
        return Response(self.get_serializer(self.get_queryset().get(pk=job.pk)).data)
