from django.urls import path, register_converter

from . import views, views_ledger

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
    path("<id:pk>/<child:kind>/new/", views.child_edit, name="child_create"),
    path("<id:pk>/<child:kind>/<id:child_id>/edit/", views.child_edit, name="child_edit"),
    path("<id:pk>/<child:kind>/<id:child_id>/delete/", views.child_delete, name="child_delete"),
    path("export.<str:fmt>", views_ledger.register_export, name="export"),
    path("import/", views_ledger.import_upload, name="import"),
    path("import/template.xlsx", views_ledger.import_template, name="import_template"),
    path("import/<id:job_id>/", views_ledger.import_detail, name="import_detail"),
    path("import/<id:job_id>/progress/", views_ledger.import_progress, name="import_progress"),
    path("import/<id:job_id>/confirm/", views_ledger.import_confirm, name="import_confirm"),
    path("import/<id:job_id>/cancel/", views_ledger.import_cancel, name="import_cancel"),
]
