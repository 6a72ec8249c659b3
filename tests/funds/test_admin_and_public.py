"""Admin pages of the funds app, and the public page's queries with filed classes."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from institutions.funds.models import BankFormat, Course, FundAccount, FundAlert, GuidedPrice, RiskAssessment
from tests.factories import ListEntryFactory, TeacherFactory
from tests.factories.funds import bound_account, filed_course, guided_price

pytestmark = pytest.mark.django_db


def test_admin_changelists_and_guided_price_form(admin_client_, users, institution, regions):
    guided_price(regions["county"])
    filed_course(actor=users["education_inspector"], reviewer=users["education_head"], institution=institution)
    bound_account(actor=users["education_head"], institution=institution)
    for model in (GuidedPrice, BankFormat, Course, FundAccount, FundAlert, RiskAssessment):
        url = reverse(f"admin:funds_{model._meta.model_name}_changelist")
        assert admin_client_.get(url).status_code == 200, url
    page = admin_client_.get(reverse("admin:funds_fundaccount_changelist")).content.decode()
    assert "6228480012345678" not in page
    assert admin_client_.get(reverse("admin:funds_course_add")).status_code == 403
    assert admin_client_.get(reverse("admin:funds_guidedprice_add")).status_code == 200


def test_admin_keeps_guided_prices_per_subject(admin_client_, regions):
    guided_price(regions["county"])
    page = admin_client_.get(reverse("admin:funds_guidedprice_changelist")).content.decode()
    assert "所有学科类科目" in page
    response = admin_client_.post(reverse("admin:funds_guidedprice_add"), {
        "region": regions["county"].pk, "stage": "compulsory", "delivery": "offline", "subject": " 数学 ",
        "max_fee_per_hour": "55", "valid_from": "2025-01-01", "reference": "历发改〔2025〕3号"})
    assert response.status_code == 302
    assert GuidedPrice.objects.get(subject="数学").max_fee_per_hour == 55
    again = admin_client_.post(reverse("admin:funds_guidedprice_add"), {
        "region": regions["county"].pk, "stage": "compulsory", "delivery": "offline", "subject": "数学",
        "max_fee_per_hour": "60", "valid_from": "2025-01-01"})
    assert again.status_code == 200 and "同一执行日期已有指导价" in again.content.decode()


def _count(url):
    with CaptureQueriesContext(connection) as captured:
        assert Client().get(url).status_code == 200
    return len(captured)


def test_public_page_queries_do_not_grow_with_classes(users, institution):
    from django.core.cache import cache

    ListEntryFactory(institution=institution, black=True, published=True)
    url = reverse("publicity:institution_page", args=[institution.pk])
    teacher = TeacherFactory(institution=institution)
    filed_course(actor=users["education_inspector"], reviewer=users["education_head"], institution=institution,
                 teachers=[teacher.pk])
    cache.clear()
    one = _count(url)
    for n in range(4):
        filed_course(actor=users["education_inspector"], reviewer=users["education_head"], institution=institution,
                     name=f"班次{n}", teachers=[teacher.pk])
    cache.clear()
    assert _count(url) == one


def test_filing_refreshes_the_cached_public_page(users, institution, django_capture_on_commit_callbacks):
    ListEntryFactory(institution=institution, black=True, published=True)
    url = reverse("publicity:institution_page", args=[institution.pk])
    assert "暂无已备案的班次" in Client().get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        filed_course(actor=users["education_inspector"], reviewer=users["education_head"], institution=institution)
    assert "初二数学提高班" in Client().get(url).content.decode()


def test_dashboard_shows_the_funds_section(education_head_client, users, institution):
    bound_account(actor=users["education_head"], institution=institution)
    response = education_head_client.get("/dashboard/", {"region": "370102"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "备案与资金监管" in page and "资金监管账户" in page
