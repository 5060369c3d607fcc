"""/media/hls/, /media/viewer/ and /media/covers/ served by Django when SERVE_MEDIA is on (make run);
nginx serves them in production."""

from django.urls import path

from yanxiu.catalog import views

urlpatterns = [path("<path:path>", views.serve_media, name="media")]
