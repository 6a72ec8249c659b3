from django.urls import path, register_converter

from . import views, views_ledger, views_through_time
from .annual import views as annual_views

app_name = "institutions"


class ChildKindConverter:
    regex = "licence|site|teacher"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(ChildKindConverter, "child")

urlpatterns = [
    path("", views.register_list, name="list"),
    path("new/", views.institution_create, name="create"),
    path("<id:pk>/", views.institution_detail, name="detail"),
    path("<id:pk>/edit/", views.institution_edit, name="edit"),
    path("<id:pk>/delete/", views.institution_delete, name="delete"),
    path("reviews/<id:pk>/", views.register_review, name="review"),
    path("reviews/<id:pk>/checked/", views.register_review_check, name="review_check"),
    path("<id:pk>/<child:kind>/new/", views.child_edit, name="child_create"),
    path("<id:pk>/<child:kind>/<id:child_id>/edit/", views.child_edit, name="child_edit"),
    path("<id:pk>/<child:kind>/<id:child_id>/delete/", views.child_delete, name="child_delete"),
    path("export.<str:fmt>", views_ledger.register_export, name="export"),
    path("import/", views_ledger.import_upload, name="import"),
    path("import/template.xlsx", views_ledger.import_template, name="import_template"),
    path("import/<id:job_id>/", views_ledger.import_detail, name="import_detail"),
    path("import/<id:job_id>/report.xlsx", views_ledger.import_report_workbook, name="import_report_workbook"),
    path("import/<id:job_id>/progress/", views_ledger.import_progress, name="import_progress"),
    path("import/<id:job_id>/confirm/", views_ledger.import_confirm, name="import_confirm"),
    path("import/<id:job_id>/cancel/", views_ledger.import_cancel, name="import_cancel"),
    # the register through time
    path("through-time/", views_through_time.through_time, name="through_time"),
    path("annual/", annual_views.plan_list, name="annual_plans"),
    path("annual/new/", annual_views.plan_create, name="annual_plan_create"),
    path("annual/<id:pk>/", annual_views.plan_detail, name="annual_plan"),
    path("annual/<id:pk>/publish/", annual_views.plan_publish, name="annual_plan_publish"),
    path("annual/<id:pk>/export.xlsx", annual_views.plan_export, name="annual_plan_export"),
    path("annual/<id:pk>/import/", annual_views.plan_import, name="annual_plan_import"),
    path("annual/inspection/<id:pk>/", annual_views.inspection_detail, name="annual_inspection"),
    path("annual/inspection/<id:pk>/notice.pdf", annual_views.notice_pdf, name="annual_notice_pdf"),
    path("campaigns/new/", views_through_time.campaign_open, name="campaign_open"),
    path("campaigns/<id:pk>/", views_through_time.campaign_detail, name="campaign"),
    path("<id:pk>/campaign/<id:enrolment_id>/record/", views_through_time.campaign_item_record,
         name="campaign_item_record"),
    path("<id:pk>/changes/new/", views_through_time.change_request, name="change_request"),
    path("<id:pk>/changes/<id:change_id>/decide/", views_through_time.change_decide, name="change_decide"),
    path("<id:pk>/cancel/", views_through_time.institution_cancel, name="cancel"),
    path("<id:pk>/licences/<id:licence_id>/renew/", views_through_time.licence_renew, name="licence_renew"),
    path("<id:pk>/teachers/<id:teacher_id>/", views_through_time.teacher_detail, name="teacher"),
    path("<id:pk>/teachers/<id:teacher_id>/leave/", views_through_time.teacher_leave, name="teacher_leave"),
    path("<id:pk>/teachers/<id:teacher_id>/move/", views_through_time.teacher_move, name="teacher_move"),
    path("in-service-roster/", views_through_time.in_service_roster, name="in_service_roster"),
    path("teacher-blacklist/", views_through_time.teacher_bans, name="teacher_bans"),
    path("teacher-blacklist/<id:ban_id>/lift/", views_through_time.teacher_ban_lift, name="teacher_ban_lift"),
]
