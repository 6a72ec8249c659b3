"""Load the campaign checklist of the work plans (DOMAIN.md, Inspections) as template version 1."""

from django.db import migrations

CODE = "campaign"
NAME = "校外培训机构专项治理检查清单"
ITEMS = [
    ("C01", "证照、教师信息、收费及退费标准、班次及规章制度亮证公示情况"),
    ("C02", "安全管理制度、应急预案及安全防范措施落实情况"),
    (
        "C03",
        "培训场所、培训计划和培训内容与备案一致；无超纲超前培训；"
        "无在法定节假日、休息日及寒暑假期组织学科类培训",
    ),
    ("C04", "培训人员具有相应教师资格证及学历证书"),
    ("C05", "培训合同使用示范文本"),
    ("C06", "场所、消防安全及设施设备符合标准；未使用居民住宅、地下室办学"),
    ("C07", "无中小学在职教师参与培训；无与学校串通招生、输送生源"),
    ("C08", "无其他重大安全隐患或严重社会危害"),
    ("C09", "按规定开具发票、使用学杂费专用（监管）账户；无一次性收取超过3个月的费用"),
    ("C10", "无虚假、夸大宣传；无进校园宣传招生"),
    ("C11", "无组织与招生入学挂钩的竞赛、排名、考试"),
]


def load(apps, schema_editor):
    ChecklistTemplate = apps.get_model("inspections", "ChecklistTemplate")
    ChecklistItem = apps.get_model("inspections", "ChecklistItem")
    if ChecklistTemplate.objects.filter(code=CODE).exists():
        return
    template = ChecklistTemplate.objects.create(code=CODE, version=1, name=NAME, is_current=True)
    ChecklistItem.objects.bulk_create(
        ChecklistItem(template=template, position=position, code=code, text=text)
        for position, (code, text) in enumerate(ITEMS, start=1)
    )


def unload(apps, schema_editor):
    ChecklistTemplate = apps.get_model("inspections", "ChecklistTemplate")
    ChecklistItem = apps.get_model("inspections", "ChecklistItem")
    ChecklistItem.objects.filter(template__code=CODE, template__version=1).delete()
    ChecklistTemplate.objects.filter(code=CODE, version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("inspections", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
