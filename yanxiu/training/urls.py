from django.urls import path

from yanxiu.training import views

app_name = "training"
urlpatterns = [
    path("", views.project_list, name="project_list"),
    path("projects/new/", views.project_create, name="project_create"),
    path("projects/<int:project_id>/", views.project_detail, name="project_detail"),
    path("projects/<int:project_id>/periods/new/", views.period_create, name="period_create"),
    path("periods/<int:period_id>/", views.period_detail, name="period_detail"),
    path("periods/<int:period_id>/edit/", views.period_edit, name="period_edit"),
    path("periods/<int:period_id>/close/", views.period_close, name="period_close"),
    path("periods/<int:period_id>/offerings/add/", views.offering_add, name="offering_add"),
    path("periods/<int:period_id>/retakes/", views.retake_candidates, name="retake_candidates"),
    path("periods/<int:period_id>/retakes/open/", views.retakes_open, name="retakes_open"),
    path("periods/<int:period_id>/retakes/opened/", views.retake_list, name="retake_list"),
    path("periods/<int:period_id>/retakes/export.xlsx", views.retake_export, name="retake_export"),
    path("offerings/<int:offering_id>/", views.offering_detail, name="offering_detail"),
    path("offerings/<int:offering_id>/remove/", views.offering_remove, name="offering_remove"),
    path("offerings/<int:offering_id>/classes/new/", views.klass_create, name="klass_create"),
    path("offerings/<int:offering_id>/classes/split/", views.klasses_split, name="klasses_split"),
    path("offerings/<int:offering_id>/enrolments/", views.enrolment_list, name="enrolment_list"),
    path("offerings/<int:offering_id>/enrolments/export.xlsx", views.enrolment_export, name="enrolment_export"),
    path("offerings/<int:offering_id>/enrolments/rule/", views.enrolment_rule, name="enrolment_rule"),
    path("enrolments/<int:enrolment_id>/update/", views.enrolment_update, name="enrolment_update"),
    path("enrolments/<int:enrolment_id>/remove/", views.enrolment_remove, name="enrolment_remove"),
    path("classes/<int:klass_id>/", views.klass_edit, name="klass_edit"),
    path("enrolments/upload/", views.enrolment_upload, name="enrolment_upload"),
    path("enrolments/upload/confirm/", views.enrolment_upload_confirm, name="enrolment_upload_confirm"),
    path("choose/", views.choose, name="choose"),
    path("choose/<int:offering_id>/", views.choose_offering, name="choose_offering"),
    path("choose/drop/<int:enrolment_id>/", views.drop_enrolment, name="drop_enrolment"),
]
