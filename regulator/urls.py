from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import observability, views

handler400 = "regulator.views.bad_request"
handler403 = "regulator.views.forbidden"
handler404 = "regulator.views.not_found"
handler500 = "regulator.views.server_error"

admin.site.site_header = settings.SITE_TITLE
admin.site.site_title = settings.SITE_TITLE

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("register/", include("institutions.urls")),
    path("funds/", include("institutions.funds.urls")),
    path("inspections/", include("inspections.urls")),
    path("penalties/", include("penalties.urls")),
    # open data v1 (publicity/api.py); its OpenAPI document is /public/openapi.json
    path("public/api/v1/", include("publicity.api_urls")),
    path("", include("publicity.urls")),
    path("", include("regulator.oversight.urls")),  # queue/, dashboard/, ledger/, weekly/ (names not namespaced)
    path("verify/", views.verify_lookup, name="verify_lookup"),
    path("verify/<str:token>/", views.verify_document, name="verify"),
    path("admin/", admin.site.urls),
    # For the load balancer and the monitoring host only (regulator/observability.py); a 404 to anyone else.
    path("healthz", observability.healthz, name="healthz"),
    path("readyz", observability.readyz, name="readyz"),
    path("metrics", observability.metrics, name="metrics"),
]
