"""The default materials of an annual inspection and the checklist of its site visit (data; editable afterwards)."""

from django.db import migrations

# The materials an annual inspection asks for by default (the list is kept in the admin afterwards).
DEFAULT_MATERIALS = [
    ("annual_report", "年度工作报告"),
    ("financial_audit", "年度财务审计报告"),
    ("fund_account_statement", "资金监管账户对账单"),
    ("teacher_roster", "教职工（培训人员）名册"),
    ("safety_records", "安全管理记录"),
]

# The checklist of an annual inspection's site visit (年检实地核查), a template of the inspections app.
ANNUAL_CHECKLIST_CODE = "annual_inspection"
ANNUAL_CHECKLIST = [
    ("AI01", "办学许可证、营业执照等证照齐全有效，证照信息与实际一致"),
    ("AI02", "办学地址、场所与许可一致，无擅自增设办学点"),
    ("AI03", "培训人员名册与实际一致，学科类培训人员具有教师资格，无在职中小学教师"),
    ("AI04", "收费项目、标准公示，使用资金监管账户，无超过3个月的一次性收费"),
    ("AI05", "消防、安全管理制度落实，安全管理记录完整"),
    ("AI06", "年度工作报告、财务审计报告与实际相符"),
]


def add_default_materials(apps, schema_editor):
    kind = apps.get_model("institutions", "AnnualMaterialKind")
    for position, (code, name) in enumerate(DEFAULT_MATERIALS, start=1):
        kind.objects.get_or_create(code=code, defaults={"name": name, "position": position})


def add_annual_checklist(apps, schema_editor):
    template_model = apps.get_model("inspections", "ChecklistTemplate")
    item_model = apps.get_model("inspections", "ChecklistItem")
    if template_model.objects.filter(code=ANNUAL_CHECKLIST_CODE).exists():
        return
    template = template_model.objects.create(code=ANNUAL_CHECKLIST_CODE, version=1, name="年检实地核查清单",
                                             is_current=True)
    item_model.objects.bulk_create(
        item_model(template=template, position=position, code=code, text=text)
        for position, (code, text) in enumerate(ANNUAL_CHECKLIST, start=1)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("institutions", "0008_register_through_time"),
        ("inspections", "0004_dashboard_indexes"),
    ]

    operations = [
        migrations.RunPython(add_default_materials, migrations.RunPython.noop),
        migrations.RunPython(add_annual_checklist, migrations.RunPython.noop),
    ]
