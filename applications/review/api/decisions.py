"""API of independent review and selection: reviews (declarations, scores), assignments,
the reviewer pool, rankings and decisions. Same selectors and services as the pages:
404 when the caller may not see the object, 403 when their role forbids the act, 409 when
the state does."""

from django.core.exceptions import PermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from applications.models import Application, ApplicationState
from applications.review import selectors, services
from applications.review.api.reviews import _decimal
from applications.review.ranking import call_ranking
from applications.visibility import application_is_manager
from core.api.cleaning import TextCleaning
from core.api.fields import AmountField

RANKING_PAGE_SIZE = 50


def assessment_data(a, with_rank=True) -> dict:
    data = {
        "application": a.id,
        "reference": a.row.reference,
        "title": a.row.title,
        "state": a.row.state,
        "score": _decimal(a.score),
        "mean_total": _decimal(a.mean_total),
        "consensus": a.consensus,
        "criterion_means": [_decimal(m) for m in a.criterion_means],
        "reviews_submitted": a.row.submitted,
        "reviews_pending": a.row.pending,
        "divergence": _decimal(a.divergence),
        "divergent": a.divergent,
        "needs_attention": a.needs_attention,
        "fundable": a.fundable,
        "reasons": a.reasons,
        "requested_amount": _decimal(a.row.requested),
        "awarded_amount": _decimal(a.row.awarded),
    }
    if with_rank:
        data.update(rank=a.rank, running_total=_decimal(a.running_total), within_envelope=a.within_envelope)
    return data


ID_PATH = [OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)]


DECISION_OUT = inline_serializer(
    "Decision",
    fields={
        "id": serializers.IntegerField(),
        "state": serializers.CharField(),
        "available_transitions": serializers.ListField(child=serializers.CharField()),
    },
)


class AssessmentSerializer(serializers.Serializer):
    """One application as the ranking's rules assess it (decimals as strings, to the cent)."""

    application = serializers.IntegerField()
    reference = serializers.CharField(allow_null=True)
    title = serializers.CharField()
    state = serializers.CharField()
    score = serializers.CharField(allow_null=True, help_text="The consensus score if recorded, else the mean.")
    mean_total = serializers.CharField(allow_null=True, help_text="Mean of the reviewers' weighted totals.")
    consensus = serializers.BooleanField()
    criterion_means = serializers.ListField(child=serializers.CharField(allow_null=True))
    reviews_submitted = serializers.IntegerField()
    reviews_pending = serializers.IntegerField()
    divergence = serializers.CharField(allow_null=True)
    divergent = serializers.BooleanField()
    needs_attention = serializers.BooleanField(help_text="Divergent and no consensus score recorded.")
    fundable = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField(), help_text="Why it is not fundable.")
    requested_amount = serializers.CharField(allow_null=True)
    awarded_amount = serializers.CharField(allow_null=True)


class RankedSerializer(AssessmentSerializer):
    rank = serializers.IntegerField()
    running_total = serializers.CharField(
        allow_null=True, help_text="Undecided requests down to this rank; null for a decided application."
    )
    within_envelope = serializers.BooleanField()


class RankingPageSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Applications in this list, all pages.")
    page = serializers.IntegerField(help_text="The page returned (the last one when a later page is asked).")
    num_pages = serializers.IntegerField()
    page_size = serializers.IntegerField()
    results = RankedSerializer(many=True)


class NotFundablePageSerializer(RankingPageSerializer):
    results = AssessmentSerializer(many=True)  # type: ignore[assignment]


class RankingCriterionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    max_score = serializers.CharField()
    weight = serializers.CharField()
    minimum = serializers.CharField()


class RankingSerializer(serializers.Serializer):
    call = serializers.IntegerField()
    state = serializers.CharField()
    currency = serializers.CharField()
    envelope = serializers.CharField()
    awarded_total = serializers.CharField()
    available = serializers.CharField(help_text="What is left of the envelope.")
    overall_threshold = serializers.CharField()
    divergence_threshold = serializers.CharField()
    criteria = RankingCriterionSerializer(many=True)
    cutoff_rank = serializers.IntegerField(
        allow_null=True, help_text="The first rank below the envelope's cut-off line; null when every request fits."
    )
    cutoff_page = serializers.IntegerField(allow_null=True, help_text="The page of `fundable` that rank is on.")
    within_total = serializers.CharField(help_text="Undecided requests above the line.")
    fundable = RankingPageSerializer()
    not_fundable = NotFundablePageSerializer()
    pending = serializers.IntegerField(help_text="Applications still under review or without a submitted review.")
    flagged = serializers.IntegerField(help_text="Divergent without a consensus score.")
    available_transitions = serializers.ListField(child=serializers.CharField())


PAGES = [
    OpenApiParameter(
        "page", OpenApiTypes.INT, OpenApiParameter.QUERY, description="Page of the fundable applications (50 a page)."
    ),
    OpenApiParameter(
        "npage", OpenApiTypes.INT, OpenApiParameter.QUERY, description="Page of the applications not fundable."
    ),
]


def _page(page) -> dict:
    return {
        "count": page.paginator.count,
        "page": page.number,
        "num_pages": page.paginator.num_pages,
        "page_size": RANKING_PAGE_SIZE,
    }


@extend_schema(parameters=ID_PATH)
class RankingViewSet(viewsets.ViewSet):
    """The ranking of a call, for the programme's managers (404 for anyone else): one page of the
    fundable applications in rank order with the running total and the envelope's cut-off, one
    page of those not fundable with the reasons, and the counts."""

    serializer_class = None

    @extend_schema(parameters=PAGES, responses=RankingSerializer)
    def retrieve(self, request, pk=None):
        call = selectors.call_get_managed(request.user, pk)
        rubric, ranking = call_ranking(
            call, page=request.query_params.get("page"), npage=request.query_params.get("npage"), size=RANKING_PAGE_SIZE
        )
        summary = ranking.summary
        cutoff = summary.cutoff_rank
        return Response(
            {
                "call": call.pk,
                "state": call.state,
                "currency": str(call.envelope.currency),
                "envelope": _decimal(call.envelope.amount),
                "awarded_total": _decimal(call.awarded_total),
                "available": _decimal(summary.available),
                "overall_threshold": _decimal(call.overall_threshold),
                "divergence_threshold": _decimal(call.divergence_threshold),
                "criteria": [
                    {
                        "id": c.id,
                        "name": c.name,
                        "max_score": str(c.max_score),
                        "weight": str(c.weight),
                        "minimum": str(c.minimum),
                    }
                    for c in rubric
                ],
                "cutoff_rank": cutoff,
                "cutoff_page": (cutoff - 1) // RANKING_PAGE_SIZE + 1 if cutoff else None,
                "within_total": _decimal(summary.within_total),
                "fundable": {
                    **_page(ranking.fundable),
                    "results": [assessment_data(a) for a in ranking.fundable.object_list],
                },
                "not_fundable": {
                    **_page(ranking.not_fundable),
                    "results": [assessment_data(a, False) for a in ranking.not_fundable.object_list],
                },
                "pending": summary.pending,
                "flagged": summary.flagged,
                "available_transitions": ["decide_down", "close_selection"] if call.state == "reviewing" else [],
            }
        )

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "DecidedDown",
            fields={
                "awarded": serializers.ListField(child=serializers.IntegerField()),
                "reserved": serializers.ListField(child=serializers.IntegerField()),
                "rejected": serializers.ListField(child=serializers.IntegerField()),
            },
        ),
    )
    @action(detail=True, methods=["post"])
    def decide_down(self, request, pk=None):
        call = selectors.call_get_managed(request.user, pk)
        done = services.ranking_decide_down(actor=request.user, call_id=call.pk)
        return Response({"awarded": done.awarded, "reserved": done.reserved, "rejected": done.rejected})

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "SelectionClosed", fields={"call": serializers.IntegerField(), "state": serializers.CharField()}
        ),
    )
    @action(detail=True, methods=["post"])
    def close_selection(self, request, pk=None):
        call = selectors.call_get_managed(request.user, pk)
        call = services.selection_close(actor=request.user, call_id=call.pk)
        return Response({"call": call.pk, "state": call.state})


class DecisionInSerializer(TextCleaning, serializers.Serializer):
    amount = AmountField(required=False, allow_null=True)
    note = serializers.CharField(allow_blank=True, required=False, default="")


class ConsensusInSerializer(TextCleaning, serializers.Serializer):
    score = serializers.DecimalField(max_digits=7, decimal_places=2)
    justification = serializers.CharField(allow_blank=True)


@extend_schema(parameters=ID_PATH)
class DecisionViewSet(viewsets.ViewSet):
    """The decision on an application: its aggregated assessment and the transitions award,
    put_on_reserve, reject; record_consensus before the decision."""

    serializer_class = None

    def _application(self, pk) -> Application:
        application = selectors.application_get_visible(self.request.user, pk)  # 404
        if not application_is_manager(self.request.user, application):
            raise PermissionDenied  # 403
        return application

    def _answer(self, pk):
        application = Application.objects.select_related("call").get(pk=pk)
        _rubric, assessment = services.application_assessment(application)
        transitions = []
        if application.state == ApplicationState.REVIEWED:
            transitions = ["award", "put_on_reserve", "reject", "record_consensus"]
        elif application.state == ApplicationState.RESERVE:
            transitions = ["award", "reject"]
        elif application.state == ApplicationState.UNDER_REVIEW:
            transitions = ["record_consensus"]
        data = {
            "id": application.pk,
            "reference": application.reference,
            "title": application.title,
            "state": application.state,
            "available_transitions": transitions,
            "requested_amount": _decimal(application.requested_amount),
            "awarded_amount": _decimal(application.awarded_amount),
            "consensus_score": _decimal(application.consensus_score),
            "consensus_justification": application.consensus_justification,
            "decided_at": application.decided_at,
            "decision_note": application.decision_note,
            "assessment": assessment_data(assessment, False) if assessment else None,
        }
        return Response(data)

    @extend_schema(responses=DECISION_OUT)
    def retrieve(self, request, pk=None):
        return self._answer(self._application(pk).pk)

    def _decide(self, request, pk, serializer_class, run):
        """Parse the body, run one decision service, answer with the application's decision view."""
        application = self._application(pk)
        body = serializer_class(data=request.data)
        body.is_valid(raise_exception=True)
        run(application.pk, body.validated_data)
        return self._answer(application.pk)

    @extend_schema(request=DecisionInSerializer, responses=DECISION_OUT)
    @action(detail=True, methods=["post"])
    def award(self, request, pk=None):
        return self._decide(
            request,
            pk,
            DecisionInSerializer,
            lambda app_id, data: services.application_award(
                actor=request.user, application_id=app_id, amount=data.get("amount"), note=data["note"]
            ),
        )

    @extend_schema(request=DecisionInSerializer, responses=DECISION_OUT)
    @action(detail=True, methods=["post"])
    def put_on_reserve(self, request, pk=None):
        return self._decide(
            request,
            pk,
            DecisionInSerializer,
            lambda app_id, data: services.application_reserve(
                actor=request.user, application_id=app_id, note=data["note"]
            ),
        )

    @extend_schema(request=DecisionInSerializer, responses=DECISION_OUT)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(
            request,
            pk,
            DecisionInSerializer,
            lambda app_id, data: services.application_reject(
                actor=request.user, application_id=app_id, note=data["note"]
            ),
        )

    @extend_schema(request=ConsensusInSerializer, responses=DECISION_OUT)
    @action(detail=True, methods=["post"])
    def record_consensus(self, request, pk=None):
        return self._decide(
            request,
            pk,
            ConsensusInSerializer,
            lambda app_id, data: services.consensus_record(actor=request.user, application_id=app_id, **data),
        )
