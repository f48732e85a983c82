from django.urls import path

from grants.agreements import views as agreements_views
from grants.disbursement import views as disbursement_views

app_name = "grants"
urlpatterns = [
    path("grants/", agreements_views.grant_list, name="grant_list"),
    path("grants/new/<int:application_id>/", disbursement_views.grant_create, name="grant_create"),
    path("grants/<int:pk>/", disbursement_views.grant_detail, name="grant_detail"),
    path("grants/<int:pk>/edit/", agreements_views.grant_edit, name="grant_edit"),
    path("grants/<int:pk>/publication/", agreements_views.grant_publication, name="grant_publication"),
    path("grants/<int:pk>/budget/", agreements_views.grant_budget_change, name="grant_budget_change"),
    path("grants/<int:pk>/sign/", disbursement_views.grant_sign, name="grant_sign"),
    path("grants/<int:pk>/agreement.pdf", agreements_views.grant_document, name="grant_document"),
    path("grants/<int:pk>/check-conditions/", disbursement_views.grant_check_conditions, name="grant_check_conditions"),
    # Explicit paths (not a catch-all): other parts hang their own pages under /grants/<pk>/.
    *[
        path(
            f"grants/<int:pk>/{action}/",
            disbursement_views.grant_transition,
            {"action": action},
            name=f"grant_{action}",
        )
        for action in ("suspend", "resume", "terminate", "close")
    ],
    *[
        path(
            f"amendments/<int:pk>/{decision}/",
            agreements_views.amendment_decide,
            {"decision": decision},
            name=f"amendment_{decision}",
        )
        for decision in ("approve", "reject")
    ],
    path("tranches/<int:pk>/approve/", disbursement_views.tranche_approve, name="tranche_approve"),
    path("tranches/<int:pk>/pay/", disbursement_views.payment_create, name="payment_create"),
    path("finance/", disbursement_views.finance_overview, name="finance_overview"),
    path("finance/exchange-rates/", disbursement_views.exchange_rates, name="exchange_rates"),
]
