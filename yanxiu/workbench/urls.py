from django.urls import path

from yanxiu.workbench import views

app_name = "workbench"
urlpatterns = [
    path("", views.home, name="home"),
    path("workbench/<slug:role>/", views.workbench, name="workbench"),
]
