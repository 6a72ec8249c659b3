from django.urls import path

from . import sync_api, views

app_name = "inspections"

urlpatterns = [
    path("", views.home, name="home"),
    path("today/", views.today, name="today"),
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<id:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<id:pk>/draw/", views.draw_create, name="draw_create"),
    path("draws/<id:pk>/", views.draw_detail, name="draw_detail"),
    path("draws/<id:pk>/publish/", views.draw_publish, name="draw_publish"),
    path("visits/new/", views.visit_create, name="visit_create"),
    path("visits/<id:pk>/", views.visit_detail, name="visit_detail"),
    path("visits/<id:pk>/start/", views.visit_start, name="visit_start"),
    path("visits/<id:pk>/answer/", views.answer_save, name="answer_save"),
    path("visits/<id:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("visits/<id:pk>/signature/", views.signature_save, name="signature_save"),
    path("visits/<id:pk>/submit/", views.visit_submit, name="visit_submit"),
    path("visits/<id:pk>/amend/", views.visit_amend, name="visit_amend"),
    path("visits/<id:pk>/outcome/", views.visit_outcome, name="visit_outcome"),
    path("visits/<id:pk>/reinspection/", views.reinspection_create, name="reinspection_create"),
    path("evidence/<id:pk>/", views.evidence_file, name="evidence_file"),
    # The offline visit page (issue 18): the service worker must sit under /inspections/ for its scope.
    path("sw.js", sync_api.service_worker, name="service_worker"),
    path("manifest.webmanifest", sync_api.manifest, name="manifest"),
    path("offline/", sync_api.offline_list, name="offline_list"),
    path("sync/", sync_api.mutation, name="sync"),
    path("sync/uploads/<uuid:upload_id>/", sync_api.upload_chunk, name="sync_chunk"),
]
