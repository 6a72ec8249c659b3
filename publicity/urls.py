"""Routes of publicity. Written to be mounted at the site root: staff pages under publicity/, the public
site under public/ (see the report of issue 5 for the one-line change in regulator/urls.py)."""

from django.urls import include, path, re_path

from . import views, views_public, views_publications

app_name = "publicity"

public_patterns = [
    path("", views_public.public_home, name="public_home"),
    path("search/", views_public.public_search, name="public_search"),
    path("white/", views_public.white_list, name="white_list"),
    path("black/", views_public.black_list, name="black_list"),
    path("cases/", views_public.typical_cases, name="typical_cases"),
    path("institutions/<id:pk>/", views_public.institution_page, name="institution_page"),
    path("batches/", views_public.batch_list, name="batch_list"),
    path("batches/<id:pk>/", views_public.batch_detail, name="batch_detail"),
    path("batches/<id:pk>.json", views_public.batch_json, name="batch_json"),
    path("annual/", views_public.annual_batches, name="annual_batches"),
    path("annual/<id:pk>/", views_public.annual_batch_detail, name="annual_batch_detail"),
    path("annual/<id:pk>.json", views_public.annual_batch_json, name="annual_batch_json"),
    path("spot-checks/", views_public.spot_checks, name="spot_checks"),
    path("spot-checks/<id:pk>/", views_public.spot_check_detail, name="spot_check_detail"),
    path("data/entries.json", views_public.open_data_json, name="open_data_json"),
    path("data/entries.csv", views_public.open_data_csv, name="open_data_csv"),
    path("openapi.json", views_public.openapi, name="openapi"),
    path("open-data/bulk/", views_public.open_data_bulk, name="open_data_bulk"),
    re_path(r"^open-data/bulk/(?P<region>\d{2,12})/(?P<dataset>[a-z-]{1,30})\.(?P<fmt>csv|json)$",
            views_public.open_data_bulk_file, name="open_data_bulk_file"),
    path("decisions/", views_publications.public_decisions, name="public_decisions"),
    path("report/", views_public.report_form, name="report_form"),
    path("report/pick/", views_public.institution_search_for_report, name="report_pick"),
    path("report/track/", views_public.report_track, name="report_track"),
]

staff_patterns = [
    path("", views.staff_home, name="staff_home"),
    path("entries/new/", views.entry_propose, name="entry_propose"),
    path("entries/<id:pk>/", views.entry_detail, name="entry_detail"),
    path("entries/<id:pk>/<str:action>/", views.entry_action, name="entry_action"),
    path("batches/publish/", views.batch_publish, name="batch_publish"),
    path("publications/", views_publications.publication_list, name="publications"),
    path("publications/open/", views_publications.publication_open, name="publication_open"),
    path("publications/<id:pk>/", views_publications.publication_detail, name="publication_detail"),
    path("publications/<id:pk>/<str:action>/", views_publications.publication_action, name="publication_action"),
    path("reports/", views.report_ledger, name="report_ledger"),
    path("reports/new/", views.report_record, name="report_record"),
    path("reports/<id:pk>/", views.report_detail, name="report_detail"),
    path(
        "reports/<id:pk>/attachments/<id:attachment_id>/", views.report_attachment, name="report_attachment"
    ),
    path("reports/<id:pk>/identity/", views.report_identity, name="report_identity"),
    path("reports/<id:pk>/<str:action>/", views.report_action, name="report_action"),
]

urlpatterns = [
    path("publicity/", include(staff_patterns)),
    path("public/", include(public_patterns)),
]
