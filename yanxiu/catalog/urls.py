from django.urls import path

from yanxiu.catalog import views

app_name = "catalog"
urlpatterns = [
    path("", views.course_list, name="course_list"),
    path("new/", views.course_create, name="course_create"),
    path("<int:course_id>/", views.course_structure, name="course_structure"),
    path("<int:course_id>/edit/", views.course_edit, name="course_edit"),
    path("<int:course_id>/publish/", views.course_publish, name="course_publish"),
    path("<int:course_id>/retire/", views.course_retire, name="course_retire"),
    path("<int:course_id>/chapters/new/", views.chapter_create, name="chapter_create"),
    path("chapters/<int:chapter_id>/rename/", views.chapter_rename, name="chapter_rename"),
    path("chapters/<int:chapter_id>/delete/", views.chapter_delete, name="chapter_delete"),
    path("chapters/<int:chapter_id>/move/", views.chapter_move, name="chapter_move"),
    path("chapters/<int:chapter_id>/activities/new/", views.activity_create, name="activity_create"),
    path("activities/<int:activity_id>/", views.activity_edit, name="activity_edit"),
    path("activities/<int:activity_id>/media-status/", views.activity_media_status, name="activity_media_status"),
    path("activities/<int:activity_id>/delete/", views.activity_delete, name="activity_delete"),
    path("activities/<int:activity_id>/move/", views.activity_move, name="activity_move"),
    path("activities/<int:activity_id>/download/", views.activity_download, name="activity_download"),
    path("activities/<int:activity_id>/checkpoints/new/", views.checkpoint_create, name="checkpoint_create"),
    path("checkpoints/<int:checkpoint_id>/", views.checkpoint_edit, name="checkpoint_edit"),
    path("checkpoints/<int:checkpoint_id>/delete/", views.checkpoint_delete, name="checkpoint_delete"),
]
