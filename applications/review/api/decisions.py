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
from applications.review.ranking import call_ranking, ranking_titles
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


@extend_schema(parameters=ID_PATH)
class RankingViewSet(viewsets.ViewSet):
    """The ranking of a call, for the programme's managers (404 for anyone else)."""

    serializer_class = None

    def _page(self, items, param):
        raw = self.request.query_params.get(param, "1")
        page = int(raw) if raw.isdigit() and int(raw) > 0 else 1
        start = (page - 1) * RANKING_PAGE_SIZE
        return {
            "count": len(items),
            "page": page,
            "page_size": RANKING_PAGE_SIZE,
            "results": items[start : start + RANKING_PAGE_SIZE],
        }

    @extend_schema(responses=inline_serializer("Ranking", fields={"call": serializers.IntegerField()}))
    def retrieve(self, request, pk=None):
        call = selectors.call_get_managed(request.user, pk)
        rubric, ranking = call_ranking(call)
        fundable = self._page(ranking.fundable, "page")
        not_fundable = self._page(ranking.not_fundable, "npage")
        ranking_titles([*fundable["results"], *not_fundable["results"]])
        return Response(
            {
                "call": call.pk,
                "state": call.state,
                "currency": str(call.envelope.currency),
                "envelope": _decimal(call.envelope.amount),
                "awarded_total": _decimal(call.awarded_total),
                "available": _decimal(ranking.available),
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
                "cutoff_rank": ranking.cutoff + 1 if ranking.cutoff is not None else None,
                "fundable": {**fundable, "results": [assessment_data(a) for a in fundable["results"]]},
                "not_fundable": {
                    **not_fundable,
                    "results": [assessment_data(a, False) for a in not_fundable["results"]],
                },
                "pending": len(ranking.pending),
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
