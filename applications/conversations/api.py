"""API for threads: the caller's inbox (`GET /api/v1/threads/`), and an application's or a grant's
messages (`GET/POST /api/v1/applications/{id}/messages/`, `GET/POST /api/v1/grants/{id}/messages/`).
A thread the caller may not see answers 404, like its application or grant."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from applications.conversations import selectors, services
from applications.conversations.models import Message, MessageAttachment, Thread, ThreadScope
from applications.conversations.visibility import thread_can_view
from applications.models import Application
from core.api.cleaning import TextCleaning


class ThreadSerializer(serializers.ModelSerializer):
    unread = serializers.BooleanField(read_only=True)
    grant = serializers.SerializerMethodField()

    class Meta:
        model = Thread
        fields = ["id", "scope", "application", "grant", "organisation", "subject", "last_message_at", "unread"]
        read_only_fields = fields

    def get_grant(self, thread) -> int | None:
        if thread.scope != ThreadScope.GRANT:
            return None
        return thread.application.grant.pk


class MessageAttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = MessageAttachment
        fields = ["id", "original_name", "content_type", "size", "sha256"]
        read_only_fields = fields


class MessageSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    attachments = MessageAttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = ["id", "author", "from_staff", "event", "body", "created_at", "attachments"]
        read_only_fields = fields

    def get_author(self, message) -> str:
        return (message.author.full_name or message.author.email) if message.author else ""


class MessageInSerializer(TextCleaning, serializers.Serializer):
    body = serializers.CharField(required=False, allow_blank=True, max_length=services.BODY_MAX)
    files = serializers.ListField(child=serializers.FileField(), required=False)


class ThreadViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's threads that have messages, newest unread first."""

    serializer_class = ThreadSerializer

    def get_queryset(self):
        return selectors.inbox_list(self.request.user)


class _MessagesView(GenericAPIView):
    """A thread's messages, oldest first, a page at a time (a thread grows without bound)."""

    scope = ThreadScope.APPLICATION
    serializer_class = MessageSerializer
    parser_classes = [parsers.JSONParser, parsers.MultiPartParser, parsers.FormParser]

    def _application(self, request, pk) -> Application:
        lookup = {"grant__pk": pk} if self.scope == ThreadScope.GRANT else {"pk": pk}
        application = Application.objects.select_related("call").filter(**lookup).first()
        if application is None or not thread_can_view(request.user, application, self.scope):
            raise Http404
        return application

    @extend_schema(responses=MessageSerializer(many=True))
    def get(self, request, pk):
        application = self._application(request, pk)
        thread = selectors.thread_of(application, self.scope)
        page = self.paginate_queryset(selectors.thread_messages(thread))
        return self.get_paginated_response(MessageSerializer(page, many=True).data)

    get.paginated = True  # type: ignore[attr-defined]  # described as a page (core.api.schema)

    @extend_schema(request=MessageInSerializer, responses={201: MessageSerializer})
    def post(self, request, pk):
        application = self._application(request, pk)
        incoming = MessageInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        message = services.message_post(
            actor=request.user,
            application_id=application.pk,
            scope=self.scope,
            body=incoming.validated_data.get("body", ""),
            files=incoming.validated_data.get("files", []),
        )
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)


class ApplicationMessagesView(_MessagesView):
    scope = ThreadScope.APPLICATION


class GrantMessagesView(_MessagesView):
    scope = ThreadScope.GRANT
