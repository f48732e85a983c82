"""Pages of independent review and selection."""

from django.urls import path

from applications.review import views

app_name = "reviews"
urlpatterns = [
    path("reviews/", views.review_home, name="review_home"),
    path("reviews/<int:pk>/", views.review_detail, name="review_detail"),
    path("reviews/<int:pk>/declare/", views.review_declare, name="review_declare"),
    path("reviews/<int:pk>/attachments/<int:number>/", views.review_attachment_download, name="review_attachment"),
    path("reviews/<int:pk>/return/", views.review_return, name="review_return"),
    path("reviews/<int:pk>/extend/", views.review_extend, name="review_extend"),
    path("reviews/pool/", views.reviewer_pool, name="reviewer_pool"),
    path("reviews/pool/<int:user_id>/active/", views.reviewer_pool_active, name="reviewer_pool_active"),
    path("reviews/calls/<int:call_id>/", views.review_call_assignments, name="review_call_assignments"),
    path("reviews/calls/<int:call_id>/assign/", views.review_call_assign_auto, name="review_call_assign_auto"),
    path(
        "reviews/calls/<int:call_id>/assign-selected/",
        views.review_call_assign_selected,
        name="review_call_assign_selected",
    ),
    path("reviews/calls/<int:call_id>/ranking/", views.review_ranking, name="review_ranking"),
    path("reviews/calls/<int:call_id>/shortlist/", views.review_shortlist, name="review_shortlist"),
    path(
        "reviews/calls/<int:call_id>/decide-down/", views.review_ranking_decide_down, name="review_ranking_decide_down"
    ),
    path("reviews/calls/<int:call_id>/close/", views.review_selection_close, name="review_selection_close"),
    path("reviews/applications/<int:pk>/", views.review_application, name="review_application"),
    path(
        "reviews/applications/<int:pk>/reviewers.json",
        views.review_application_reviewers,
        name="review_application_reviewers",
    ),
    path("reviews/applications/<int:pk>/assign/", views.review_application_assign, name="review_application_assign"),
    path(
        "reviews/applications/<int:pk>/consensus/",
        views.review_application_consensus,
        name="review_application_consensus",
    ),
    path("reviews/applications/<int:pk>/decide/", views.review_application_decide, name="review_application_decide"),
    path("reviews/feedback/<int:pk>/", views.review_feedback, name="review_feedback"),
]
