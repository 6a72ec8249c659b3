"""The ledger's columns: headers, rules shown in the template, and how choice labels map to stored values.

Shared by the template, the row parser and the register's export, so that an exported ledger imports again.
"""

import re
from dataclasses import dataclass

from django.utils import translation

from ..models import Category, Delivery, LicenceKind, OperatingState, PremisesType, ProfitType, StudentStage


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False
    allowed: str = ""
    example: str = ""

    @property
    def header(self) -> str:
        return f"{self.name}*" if self.required else self.name


NAME, CREDIT_CODE, ORGANISER = "机构名称", "统一社会信用代码", "举办者"
LEGAL_REP, PHONE, ADDRESS = "法定代表人/负责人", "联系电话", "办学地址"
REGION, PREMISES, CATEGORY, STAGES = "区划代码", "场所类型", "类别", "培训对象"
DELIVERY, PROFIT, STATE, NOTES = "培训方式", "营利性质", "经营状态", "备注"
SCHOOL_NO, SCHOOL_ISSUED, SCHOOL_UNTIL = "办学许可证号", "办学许可证发证日期", "办学许可证有效期至"
BUSINESS_NO, BUSINESS_ISSUED, BUSINESS_UNTIL = "营业执照号", "营业执照发证日期", "营业执照有效期至"

LEDGER_COLUMNS: tuple[Column, ...] = (
    Column(NAME, True, "不超过120字", "历下区阳光艺术培训学校"),
    Column(CREDIT_CODE, False, "18位，含校验位；无照机构可空；设为文本格式", "52370102MJ0000001E"),
    Column(ORGANISER, False, "不超过120字", "张三"),
    Column(LEGAL_REP, False, "不超过40字", "李四"),
    Column(PHONE, False, "不超过30字", "0531-88888888"),
    Column(ADDRESS, True, "不超过200字", "历下区文化路1号"),
    Column(REGION, True, "县（区）或乡镇（街道）代码，须在本单位辖区内", "370102001"),
    Column(PREMISES, True, "商业用房 / 居民住宅 / 地下室 / 其他", "商业用房"),
    Column(CATEGORY, True, "学科类 / 非学科类·体育 / 非学科类·文化艺术 / 非学科类·科技 / 职业技能类",
           "非学科类·文化艺术"),
    Column(STAGES, False, "学龄前、义务教育、普通高中，多项用“、”或“,”分隔", "义务教育、普通高中"),
    Column(DELIVERY, False, "线下 / 线上 / 线上线下（空为线下）", "线下"),
    Column(PROFIT, False, "营利性 / 非营利性（空为营利性）", "营利性"),
    Column(STATE, False, "正常经营 / 停办整改 / 已关停 / 已取缔 / 已注销（空为正常经营）", "正常经营"),
    Column(SCHOOL_NO, False, "不超过60字；同一证号不得重复", "教民137010270000001号"),
    Column(SCHOOL_ISSUED, False, "Excel 日期单元格；填写证号时必填", "2022-03-01"),
    Column(SCHOOL_UNTIL, False, "Excel 日期单元格；不得早于发证日期", "2027-02-28"),
    Column(BUSINESS_NO, False, "不超过60字；同一执照号不得重复", "52370102MJ0000001E"),
    Column(BUSINESS_ISSUED, False, "Excel 日期单元格；填写执照号时必填", "2021-09-15"),
    Column(BUSINESS_UNTIL, False, "Excel 日期单元格；长期有效可空", ""),
    Column(NOTES, False, "任意文字", ""),
)
COLUMNS: list[str] = [column.header for column in LEDGER_COLUMNS]
COLUMN_NAMES: list[str] = [column.name for column in LEDGER_COLUMNS]
DATE_COLUMNS = frozenset({SCHOOL_ISSUED, SCHOOL_UNTIL, BUSINESS_ISSUED, BUSINESS_UNTIL})
# Read-only columns the export adds after the ledger's own; the importer ignores them.
EXPORT_EXTRA_COLUMNS: list[str] = ["证照情况", "所在区划名称"]

# (licence kind, number column, issued column, valid-until column)
LICENCE_COLUMNS = (
    (LicenceKind.SCHOOL_RUNNING, SCHOOL_NO, SCHOOL_ISSUED, SCHOOL_UNTIL),
    (LicenceKind.BUSINESS, BUSINESS_NO, BUSINESS_ISSUED, BUSINESS_UNTIL),
)

STAGE_FIELDS = {
    StudentStage.PRESCHOOL: "serves_preschool",
    StudentStage.COMPULSORY: "serves_compulsory",
    StudentStage.SENIOR_HIGH: "serves_senior_high",
}
MAX_LENGTHS = {
    NAME: 120, ORGANISER: 120, LEGAL_REP: 40, PHONE: 30, ADDRESS: 200, SCHOOL_NO: 60, BUSINESS_NO: 60,
}


def normalize_header(value) -> str:
    """'机构名称*', ' 机构名称 ＊' and '机构名称' are the same column."""
    return re.sub(r"[\s*＊]", "", str(value)) if value is not None else ""


def short_label(label: str) -> str:
    """'营利性（市场监管登记）' -> '营利性'; '学龄前（3–6岁）' -> '学龄前'."""
    return re.split(r"[（(]", label, maxsplit=1)[0].strip()


def choice_map(choices) -> dict[str, str]:
    """Accept the Chinese label, its short form and the stored value; labels are read in zh-hans."""
    mapping = {}
    with translation.override("zh-hans"):
        for value, label in choices:
            label = str(label)
            mapping[label] = value
            mapping[short_label(label)] = value
            mapping[value] = value
    return mapping


# Spellings of published lists that name a state without its 已 (e.g. a district's 年检 list: "注销").
CHOICE_ALIASES = {
    STATE: {"注销": OperatingState.CANCELLED, "关停": OperatingState.CLOSED, "取缔": OperatingState.BANNED,
            "停办": OperatingState.SUSPENDED, "正常": OperatingState.OPERATING},
}


def choice_labels(choices) -> str:
    with translation.override("zh-hans"):
        return "、".join(short_label(str(label)) for _value, label in choices)


CHOICE_COLUMNS = {
    PREMISES: (PremisesType.choices, "premises_type"),
    CATEGORY: (Category.choices, "category"),
    DELIVERY: (Delivery.choices, "delivery"),
    PROFIT: (ProfitType.choices, "profit_type"),
    STATE: (OperatingState.choices, "operating_state"),
}

