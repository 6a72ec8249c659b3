"""The public page of a published annual-inspection batch (年检结果公告): numbered, dated, its issuer and every
institution with its result, the SHA-256 of exactly the bytes published (and its verification record), linked
from the public navigation and the institution's public page; an unpublished batch is not found."""

import datetime
import hashlib
import json

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from institutions.annual import services
from institutions.models import AnnualMaterialKind, AnnualResult
from regulator.models import VerificationRecord
from tests.factories import licensed_institution

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _annual_defaults(db):
    from tests.factories import ensure_annual_materials

    ensure_annual_materials()
    cache.clear()


def _plan(users, regions, results):
    """A plan of last year over one licensed institution per result (None: refused); decided, not published."""
    head, inspector = users["education_head"], users["education_inspector"]
    institutions = [licensed_institution(regions["township"], name=f"年检机构{index}")
                    for index in range(len(results))]
    plan = services.plan_create(actor=head, year=TODAY.year - 1, deadline=TODAY + datetime.timedelta(days=30),
                                materials=list(AnnualMaterialKind.objects.all()))
    for institution, (result, reasons) in zip(institutions, results, strict=True):
        inspection = plan.inspections.get(institution=institution)
        if result is None:
            services.refuse(actor=head, inspection_id=inspection.pk, note="拒不提交材料")
            continue
        for kind in plan.materials.all():
            services.material_receive(actor=inspector, inspection_id=inspection.pk, kind_id=kind.pk,
                                      received_on=TODAY)
        services.desk_review(actor=inspector, inspection_id=inspection.pk, note="材料齐全")
        services.decide(actor=head, inspection_id=inspection.pk, result=result, reasons=reasons)
    return plan, institutions


RESULTS = [(AnnualResult.PASS, ""), (AnnualResult.BASIC_PASS, "安全管理记录不完整"),
           (AnnualResult.FAIL, "未使用资金监管账户"), (None, "")]


def test_a_published_batch_is_public_numbered_and_verifiable(users, regions):
    plan, institutions = _plan(users, regions, RESULTS)
    url = reverse("publicity:annual_batch_detail", args=[plan.pk])
    assert Client().get(url).status_code == 404  # not yet published
    assert Client().get(reverse("publicity:annual_batch_json", args=[plan.pk])).status_code == 404
    plan = services.plan_publish(actor=users["education_head"], plan_id=plan.pk)
    page = Client().get(url).content.decode()
    for expected in (plan.batch_number, plan.department.name, f"{plan.year}年度校外培训机构年检结果", plan.sha256,
                     "合格", "基本合格", "不合格", "拒绝接受年检", "安全管理记录不完整", "未使用资金监管账户",
                     *(institution.name for institution in institutions)):
        assert expected in page, expected
    raw = Client().get(reverse("publicity:annual_batch_json", args=[plan.pk])).content
    assert hashlib.sha256(raw).hexdigest() == plan.sha256
    content = json.loads(raw)
    assert content["number"] == plan.batch_number and content["issuer"] == plan.department.name
    assert [e["result_label"] for e in content["entries"]] == ["合格", "基本合格", "不合格", "拒绝接受年检"]
    record = VerificationRecord.objects.get(object_type="institutions.annualinspectionplan", object_id=str(plan.pk))
    assert (record.number, record.sha256) == (plan.batch_number, plan.sha256)
    assert record.get_absolute_url() in page
    verify = Client().get(record.get_absolute_url()).content.decode()
    assert plan.batch_number in verify and plan.sha256 in verify


def test_the_list_the_navigation_and_the_institution_page_link_it(users, regions,
                                                                  django_capture_on_commit_callbacks):
    plan, institutions = _plan(users, regions, RESULTS[:2])
    listing = Client().get(reverse("publicity:annual_batches")).content.decode()
    assert "暂无公告的年检结果" in listing
    with django_capture_on_commit_callbacks(execute=True):  # publishing bumps the public pages' cache version
        plan = services.plan_publish(actor=users["education_head"], plan_id=plan.pk)
    detail = reverse("publicity:annual_batch_detail", args=[plan.pk])
    home = Client().get(reverse("publicity:public_home")).content.decode()
    assert reverse("publicity:annual_batches") in home  # the public navigation
    listing = Client().get(reverse("publicity:annual_batches")).content.decode()
    assert detail in listing and plan.batch_number in listing
    page = Client().get(reverse("publicity:institution_page", args=[institutions[1].pk])).content.decode()
    assert detail in page and "基本合格" in page and plan.batch_number in page


def test_bad_paging_is_refused_in_chinese():
    response = Client().get(reverse("publicity:annual_batches"), {"after": "abc"})
    assert response.status_code == 400 and "页" in response.content.decode()


@pytest.mark.parametrize("rows", [2, 8])
def test_query_counts_do_not_grow(users, regions, rows, django_assert_num_queries):
    plan, _institutions = _plan(users, regions, [(AnnualResult.PASS, "")] * rows)
    services.plan_publish(actor=users["education_head"], plan_id=plan.pk)
    cache.clear()
    with django_assert_num_queries(1):  # one page of batches with their department
        assert Client().get(reverse("publicity:annual_batches")).status_code == 200
    cache.clear()
    with django_assert_num_queries(2):  # the batch (its content inside), its verification record
        assert Client().get(reverse("publicity:annual_batch_detail", args=[plan.pk])).status_code == 200
