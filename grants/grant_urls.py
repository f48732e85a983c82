from django.urls import path

from . import grant_views as views

urlpatterns = [
    path("grants/", views.grant_list, name="grant_list"),
    path("grants/new/<int:application_id>/", views.grant_create, name="grant_create"),
    path("grants/<int:pk>/", views.grant_detail, name="grant_detail"),
    path("grants/<int:pk>/edit/", views.grant_edit, name="grant_edit"),
    path("grants/<int:pk>/budget/", views.grant_budget_change, name="grant_budget_change"),
    path("grants/<int:pk>/sign/", views.grant_sign, name="grant_sign"),
    path("grants/<int:pk>/agreement.pdf", views.grant_document, name="grant_document"),
    path("grants/<int:pk>/check-conditions/", views.grant_check_conditions, name="grant_check_conditions"),
    # Explicit paths (not a catch-all): other parts hang their own pages under /grants/<pk>/.
    *[path(f"grants/<int:pk>/{action}/", views.grant_transition, {"action": action}, name=f"grant_{action}")
      for action in ("suspend", "resume", "terminate", "close")],
    *[path(f"amendments/<int:pk>/{decision}/", views.amendment_decide, {"decision": decision},
           name=f"amendment_{decision}") for decision in ("approve", "reject")],
    path("tranches/<int:pk>/approve/", views.tranche_approve, name="tranche_approve"),
    path("tranches/<int:pk>/pay/", views.payment_create, name="payment_create"),
    path("finance/", views.finance_overview, name="finance_overview"),
    path("finance/exchange-rates/", views.exchange_rates, name="exchange_rates"),
]
