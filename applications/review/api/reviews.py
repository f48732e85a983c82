"""API of independent review and selection: reviews (declarations, scores), assignments,
the reviewer pool, rankings and decisions. Same selectors and services as the pages:
404 when the caller may not see the object, 403 when their role forbids the act, 409 when
the state does."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from applications.models import ApplicationState
from applications.review import selectors, services
from applications.review.models import Review, ReviewState, Score
from applications.review.rules import programme_id_of
from audit.lists import AuditedListPagination
from core.api.cleaning import TextCleaning
from core.money import cents
from grants.calls.models import Call


def _is_manager_of(user, obj) -> bool:
    ids = selectors.managed_programme_ids(user)
    return ids is None or programme_id_of(obj) in ids


def _decimal(value):
    return None if value is None else str(cents(value))


class ScoreSerializer(TextCleaning, serializers.Serializer):
    criterion = serializers.IntegerField()
    criterion_name = serializers.CharField(read_only=True)
    # Checked by the service (0 to the criterion's maximum in half points), which names the field.
    score = serializers.CharField(
        allow_null=True,
        allow_blank=True,
        required=False,
        max_length=10,
        help_text='0 to the criterion\'s maximum, in half points, e.g. "4.5"',
    )
    comment = serializers.CharField(allow_blank=True, required=False, trim_whitespace=True)


class ScoresInSerializer(TextCleaning, serializers.Serializer):
    scores = ScoreSerializer(many=True, required=False)
    recommendation = serializers.CharField(allow_blank=True, required=False)
    overall_comment = serializers.CharField(allow_blank=True, required=False)

    def service_kwargs(self):
        data = self.validated_data
        kwargs = {}
        if "scores" in data:
            kwargs["scores"] = {
                item["criterion"]: {k: v for k, v in item.items() if k in ("score", "comment")}
                for item in data["scores"]
            }
        for name in ("recommendation", "overall_comment"):
            if name in data:
                kwargs[name] = data[name]
        return kwargs


class ReasonSerializer(TextCleaning, serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, required=False, default="")


class CommentSerializer(TextCleaning, serializers.Serializer):
    comment = serializers.CharField(allow_blank=True, required=False, default="")


class ReviewExtendSerializer(TextCleaning, serializers.Serializer):
    due_at = serializers.DateTimeField(help_text="The new due date, in the future (ISO 8601 with a time zone).")
    reason = serializers.CharField(allow_blank=True, required=False, default="")


class ReviewSerializer(TextCleaning, serializers.ModelSerializer):
    application_title = serializers.CharField(source="application.title", read_only=True)
    call = serializers.IntegerField(source="application.call_id", read_only=True)
    reviewer = serializers.SerializerMethodField()
    scores = serializers.SerializerMethodField()
    available_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = [
            "id",
            "application",
            "application_title",
            "call",
            "reviewer",
            "state",
            "due_at",
            "assigned_at",
            "declared_at",
            "conflict_reason",
            "conflict_late",
            "recommendation",
            "overall_comment",
            "weighted_total",
            "submitted_at",
            "returned_comment",
            "scores",
            "available_transitions",
        ]
        read_only_fields = fields

    def _user(self):
        return self.context["request"].user

    def _manager(self, review) -> bool:
        cache = self.context.setdefault("_managed", {})  # type: ignore[attr-defined]
        key = review.application.call.programme_id
        if key not in cache:
            cache[key] = _is_manager_of(self._user(), review.application.call)
        return cache[key]

    def get_reviewer(self, review) -> dict:
        if self._manager(review) or review.reviewer_id == self._user().pk:
            return {"id": review.reviewer_id, "name": review.reviewer.get_full_name(), "email": review.reviewer.email}
        return {}

    def get_scores(self, review) -> list[dict]:
        own = review.reviewer_id == self._user().pk
        if (own and review.state in (ReviewState.ACCEPTED, ReviewState.RETURNED, ReviewState.SUBMITTED)) or (
            self._manager(review) and review.state in (ReviewState.SUBMITTED, ReviewState.RETURNED)
        ):
            return [
                {
                    "criterion": s.criterion_id,
                    "criterion_name": str(s.criterion),
                    "score": None if s.score is None else str(s.score),
                    "comment": s.comment,
                }
                for s in sorted(review.scores.all(), key=lambda s: s.criterion.position)
            ]
        return []

    def get_available_transitions(self, review) -> list[str]:
        user = self._user()
        out = []
        if review.reviewer_id == user.pk:
            if review.state == ReviewState.ASSIGNED:
                out += ["declare_no_conflict", "declare_conflict"]
            elif review.state in (ReviewState.ACCEPTED, ReviewState.RETURNED):
                out += ["save", "submit", "declare_conflict"]
            elif review.state == ReviewState.SUBMITTED:
                out.append("declare_conflict")  # a conflict found after submitting withdraws the score
        if (
            review.state == ReviewState.SUBMITTED
            and self._manager(review)
            and review.application.state in (ApplicationState.UNDER_REVIEW, ApplicationState.REVIEWED)
        ):
            out.append("return_for_revision")
        if review.state in (ReviewState.ASSIGNED, ReviewState.ACCEPTED, ReviewState.RETURNED) and self._manager(review):
            out.append("extend")
        return out

    def to_representation(self, review):
        data = super().to_representation(review)
        if not self._manager(review):
            data.pop("conflict_reason", None)
        return data


def _reviews_queryset(user):
    scores = Prefetch("scores", queryset=Score.objects.select_related("criterion"))
    return selectors.review_list_visible(user).prefetch_related(scores).order_by("due_at", "pk")


class ReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Reviews the caller may see: their own (never conflicted ones) and, for programme managers,
    every review in their programmes. Filter with `?call=` and `?state=`."""

    pagination_class = AuditedListPagination  # rows come and go through audited use cases

    serializer_class = ReviewSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Review.objects.none()
        qs = _reviews_queryset(self.request.user)
        if self.request.query_params.get("call", "").isdigit():
            qs = qs.filter(application__call_id=int(self.request.query_params["call"]))
        if self.request.query_params.get("state") in ReviewState.values:
            qs = qs.filter(state=self.request.query_params["state"])
        return qs

    def _answer(self, review_id):
        return Response(self.get_serializer(self.get_queryset().get(pk=review_id)).data)

    @extend_schema(request=None, responses=ReviewSerializer)
    @action(detail=True, methods=["post"])
    def declare_no_conflict(self, request, pk=None):
        review = self.get_object()
        services.review_declare_no_conflict(actor=request.user, review_id=review.pk)
        return self._answer(review.pk)

    @extend_schema(request=ReasonSerializer, responses=ReviewSerializer)
    @action(detail=True, methods=["post"])
    def declare_conflict(self, request, pk=None):
        review = self.get_object()
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.review_declare_conflict(actor=request.user, review_id=review.pk, reason=body.validated_data["reason"])
        # The review is no longer the reviewer's to see; managers still see it.
        found = self.get_queryset().filter(pk=review.pk).first()
        return Response(
            self.get_serializer(found).data if found else {"id": review.pk, "state": ReviewState.CONFLICTED}
        )

    @extend_schema(request=ScoresInSerializer, responses=ReviewSerializer)
    @action(detail=True, methods=["post"])
    def save(self, request, pk=None):
        """Save a draft: scores (0 to the criterion's maximum in half points), comments,
        recommendation, overall comment."""
        review = self.get_object()
        body = ScoresInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.review_save(actor=request.user, review_id=review.pk, **body.service_kwargs())
        return self._answer(review.pk)

    @extend_schema(request=ScoresInSerializer, responses=ReviewSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        review = self.get_object()
        body = ScoresInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.review_submit(actor=request.user, review_id=review.pk, **body.service_kwargs())
        return self._answer(review.pk)

    @extend_schema(request=CommentSerializer, responses=ReviewSerializer)
    @action(detail=True, methods=["post"])
    def return_for_revision(self, request, pk=None):
        review = self.get_object()
        body = CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.review_return(actor=request.user, review_id=review.pk, comment=body.validated_data["comment"])
        return self._answer(review.pk)

    @extend_schema(request=ReviewExtendSerializer, responses=ReviewSerializer)
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        """Give the reviewer more time: a new due date in the future and the reason (managers)."""
        review = self.get_object()
        body = ReviewExtendSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.review_extend(actor=request.user, review_id=review.pk, **body.validated_data)
        return self._answer(review.pk)

    @extend_schema(
        responses=inline_serializer(
            "ReviewedApplication",
            fields={
                "id": serializers.IntegerField(),
                "reference": serializers.CharField(),
                "title": serializers.CharField(),
            },
        )
    )
    @action(detail=True, methods=["get"])
    def application(self, request, pk=None):
        """The application as its reviewer reads it (after the declaration only; under blind
        review without the applicant's name, identifier, members or file names)."""
        review = self.get_object()
        if review.reviewer_id != request.user.pk or review.state not in (
            ReviewState.ACCEPTED,
            ReviewState.SUBMITTED,
            ReviewState.RETURNED,
        ):
            raise Http404
        content = selectors.review_application_content(review)
        app = content["application"]
        data = {
            "id": app.pk,
            "reference": app.reference,
            "title": app.title,
            "summary": app.summary,
            "requested_amount": _decimal(app.requested_amount),
            "cofinancing_amount": _decimal(app.cofinancing_amount),
            "currency": str(app.call.envelope.currency),
            "duration_months": app.duration_months,
            "answers": [{"question": str(q), "answer": a} for q, a in content["answers"]],
            "budget_lines": [
                {
                    "heading": str(line.heading),
                    "description": line.description,
                    "units": str(line.units),
                    "unit_cost": str(line.unit_cost),
                    "total": str(line.total),
                }
                for line in content["budget_lines"]
            ],
            "attachments": [
                {
                    "number": a["number"],
                    "name": a["name"] or _("Attachment %(n)s") % {"n": a["number"]},
                    "size": a["size"],
                    "url": f"/reviews/{review.pk}/attachments/{a['number']}/",
                }
                for a in content["attachments"]
            ],
            "blind_review": content["blind"],
        }
        if not content["blind"]:
            org = app.organisation
            data["organisation"] = {
                "legal_name": org.legal_name,
                "registration_id": org.registration_id,
                "country": org.country,
            }
        return Response(data)


class AssignmentSerializer(ReviewSerializer):
    # The review's state (assigned, accepted, conflicted, submitted, returned); one enum in the
    # schema, named after Review.
    state = serializers.CharField(read_only=True)

    class Meta(ReviewSerializer.Meta):
        fields = [
            "id",
            "application",
            "application_title",
            "call",
            "reviewer",
            "state",
            "due_at",
            "assigned_at",
            "declared_at",
            "conflict_reason",
            "available_transitions",
        ]
        read_only_fields = fields


class AssignInSerializer(TextCleaning, serializers.Serializer):
    application = serializers.IntegerField()
    reviewer = serializers.IntegerField()


class AutoAssignInSerializer(TextCleaning, serializers.Serializer):
    call = serializers.IntegerField()


class AssignmentViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Who reviews what. Managers assign by hand (`POST`) or automatically (`POST auto/`)
    and follow progress per reviewer (`GET progress/?call=`)."""

    pagination_class = AuditedListPagination  # rows come and go through audited use cases

    serializer_class = AssignmentSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Review.objects.none()
        qs = _reviews_queryset(self.request.user)
        if self.request.query_params.get("call", "").isdigit():
            qs = qs.filter(application__call_id=int(self.request.query_params["call"]))
        return qs

    @extend_schema(request=AssignInSerializer, responses={201: AssignmentSerializer})
    def create(self, request):
        body = AssignInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        application = selectors.application_get_visible(request.user, body.validated_data["application"])
        review = services.review_assign(
            actor=request.user, application_id=application.pk, reviewer_id=body.validated_data["reviewer"]
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=review.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=AutoAssignInSerializer,
        responses=inline_serializer(
            "AutoAssignment",
            fields={
                "created": serializers.ListField(child=serializers.IntegerField()),
                "short": serializers.ListField(child=serializers.DictField()),
            },
        ),
    )
    @action(detail=False, methods=["post"])
    def auto(self, request):
        body = AutoAssignInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        call = Call.objects.filter(pk=body.validated_data["call"]).first()
        if call is None:
            raise Http404
        if not _is_manager_of(request.user, call):
            raise PermissionDenied
        result = services.reviews_assign_auto(actor=request.user, call_id=call.pk)
        return Response(
            {
                "created": [r.pk for r in result.created],
                "short": [{"application": a.pk, "missing": n} for a, n in result.short],
            }
        )

    @extend_schema(
        parameters=[OpenApiParameter("call", OpenApiTypes.INT, OpenApiParameter.QUERY, required=True)],
        responses=inline_serializer(
            "ReviewerProgress",
            many=True,
            fields={
                "reviewer": serializers.IntegerField(),
                "name": serializers.CharField(),
                "waiting": serializers.IntegerField(),
                "in_progress": serializers.IntegerField(),
                "submitted": serializers.IntegerField(),
                "conflicted": serializers.IntegerField(),
                "overdue": serializers.IntegerField(),
            },
        ),
    )
    @action(detail=False, methods=["get"])
    def progress(self, request):
        call_id = request.query_params.get("call", "")
        if not call_id.isdigit():
            return Response({"call": [_("Name the call: ?call=<id>.")]}, status=status.HTTP_400_BAD_REQUEST)
        call = selectors.call_get_managed(request.user, int(call_id))
        page = self.paginate_queryset(selectors.reviewer_progress_current(call))  # one page per call's reviewers
        return self.get_paginated_response(
            [
                {
                    "reviewer": p["reviewer_id"],
                    "name": p["reviewer__full_name"] or p["reviewer__email"],
                    "waiting": p["waiting"],
                    "in_progress": p["in_progress"],
                    "submitted": p["submitted"],
                    "conflicted": p["conflicted"],
                    "overdue": p["overdue"],
                }
                for p in page
            ]
        )

    progress.paginated = True  # type: ignore[attr-defined]  # one page per call's reviewers (core.api.schema)


class ReviewerSerializer(TextCleaning, serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField()
    full_name = serializers.CharField(required=False, allow_blank=True)
    programme = serializers.IntegerField(write_only=True)
    expertise = serializers.ListField(child=serializers.CharField(), required=False)
    languages = serializers.ListField(child=serializers.CharField(), required=False)
    countries = serializers.ListField(child=serializers.CharField(), required=False)
    active = serializers.BooleanField(read_only=True)
    open_reviews = serializers.IntegerField(read_only=True)

    def to_representation(self, user):
        profile = getattr(user, "reviewer_profile", None)
        return {
            "id": user.pk,
            "email": user.email,
            "full_name": user.full_name,
            "expertise": profile.expertise if profile else [],
            "languages": profile.languages if profile else [],
            "countries": profile.countries if profile else [],
            "active": profile.active if profile else True,
            "open_reviews": getattr(user, "open_reviews", None),
        }


class ReviewerViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The reviewer pools of the programmes the caller manages; `POST` invites by e-mail."""

    pagination_class = AuditedListPagination  # rows come and go through audited use cases

    serializer_class = ReviewerSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return get_user_model().objects.none()
        return selectors.reviewer_pool(selectors.programme_list_managed(self.request.user).values("pk"))

    def create(self, request):
        body = ReviewerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        user = services.reviewer_invite(
            actor=request.user,
            programme_id=data["programme"],
            email=data["email"],
            full_name=data.get("full_name", ""),
            expertise=data.get("expertise", []),
            languages=data.get("languages", []),
            countries=data.get("countries", []),
        )
        return Response(ReviewerSerializer(self.get_queryset().get(pk=user.pk)).data, status=status.HTTP_201_CREATED)
