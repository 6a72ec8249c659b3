"""Annual-inspection results to and from Excel, in the columns districts publish them in.

A published 年检 list names each institution and its result; the results seen in real lists are 合格, 基本合格,
不合格 (also written 年检不合格), 被吊销资格 (the school-running licence revoked) and 注销 (cancelled). Import is
all or nothing: every row is checked first (institution found in the plan's region, a known result, no
duplicates), and only a file without errors is written, in one transaction.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from regulator.audit import record_event
from regulator.errors import ServiceError
from regulator.spreadsheets import xlsx_bytes

from .. import changes
from ..audit_kinds import InstitutionsAuditKind as Kind
from ..ledger.reader import cell_text, check_upload, find_list_header, first_sheet_rows
from ..models import (
    AnnualInspection,
    AnnualInspectionPlan,
    AnnualInspectionStatus,
    AnnualPlanStatus,
    AnnualResult,
    Institution,
    Licence,
    LicenceKind,
    LicenceState,
    OperatingState,
)
from ..services import licence_revoke
from ..validators import normalize_credit_code
from . import services

NAME, CODE, LICENCE_NO, RESULT, REASONS = "机构名称", "统一社会信用代码", "办学许可证号", "年检结果", "原因"
HEADER_ALIASES = {
    NAME: {"机构名称", "培训机构名称", "学校名称", "单位名称", "名称"},
    CODE: {"统一社会信用代码", "信用代码"},
    LICENCE_NO: {"办学许可证号", "许可证号", "办学许可证编号"},
    RESULT: {"年检结果", "年检结论", "检查结果", "结果", "年检情况"},
    REASONS: {"原因", "理由", "备注", "说明", "存在问题"},
}
REVOKED, CANCELLED = "revoked", "cancelled"
RESULT_WORDS = {
    "合格": AnnualResult.PASS, "年检合格": AnnualResult.PASS,
    "基本合格": AnnualResult.BASIC_PASS, "年检基本合格": AnnualResult.BASIC_PASS,
    "不合格": AnnualResult.FAIL, "年检不合格": AnnualResult.FAIL,
    "被吊销资格": REVOKED, "吊销资格": REVOKED, "吊销办学资格": REVOKED, "被吊销办学资格": REVOKED,
    "吊销": REVOKED, "注销": CANCELLED, "已注销": CANCELLED,
}
MAX_ROWS = 5000


@dataclass
class ResultRow:
    number: int
    name: str = ""
    result: str = ""
    reasons: str = ""
    institution: Institution | None = None
    errors: list = field(default_factory=list)


@dataclass
class ImportOutcome:
    rows: list
    written: bool

    @property
    def errors(self) -> list[tuple[int, str]]:
        return [(row.number, error) for row in self.rows for error in row.errors]



def _read(uploaded_file) -> tuple[dict, list[tuple[int, tuple]]]:
    # The ledger import's door and reader (python-calamine): .xlsx, .xls and .ods, damaged files refused in Chinese.
    check_upload(uploaded_file)
    uploaded_file.seek(0)
    rows = first_sheet_rows(uploaded_file.read(), limit=MAX_ROWS + 20)  # (Excel row number, values)
    # The header is the first row naming the institution column (lists often carry a title row above it).
    found = find_list_header(rows, HEADER_ALIASES, (NAME, RESULT))
    if found is not None:
        return found
    raise ServiceError(_("没有找到表头：前10行中须有“机构名称”和“年检结果”两列。"))


def _find(row: ResultRow, values, index, plan: AnnualInspectionPlan) -> None:
    def cell(column):
        position = index.get(column)
        return cell_text(values[position]) if position is not None and position < len(values) else ""

    region = plan.department.region_id
    in_region = Institution.objects.filter(region__code__startswith=region)
    code, licence_no = normalize_credit_code(cell(CODE)), cell(LICENCE_NO)
    if code:
        row.institution = in_region.filter(credit_code=code).first()
    if row.institution is None and licence_no:
        licence = Licence.objects.filter(kind=LicenceKind.SCHOOL_RUNNING, number=licence_no,
                                         institution__region__code__startswith=region).first()
        row.institution = licence.institution if licence else None
    if row.institution is None and row.name:
        matches = list(in_region.filter(name=row.name)[:2])
        if len(matches) > 1:
            row.errors.append(_("辖区内有多家机构名为“%(name)s”，请填写统一社会信用代码或办学许可证号。")
                              % {"name": row.name})
            return
        row.institution = matches[0] if matches else None
    if row.institution is None:
        row.errors.append(_("在%(region)s的台账中找不到该机构（按信用代码、办学许可证号或名称）。")
                          % {"region": plan.department.region.name})


def check_file(*, plan: AnnualInspectionPlan, uploaded_file) -> list[ResultRow]:
    index, data = _read(uploaded_file)
    if not data:
        raise ServiceError(_("表中没有数据行。"))
    if len(data) > MAX_ROWS:
        raise ServiceError(_("数据超过%(max)d行，请拆分后导入。") % {"max": MAX_ROWS})
    seen: dict[int, int] = {}
    rows = []
    for number, values in data:
        def cell(column, values=values):
            position = index.get(column)
            return cell_text(values[position]) if position is not None and position < len(values) else ""

        row = ResultRow(number=number, name=cell(NAME), reasons=str(
            values[index[REASONS]] or "").strip() if REASONS in index and index[REASONS] < len(values) else "")
        word = cell(RESULT)
        row.result = RESULT_WORDS.get(word, "")
        if not row.name:
            row.errors.append(_("机构名称为空。"))
        if not row.result:
            row.errors.append(_("年检结果“%(word)s”无法识别，可用：合格、基本合格、不合格（年检不合格）、被吊销资格、"
                                "注销。") % {"word": word[:20]})
        if row.name:
            _find(row, values, index, plan)
        if row.institution is not None:
            if row.institution.pk in seen:
                row.errors.append(_("与第%(row)d行是同一家机构。") % {"row": seen[row.institution.pk]})
            else:
                seen[row.institution.pk] = number
        rows.append(row)
    return rows


@transaction.atomic
def import_results(*, actor, plan_id: int, uploaded_file, today=None) -> ImportOutcome:
    """Check the whole file; write it only when no row has an error."""
    plan = AnnualInspectionPlan.objects.select_for_update().select_related("department__region").get(pk=plan_id)
    services._check_decider(actor, plan)
    if plan.status != AnnualPlanStatus.OPEN:
        raise ServiceError(_("年检结果已公布，不能再导入。"))
    rows = check_file(plan=plan, uploaded_file=uploaded_file)
    if any(row.errors for row in rows):
        return ImportOutcome(rows=rows, written=False)
    today = today or timezone.localdate()
    source = _("据导入的年检结果名单（%(file)s）") % {"file": (uploaded_file.name or "")[:60]}
    for row in rows:
        institution = Institution.objects.select_for_update().get(pk=row.institution.pk)
        inspection, _created = AnnualInspection.objects.select_for_update().get_or_create(
            plan=plan, institution=institution, defaults={"created_by": actor, "updated_by": actor})
        reasons = row.reasons or source
        if row.result == CANCELLED:
            if institution.operating_state != OperatingState.CANCELLED:
                try:
                    changes._cancel(actor=actor, institution=institution, cancelled_on=today,
                                    reason=_("年检结果名单：注销。%(reasons)s") % {"reasons": row.reasons})
                except ServiceError as error:
                    row.errors.append(error.message)
                    continue
            result, status = "", AnnualInspectionStatus.CANCELLED
        elif row.result == REVOKED:
            for licence in Licence.objects.filter(institution=institution, kind=LicenceKind.SCHOOL_RUNNING,
                                                  state=LicenceState.VALID):
                licence_revoke(actor=actor, licence_id=licence.pk, reason=_("年检：被吊销资格"))
            result, status = AnnualResult.FAIL, AnnualInspectionStatus.DECIDED
            reasons = _("被吊销办学资格。%(reasons)s") % {"reasons": reasons}
        else:
            result, status = row.result, AnnualInspectionStatus.DECIDED
        before = {"status": inspection.status, "result": inspection.result}
        inspection.status, inspection.result = status, result
        inspection.reasons = reasons if result != AnnualResult.PASS or row.reasons else ""
        inspection.decided_on, inspection.decided_by, inspection.updated_by = today, actor, actor
        if status == AnnualInspectionStatus.DECIDED:
            services._issue_notice(inspection, today)  # numbered; rendered after commit (gone with a rollback)
        inspection.save(update_fields=["status", "result", "reasons", "decided_on", "decided_by", "notice_number",
                                       "updated_by", "updated_at"])
        record_event(actor=actor, kind=Kind.ANNUAL_IMPORTED, obj=inspection, institution_id=institution.pk,
                     before=before, after={"status": status, "result": result, "row": row.number},
                     summary=_("导入%(plan)s结果：%(result)s") % {
                         "plan": str(plan), "result": inspection.get_result_display() or
                         inspection.get_status_display()})
    if any(row.errors for row in rows):
        transaction.set_rollback(True)
        return ImportOutcome(rows=rows, written=False)
    return ImportOutcome(rows=rows, written=True)


EXPORT_HEADER = ["序号", NAME, CODE, LICENCE_NO, "所在区划", RESULT, REASONS, "结论日期"]


def export_results(plan: AnnualInspectionPlan) -> bytes:
    """The plan's results in the columns the import reads (an exported list imports again)."""
    rows = (AnnualInspection.objects.filter(plan=plan).select_related("institution__region")
            .order_by("institution__region_id", "institution__name"))
    licence_numbers = dict(Licence.objects.filter(
        institution__annual_inspections__plan=plan, kind=LicenceKind.SCHOOL_RUNNING).values_list(
        "institution_id", "number"))

    def result_word(inspection):
        if inspection.status == AnnualInspectionStatus.CANCELLED:
            return "注销"
        if inspection.status == AnnualInspectionStatus.REFUSED:
            return "拒绝年检"
        return str(inspection.get_result_display()) if inspection.result else ""

    data = [
        [n, i.institution.name, i.institution.credit_code, licence_numbers.get(i.institution_id, ""),
         i.institution.region.name, result_word(i), i.reasons, i.decided_on]
        for n, i in enumerate(rows, start=1)
    ]
    return xlsx_bytes(sheets=[(str(plan), EXPORT_HEADER, data)])
