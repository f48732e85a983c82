from django.core.exceptions import ValidationError
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from accounts import selectors, services
from accounts.models import Organisation
from core.api.cleaning import TextCleaning


class OrganisationSerializer(TextCleaning, serializers.ModelSerializer):
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Organisation
        fields = ["id", "legal_name", "country", "org_type", "registration_id", "website", "created_at", "member_count"]
        read_only_fields = ["id", "created_at", "member_count"]
        extra_kwargs: dict[str, dict] = {"registration_id": {"validators": []}}


class OrganisationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Organisations visible to the caller: their own; all for programme managers and admins.
    Creating one makes the caller its owner."""

    serializer_class = OrganisationSerializer
    filterset_fields = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Organisation.objects.none()
        return selectors.organisation_list_visible(self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            org = services.organisation_register(actor=request.user, **serializer.validated_data)
        except ValidationError as exc:
            raise serializers.ValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else {"registration_id": exc.messages}
            )
        org = self.get_queryset().get(pk=org.pk)
        return Response(self.get_serializer(org).data, status=status.HTTP_201_CREATED)
