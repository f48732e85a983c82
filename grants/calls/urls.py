from django.urls import path

from grants.calls import views
from grants.calls.form import views as form_views

app_name = "calls"
urlpatterns = [
    path("manage/calls/", views.manage_calls, name="manage_calls"),
    path("calls/alerts/", views.call_alerts, name="call_alerts"),
    path("manage/programmes/new/", views.programme_create, name="programme_create"),
    path("manage/programmes/<int:pk>/edit/", views.programme_edit, name="programme_edit"),
    path("manage/programmes/<int:pk>/indicators/", views.programme_indicators, name="programme_indicators"),
    path(
        "manage/programmes/<int:pk>/indicators/<int:indicator_pk>/",
        views.programme_indicators,
        name="programme_indicator_edit",
    ),
    path("manage/programmes/<int:pk>/team/", views.programme_team, name="programme_team"),
    path("manage/programmes/<int:pk>/texts/", views.programme_texts, name="programme_texts"),
    path(
        "manage/programmes/<int:pk>/team/<int:role_id>/change/",
        views.programme_team_change,
        name="programme_team_change",
    ),
    path("manage/programmes/<int:pk>/team/<int:role_id>/end/", views.programme_team_end, name="programme_team_end"),
    path("manage/programmes/<int:programme_pk>/calls/new/", views.call_create, name="call_create"),
    path("manage/calls/<int:pk>/edit/", views.call_edit, name="call_edit"),
    path("manage/calls/<int:pk>/template/", views.call_template, name="call_template"),
    path("manage/calls/<int:pk>/texts/", views.call_texts, name="call_texts"),
    path("manage/calls/<int:pk>/copy/", views.call_copy, name="call_copy"),
    path("manage/calls/<int:pk>/form/", form_views.form_builder, name="form_builder"),
    path("manage/calls/<int:pk>/checklist/", form_views.call_checklist, name="call_checklist"),
    path("manage/calls/<int:pk>/form/preview/", form_views.form_preview, name="form_preview"),
    path("manage/calls/<int:pk>/form/sections/new/", form_views.form_section, name="form_section_add"),
    path("manage/calls/<int:pk>/form/sections/<int:section_pk>/", form_views.form_section, name="form_section"),
    path(
        "manage/calls/<int:pk>/form/sections/<int:section_pk>/move/",
        form_views.form_section_move,
        name="form_section_move",
    ),
    path(
        "manage/calls/<int:pk>/form/sections/<int:section_pk>/delete/",
        form_views.form_section_delete,
        name="form_section_delete",
    ),
    path("manage/calls/<int:pk>/form/questions/new/", form_views.form_question, name="form_question_add"),
    path("manage/calls/<int:pk>/form/questions/<int:question_pk>/", form_views.form_question, name="form_question"),
    path(
        "manage/calls/<int:pk>/form/questions/<int:question_pk>/move/",
        form_views.form_question_move,
        name="form_question_move",
    ),
    path(
        "manage/calls/<int:pk>/form/questions/<int:question_pk>/duplicate/",
        form_views.form_question_duplicate,
        name="form_question_duplicate",
    ),
    path(
        "manage/calls/<int:pk>/form/questions/<int:question_pk>/delete/",
        form_views.form_question_delete,
        name="form_question_delete",
    ),
    path("manage/calls/<int:pk>/publish/", views.call_publish, name="call_publish"),
    path("manage/calls/<int:pk>/cancel/", views.call_cancel, name="call_cancel"),
]
