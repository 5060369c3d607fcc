from django.urls import path

from yanxiu.learning import views

app_name = "learning"
urlpatterns = [
    path("", views.center, name="center"),
    path("manage/periods/<int:period_id>/recompute/", views.recompute, name="recompute"),
    path("heartbeat", views.heartbeat, name="heartbeat"),
    path("e/<int:enrolment_id>/", views.course, name="course"),
    path("e/<int:enrolment_id>/a/<int:activity_id>/", views.activity, name="activity"),
    path("e/<int:enrolment_id>/a/<int:activity_id>/play", views.play, name="play"),
    path("e/<int:enrolment_id>/a/<int:activity_id>/complete", views.complete, name="complete"),
    path(
        "e/<int:enrolment_id>/a/<int:activity_id>/checkpoints/<int:checkpoint_id>/",
        views.checkpoint,
        name="checkpoint",
    ),
]
