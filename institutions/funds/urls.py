from django.urls import path

from . import views

app_name = "funds"

urlpatterns = [
    path("institution/<id:pk>/", views.institution_funds, name="institution"),
    path("institution/<id:pk>/course/new/", views.course_create, name="course_create"),
    path("institution/<id:pk>/course/import/", views.course_import_view, name="course_import"),
    path("institution/<id:pk>/account/", views.account_edit, name="account_edit"),
    path("institution/<id:pk>/charge/new/", views.charge_create, name="charge_create"),
    path("courses/", views.course_list, name="course_list"),
    path("course/<id:pk>/", views.course_detail, name="course_detail"),
    path("course/<id:pk>/edit/", views.course_resubmit, name="course_resubmit"),
    path("course/<id:pk>/review/", views.course_review_view, name="course_review"),
    path("account/<id:pk>/", views.account_detail, name="account_detail"),
    path("account/<id:pk>/statement/", views.statement_upload, name="statement_upload"),
    path("alerts/", views.alert_list, name="alert_list"),
    path("alert/<id:pk>/", views.alert_detail, name="alert_detail"),
    path("alert/<id:pk>/assign/", views.alert_assign_view, name="alert_assign"),
    path("alert/<id:pk>/close/", views.alert_close_view, name="alert_close"),
    path("alert/<id:pk>/case/", views.alert_case_view, name="alert_case"),
]
