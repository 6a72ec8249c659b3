"""Names with a street address run into them (名称疑含地址): flagged, not refused, by the ledger import; shown in the
report and its workbook; put up for review in the importing department's queue and on the institution file."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from institutions.audit_kinds import InstitutionsAuditKind
from institutions.ledger.names import address_fragment
from institutions.models import ImportJobState, Institution, RegisterReview, RegisterReviewStatus
from regulator.models import AuditEvent
from tests.factories import InstitutionFactory
from tests.institutions.test_import import confirm, detail_page, latest_job, ledger_row, upload, workbook_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


# Registered names start with 行政区划 + 字号 + 行业 + 组织形式; a branch adds its place; brands carry digits.
NAMES = [
    "北京市海淀区新东方培训学校",
    "济南市历下区阳光艺术培训学校有限公司",
    "山东省济南市历下区文化东路街道星光舞蹈培训中心",
    "上海市静安区南京西路艺术培训中心",
    "阳光艺术培训学校（文化路校区）",
    "星光教育科技有限公司历下分公司",
    "历下区1对1辅导培训学校",
    "K12教育科技有限公司",
    "101教育培训学校",
    "5G科技创客培训中心",
    "历下跆拳道馆",
    "三好学生培训学校",
    "第一培训学校",
    "STEAM创客工作室",
    "VR体验室培训中心",
    "ABC室内乐培训",
    "济南市市中区万达广场艺术培训中心",
    "长安县育才培训学校",
]

ADDRESSES = [
    ("历下区文化路12号阳光培训学校", "路12"),
    ("经十路１８８号星光舞蹈培训", "路188"),
    ("阳光培训（泉城广场3栋201室）", "3栋"),
    ("幸福巷十二号书法培训", "巷十二号"),
    ("星光美术培训中心B座", "B座"),
    ("万达广场5楼乐高培训", "5楼"),
    ("阳光培训学校2单元", "2单元"),
    ("历下区和平小区3号楼英语培训", "3号楼"),
    ("明湖商城地下一层美术培训", "地下一层"),
    ("山大南路27号院书法培训", "路27"),
]


@pytest.mark.parametrize("name", NAMES)
def test_a_registered_name_is_not_flagged(name):
    assert address_fragment(name) == ""


@pytest.mark.parametrize(("name", "fragment"), ADDRESSES)
def test_a_street_address_in_a_name_is_flagged(name, fragment):
    assert address_fragment(name).startswith(fragment)


def _import_flagged(client, on_commit):
    rows = [ledger_row(), ledger_row(**{"机构名称": "历下区文化路12号阳光培训学校"}),
            ledger_row(**{"机构名称": "北京市海淀区新东方培训学校"})]
    upload(client, on_commit, workbook_bytes(rows))
    return latest_job(), rows


def test_the_import_flags_but_does_not_refuse(education_inspector_client, users, regions, on_commit):
    job, rows = _import_flagged(education_inspector_client, on_commit)
    assert job.state == ImportJobState.VALIDATED and job.valid_rows == 3
    assert [(entry["row"], entry["column"], entry["level"]) for entry in job.report] == [(3, "机构名称", "warning")]
    assert job.report[0]["reason"].startswith("名称疑含地址，请核对")
    page = detail_page(education_inspector_client, job)
    assert 'id="review-flags"' in page and "名称疑含地址，请核对" in page and "confirm-import" in page

    confirm(education_inspector_client, on_commit, job)
    assert Institution.objects.count() == 3
    review = RegisterReview.objects.get()
    assert review.institution.name == "历下区文化路12号阳光培训学校" and review.import_job == job
    assert review.reason.startswith("名称疑含地址，请核对")
    assert review.department == users["education_inspector"].department
    assert review.status == RegisterReviewStatus.PENDING


def test_the_report_workbook_marks_the_flagged_row_yellow(education_inspector_client, regions, on_commit):
    job, _rows = _import_flagged(education_inspector_client, on_commit)
    response = education_inspector_client.get(reverse("institutions:import_report_workbook", args=[job.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    reasons = {row[0].row: row[-1].value for row in sheet.iter_rows(min_row=2) if row[-1].value}
    assert list(reasons) == [3] and reasons[3].startswith("机构名称：名称疑含地址")
    assert sheet.cell(row=3, column=1).fill.fgColor.rgb.endswith("FFEB9C")


def test_flagged_institutions_wait_in_the_importing_departments_queue(
        education_inspector_client, education_head_client, market_head_client, regions, on_commit):
    job, _rows = _import_flagged(education_inspector_client, on_commit)
    confirm(education_inspector_client, on_commit, job)
    page = education_head_client.get(reverse("queue")).content.decode()
    assert "台账导入待核对" in page and "历下区文化路12号阳光培训学校" in page
    assert "历下区文化路12号阳光培训学校" not in market_head_client.get(reverse("queue")).content.decode()


def _review(users, regions):
    institution = InstitutionFactory(region=regions["township"], name="文化路12号培训")
    return RegisterReview.objects.create(institution=institution, reason="名称疑含地址，请核对（“路12”）",
                                         department=users["education_inspector"].department)


def test_the_file_shows_the_flag_and_a_clerk_checks_it(education_inspector_client, police_inspector_client,
                                                       users, regions):
    review = _review(users, regions)
    url = reverse("institutions:detail", args=[review.institution_id])
    page = education_inspector_client.get(url).content.decode()
    assert 'id="reviews"' in page and "名称疑含地址" in page and "review-check" in page
    check = reverse("institutions:review_check", args=[review.pk])
    assert police_inspector_client.post(check).status_code == 403
    review.refresh_from_db()
    assert review.status == RegisterReviewStatus.PENDING
    response = education_inspector_client.post(check)
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == RegisterReviewStatus.CHECKED and review.checked_by == users["education_inspector"]
    event = AuditEvent.objects.get(kind=InstitutionsAuditKind.REGISTER_REVIEW_CHECKED)
    assert event.institution_id == review.institution_id
    assert 'id="reviews"' not in education_inspector_client.get(url).content.decode()
    education_inspector_client.post(check)  # twice: nothing more
    assert AuditEvent.objects.filter(kind=InstitutionsAuditKind.REGISTER_REVIEW_CHECKED).count() == 1


def test_the_queue_row_opens_the_file(education_head_client, other_county_client, users, regions):
    review = _review(users, regions)
    response = education_head_client.get(reverse("institutions:review", args=[review.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("institutions:detail", args=[review.institution_id]) + "#reviews"
    assert other_county_client.get(reverse("institutions:review", args=[review.pk])).status_code == 403
