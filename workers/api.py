from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.cleaning import TextCleaning
from workers import selectors, services
from workers.models import Notification
from workers.preferences import preferences_get, preferences_set
from workers.rendering import notification_subject


class NotificationSerializer(TextCleaning, serializers.ModelSerializer):
    subject = serializers.SerializerMethodField()
    path = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "subject", "path", "created_at", "read_at"]
        read_only_fields = fields

    def get_subject(self, n) -> str:
        return notification_subject(n, get_language())

    def get_path(self, n) -> str:
        return n.context.get("path", "") if isinstance(n.context, dict) else ""


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's notifications, newest first; `?unread=1` for unread ones only.
    `POST …/{id}/read/` marks one read, `POST …/read-all/` all of them;
    `GET/PUT …/preferences/` reads or sets how each kind is delivered."""

    serializer_class = NotificationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        qs = selectors.notifications_of(self.request.user)
        if self.request.query_params.get("unread") in ("1", "true"):
            qs = qs.filter(read_at__isnull=True)
        return qs

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        try:
            n = services.notification_read(actor=request.user, notification_id=int(pk))
        except (Notification.DoesNotExist, ValueError):
            raise Http404
        return Response(self.get_serializer(n).data)

    @extend_schema(
        request=None,
        responses=inline_serializer("NotificationsMarkedRead", {"marked_read": serializers.IntegerField()}),
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked_read": services.notifications_read_all(actor=request.user)})

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get", "put"])
    def preferences(self, request):
        """{kind: "immediate" | "digest" | "off"} for every kind the caller can configure."""
        if request.method == "PUT":
            if not isinstance(request.data, dict):
                raise serializers.ValidationError(
                    {"non_field_errors": [_("Choose how you receive each kind of notification")]}
                )
            try:
                return Response(
                    preferences_set(actor=request.user, modes={str(k): str(v) for k, v in request.data.items()})
                )
            except ValidationError as exc:
                raise serializers.ValidationError(exc.message_dict)
        return Response(preferences_get(request.user))
