from django.contrib import admin
from django.urls import include, path

from yanxiu.api.api import api
from yanxiu.core import views as core_views

admin.site.site_header = "研修平台 系统管理"
admin.site.site_title = "研修平台"

urlpatterns = [
    path("", include("yanxiu.workbench.urls")),
    path("accounts/", include("yanxiu.accounts.urls")),
    path("org/", include("yanxiu.org.urls")),
    path("catalog/", include("yanxiu.catalog.urls")),
    path("media/", include("yanxiu.catalog.media_urls")),
    path("learn/", include("yanxiu.learning.urls")),
    path("training/", include("yanxiu.training.urls")),
    path("api/v1/", api.urls),
    path("healthz", core_views.healthz, name="healthz"),
    path("sysadmin/", admin.site.urls),
]

handler400 = "yanxiu.core.views.bad_request"
handler403 = "yanxiu.core.views.permission_denied"
handler404 = "yanxiu.core.views.page_not_found"
handler500 = "yanxiu.core.views.server_error"
