from django.urls import path

from yanxiu.org import views

app_name = "org"
urlpatterns = [
    path("teachers/", views.teacher_list, name="teacher_list"),
    path("teachers/new/", views.teacher_create, name="teacher_create"),
    path("teachers/export.xlsx", views.teacher_export, name="teacher_export"),
    path("teachers/<int:teacher_id>/", views.teacher_detail, name="teacher_detail"),
    path("teachers/<int:teacher_id>/password/", views.teacher_issue_password, name="teacher_issue_password"),
    path("imports/new/", views.roster_upload, name="roster_upload"),
    path("imports/<int:job_id>/", views.roster_import, name="roster_import"),
    path("imports/<int:job_id>/errors.xlsx", views.roster_import_errors, name="roster_import_errors"),
    path("imports/<int:job_id>/confirm/", views.roster_import_confirm, name="roster_import_confirm"),
    path("imports/<int:job_id>/cancel/", views.roster_import_cancel, name="roster_import_cancel"),
    path("schools/", views.school_list, name="school_list"),
    path("schools/new/", views.school_create, name="school_create"),
    path("schools/<int:school_id>/", views.school_edit, name="school_edit"),
]
