"""The files of a weekly report (PDF and .xlsx), rendered by the Celery task `render_weekly_report`.

Apart from regulator.oversight.weekly, which queues that task, so that the task and the module that queues it
do not import each other.
"""

import hashlib
import io

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from regulator.models import WeeklyReport
from regulator.pdf import write_pdf
from regulator.spreadsheets import write_xlsx


def render_pdf(report: WeeklyReport) -> bytes:
    with translation.override("zh-hans"):
        html = render_to_string("oversight/weekly_pdf.html", {"report": report, "figures": report.figures})
    return write_pdf(html)


def render_xlsx(report: WeeklyReport) -> bytes:
    """One sheet of headline figures, then one sheet per section with its tables one under another."""
    figures = report.figures
    with translation.override("zh-hans"):
        title = str(_("%(region)s周报（%(start)s至%(end)s）") % {
            "region": figures["region_name"], "start": figures["start"], "end": figures["end"]})
        headline = (str(_("主要数据")), [str(_("指标")), str(_("数值"))],
                    iter([[label, _numeric(value)] for label, value in figures["headline"]]))

    def section_rows(section):
        for table in section["tables"]:
            yield [table["caption"]]
            yield [table["head"], *table["columns"]]
            for row in table["rows"]:
                yield [row[0], *[_numeric(value) for value in row[1:]]]
            yield []

    sheets = [headline] + [(section["title"], [title], section_rows(section)) for section in figures["sections"]]
    buffer = io.BytesIO()
    write_xlsx(buffer, sheets=sheets)
    return buffer.getvalue()


def _numeric(value):
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def weekly_report_render(*, report_id: int) -> WeeklyReport:
    """Render and store the PDF and the workbook once (idempotent: a report with both files is left alone)."""
    report = WeeklyReport.objects.select_related("region").get(pk=report_id)
    if report.pdf and report.xlsx:
        return report
    stem = f"weekly/{report.region_id}/{report.week_start:%Y%m%d}"
    stored = {}
    for suffix, content in (("pdf", render_pdf(report)), ("xlsx", render_xlsx(report))):
        name = f"{stem}.{suffix}"
        if default_storage.exists(name):
            default_storage.delete(name)
        stored[suffix] = (default_storage.save(name, ContentFile(content)), hashlib.sha256(content).hexdigest())
    WeeklyReport.objects.filter(pk=report.pk).update(
        pdf=stored["pdf"][0], pdf_sha256=stored["pdf"][1], xlsx=stored["xlsx"][0], xlsx_sha256=stored["xlsx"][1]
    )
    report.refresh_from_db()
    return report
