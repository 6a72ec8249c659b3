"""The oversight pages, included at the root by regulator/urls.py (URL names kept without a namespace)."""

from django.urls import path

from . import views, views_queue

urlpatterns = [
    path("queue/", views_queue.queue, name="queue"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("ledger/<slug:kind>/", views.ledger, name="ledger"),
    path("ledger/<slug:kind>/export.xlsx", views.export_ledger, name="export_ledger"),
    path("weekly/", views.weekly_list, name="weekly_list"),
    path("weekly/status/", views.weekly_status, name="weekly_status"),
    path("weekly/generate/", views.weekly_generate, name="weekly_generate"),
    path("weekly/<id:pk>/", views.weekly_detail, name="weekly_detail"),
    path("weekly/<id:pk>/do/<slug:action>/", views.weekly_action, name="weekly_action"),
    path("weekly/<id:pk>/<slug:fmt>/", views.weekly_file, name="weekly_file"),
]
