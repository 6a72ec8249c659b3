"""Demo of the ledger import (台账导入) in each state a clerk meets: a batch imported with a problem row and two
names with an address run into them (名称疑含地址: one still 待核对 in the head's queue, one checked), and a batch
validated and awaiting confirmation; both reports download as the clerk's workbook with a 原因 column."""

from django.core.files.uploadedfile import SimpleUploadedFile

from institutions import services
from institutions.ledger import jobs, template, work
from institutions.models import ImportJob, ImportJobState, RegisterReview
from regulator.demo.regions import MAIN_COUNTY, SECOND_COUNTY
from regulator.models import Region, RegionLevel, User


def _row(name: str, address: str, region: str, **extra) -> dict:
    return {"机构名称": name, "办学地址": address, "区划代码": region, "场所类型": "商业用房",
            "类别": "非学科类·文化艺术", "培训对象": "义务教育", "举办者": "演示举办者", **extra}


def _upload(actor, name: str, rows: list[dict]) -> ImportJob:
    job = jobs.import_upload(actor=actor, uploaded_file=SimpleUploadedFile(name, template.write_workbook(rows)))
    work.validate_job(job.pk)  # the queued task finds it validated and does nothing
    job.refresh_from_db()
    return job


def load_ledger_import() -> dict:
    inspector = User.objects.get(username="edu_inspector")
    township = (Region.objects.filter(code__startswith=MAIN_COUNTY, level=RegionLevel.TOWNSHIP)
                .order_by("code").values_list("code", flat=True).first())
    done = _upload(inspector, "2026年秋季无证机构排查台账.xlsx", [
        _row("历下区泉城路188号星空美术培训", "泉城路188号", township),
        _row("明湖书法艺术培训中心（和平小区3号楼）", "和平路47号和平小区3号楼", township),
        _row("济南市历下区晨曦舞蹈培训中心", "解放路66号", township),
        _row("趵突泉口才培训", "共青团路9号", SECOND_COUNTY + "001"),  # not the inspector's county
    ])
    jobs.import_confirm(actor=inspector, job_id=done.pk)
    work.import_job(done.pk)
    checked = RegisterReview.objects.filter(import_job=done, institution__name__startswith="明湖书法").first()
    if checked is not None:  # a clerk looked: the branch's building is part of how parents know it
        services.register_review_check(actor=inspector, review_id=checked.pk)
    pending = _upload(inspector, "补充台账（待确认）.xlsx", [
        _row("经十路1号启航编程培训", "经十路1号", township),
        _row("历下区育英围棋培训学校", "山大路12号", township, **{"场所类型": "帐篷"}),
        _row("历下区知行阅读培训中心", "文化东路20号", township),
    ])
    assert pending.state == ImportJobState.VALIDATED
    return {"import_jobs": ImportJob.objects.count()}
