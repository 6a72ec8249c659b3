from django.urls import path

from . import views

app_name = "inspections"

urlpatterns = [
    path("", views.home, name="home"),
    path("today/", views.today, name="today"),
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/draw/", views.draw_create, name="draw_create"),
    path("draws/<int:pk>/", views.draw_detail, name="draw_detail"),
    path("draws/<int:pk>/publish/", views.draw_publish, name="draw_publish"),
    path("visits/new/", views.visit_create, name="visit_create"),
    path("visits/<int:pk>/", views.visit_detail, name="visit_detail"),
    path("visits/<int:pk>/start/", views.visit_start, name="visit_start"),
    path("visits/<int:pk>/answer/", views.answer_save, name="answer_save"),
    path("visits/<int:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("visits/<int:pk>/signature/", views.signature_save, name="signature_save"),
    path("visits/<int:pk>/submit/", views.visit_submit, name="visit_submit"),
    path("visits/<int:pk>/amend/", views.visit_amend, name="visit_amend"),
    path("visits/<int:pk>/outcome/", views.visit_outcome, name="visit_outcome"),
    path("visits/<int:pk>/reinspection/", views.reinspection_create, name="reinspection_create"),
    path("evidence/<int:pk>/", views.evidence_file, name="evidence_file"),
]
