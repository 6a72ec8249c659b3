from django.urls import path

from . import views

app_name = "penalties"

urlpatterns = [
    path("", views.home, name="home"),
    path("orders/new/<id:institution_id>/", views.order_new, name="order_new"),
    path("orders/from-visit/<id:visit_id>/", views.order_from_visit, name="order_from_visit"),
    path("orders/<id:pk>/", views.order_detail, name="order_detail"),
    path("orders/<id:pk>/approve/", views.order_approve, name="order_approve"),
    path("orders/<id:pk>/serve/", views.order_serve, name="order_serve"),
    path("orders/<id:pk>/extend/", views.order_extend, name="order_extend"),
    path("orders/<id:pk>/cancel/", views.order_cancel, name="order_cancel"),
    path("orders/<id:pk>/items/<id:item_id>/close/", views.order_item_close, name="order_item_close"),
    path("orders/<id:pk>/pdf/", views.order_pdf, name="order_pdf"),
    path("suspensions/new/<id:institution_id>/", views.suspension_new, name="suspension_new"),
    path("suspensions/<id:pk>/", views.suspension_detail, name="suspension_detail"),
    path("suspensions/<id:pk>/approve/", views.suspension_approve, name="suspension_approve"),
    path("suspensions/<id:pk>/serve/", views.suspension_serve, name="suspension_serve"),
    path("suspensions/<id:pk>/refunds/", views.refund_save, name="refund_save"),
    path("suspensions/<id:pk>/pdf/", views.suspension_pdf, name="suspension_pdf"),
    path("cases/new/<id:institution_id>/", views.case_new, name="case_new"),
    path("cases/<id:pk>/", views.case_detail, name="case_detail"),
    path("cases/<id:pk>/serve/", views.case_serve, name="case_serve"),
    path("cases/<id:pk>/serve-rights/", views.case_serve_rights, name="case_serve_rights"),
    path("interviews/", views.interview_list, name="interview_list"),
    path("interviews/new/<id:institution_id>/", views.interview_new, name="interview_new"),
    path("interviews/<id:pk>/", views.interview_detail, name="interview_detail"),
    path("cases/<id:pk>/decision.pdf", views.decision_pdf, name="decision_pdf"),
    path("cases/<id:pk>/documents/", views.case_document, name="case_document_issue"),
    path("cases/<id:pk>/documents/<slug:kind>/", views.case_document, name="case_document"),
    path("cases/<id:pk>/<slug:step>/", views.case_step, name="case_step"),
    path("proofs/new/<id:institution_id>/", views.proof_new, name="proof_new"),
    path("proofs/<id:pk>/", views.proof_detail, name="proof_detail"),
    path("proofs/<id:pk>/pdf/", views.proof_pdf, name="proof_pdf"),
    path("consents/new/<id:institution_id>/", views.consent_new, name="consent_new"),
    path("files/<slug:kind>/<id:pk>/", views.stored_file, name="stored_file"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.inbox_mark_read, name="inbox_mark_read"),
]
