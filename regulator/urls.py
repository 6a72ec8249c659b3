from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views, views_oversight, views_queue

handler403 = "regulator.views.forbidden"
handler404 = "regulator.views.not_found"
handler500 = "regulator.views.server_error"

admin.site.site_header = settings.SITE_TITLE
admin.site.site_title = settings.SITE_TITLE

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("register/", include("institutions.urls")),
    path("inspections/", include("inspections.urls")),
    path("penalties/", include("penalties.urls")),
    path("", include("publicity.urls")),
    path("queue/", views_queue.queue, name="queue"),
    path("dashboard/", views_oversight.dashboard, name="dashboard"),
    path("ledger/<slug:kind>/", views_oversight.ledger, name="ledger"),
    path("ledger/<slug:kind>/export.xlsx", views_oversight.export_ledger, name="export_ledger"),
    path("weekly/", views_oversight.weekly_list, name="weekly_list"),
    path("weekly/status/", views_oversight.weekly_status, name="weekly_status"),
    path("weekly/generate/", views_oversight.weekly_generate, name="weekly_generate"),
    path("weekly/<int:pk>/", views_oversight.weekly_detail, name="weekly_detail"),
    path("weekly/<int:pk>/<slug:fmt>/", views_oversight.weekly_file, name="weekly_file"),
    path("verify/", views.verify_lookup, name="verify_lookup"),
    path("verify/<str:token>/", views.verify_document, name="verify"),
    path("admin/", admin.site.urls),
]
