"""Realistic fake institutions (names, codes, licences, sites, teachers) for the demo and the scale seed.

One generator serves `load_demo` (a few hundred rows, through the ORM) and `seed_scale` (up to millions,
by COPY), so the demo shows the same kind of data the benchmark measures. It only builds values: callers
write them. Licence standing is never chosen here: the generator picks licences and their states, and
the standing is derived from them with `institutions.services.compute_standing`.
"""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from regulator.models import DepartmentKind

from .models import (
    FORBIDDEN_PREMISES,
    Category,
    Delivery,
    LicenceKind,
    LicenceStanding,
    LicenceState,
    OperatingState,
    PremisesType,
    ProfitType,
    StudentStage,
)
from .services import compute_standing
from .validators import credit_code_check_char

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉斌宇浩凯健俊帆帅旭晨阳"
    "欣怡梓涵子轩浩然雨萱思远佳琪博文一诺瑾瑜嘉懿煜城懿轩烨伟苑博伟泽熠彤鸿煊博涛烨霖烨华煜祺智宸正豪"
)
BRANDS = (
    "启航", "博学", "育才", "明德", "智慧树", "小天才", "星光", "阳光", "金话筒", "七彩虹", "童心", "未来星",
    "远航", "卓越", "优学", "乐学", "书香", "墨香", "青苗", "蓝天", "翰林", "博雅", "睿思", "领航", "精英",
    "桃李", "知行", "致远", "弘文", "求是", "启明星", "小海豚", "大拇指", "新起点", "金钥匙", "百灵鸟",
    "小蜜蜂", "智多星", "春芽", "立人", "格致", "尚学", "泉韵", "鸿鹄", "青藤", "新航线", "同心圆", "小橙子",
)
SUBJECTS = {
    Category.ACADEMIC: ("英语", "数学", "语文", "物理", "化学", "作文", "全科"),
    Category.SPORTS: ("篮球", "游泳", "跆拳道", "武术", "足球", "乒乓球", "羽毛球", "轮滑", "击剑"),
    Category.ARTS: ("美术", "钢琴", "舞蹈", "书法", "声乐", "播音主持", "围棋", "古筝", "小提琴", "戏剧"),
    Category.SCIENCE: ("编程", "机器人", "科学实验", "航模", "创客", "人工智能"),
    Category.VOCATIONAL: ("会计", "电工", "厨师", "育婴师", "美容美发", "计算机", "汽车维修"),
}
NAME_PATTERNS = {
    Category.ACADEMIC: ("{city}{brand}{subject}培训学校", "{city}{brand}文化培训学校",
                        "{brand}{subject}辅导班",
                        "{city}{county}{brand}教育培训学校"),
    Category.SPORTS: ("{brand}{subject}俱乐部", "{city}{brand}体育培训中心", "{brand}{subject}培训学校"),
    Category.ARTS: ("{city}{brand}{subject}培训学校", "{brand}{subject}工作室", "{city}{brand}艺术培训中心",
                    "{city}{brand}艺术培训学校"),
    Category.SCIENCE: ("{city}{brand}{subject}科技培训中心", "{brand}{subject}培训学校",
                       "{brand}少儿{subject}中心"),
    Category.VOCATIONAL: ("{city}{brand}职业培训学校", "{city}{county}{brand}{subject}职业技能培训学校"),
}
BUILDINGS = ("国际大厦", "金融中心", "时代广场", "万达广场", "银座商城", "科技大厦", "创业大厦", "文化广场")
RESIDENTIAL = ("花园小区", "家园", "新村", "苑", "公寓")
DIPLOMAS = ("本科", "本科", "硕士研究生", "大专", "本科")
BANKS = ("中国农业银行", "中国工商银行", "中国建设银行", "中国银行", "交通银行", "农商银行")

# Licence kinds in the standing profile, and the department kind that issues them (谁审批谁监管).
ISSUING_KIND = {
    LicenceKind.SCHOOL_RUNNING: DepartmentKind.EDUCATION,
    LicenceKind.BUSINESS: DepartmentKind.MARKET,
    LicenceKind.NON_ENTERPRISE: DepartmentKind.CIVIL_AFFAIRS,
    LicenceKind.FIRE_SAFETY: DepartmentKind.FIRE,
}
ISSUER_SUFFIX = {
    DepartmentKind.EDUCATION: "教育局", DepartmentKind.MARKET: "市场监督管理局",
    DepartmentKind.CIVIL_AFFAIRS: "民政局", DepartmentKind.FIRE: "消防救援大队",
}
# (profile, weight): what licences an institution holds, hence (through compute_standing) its standing.
PROFILES = (
    (LicenceStanding.BOTH, 45), (LicenceStanding.BUSINESS_ONLY, 25),
    (LicenceStanding.SCHOOL_ONLY, 5), (LicenceStanding.NONE, 25),
)
PROFILE_NAMES = [profile for profile, _ in PROFILES]
PROFILE_WEIGHTS = [weight for _, weight in PROFILES]
# 已注销 (cancelled) is reached by the 注销 procedure, not generated.
OPERATING_STATES = (OperatingState.OPERATING, OperatingState.SUSPENDED, OperatingState.CLOSED, OperatingState.BANNED)
PREMISES = tuple(PremisesType.values)
CATEGORIES = tuple(Category.values)
STAGES = tuple(StudentStage.values)
STANDINGS = tuple(LicenceStanding.values)


@dataclass(slots=True)
class Area:
    """A county where institutions are placed."""

    county_code: str
    county_name: str
    city_name: str
    townships: tuple[str, ...]
    roads: tuple[str, ...]
    province_abbreviation: str = ""


@dataclass(slots=True)
class FakeLicence:
    kind: str
    number: str
    state: str
    issued_on: date
    valid_until: date | None
    issuer_id: int | None
    issuer_name: str
    scope: str


@dataclass(slots=True)
class FakeSite:
    address: str
    region_id: str
    premises_type: str
    area_m2: int
    approved: bool
    approval_reference: str


@dataclass(slots=True)
class FakeTeacher:
    name: str
    subject: str
    qualification_number: str
    diploma: str
    is_in_service_teacher: bool


@dataclass(slots=True)
class FakeInstitution:
    fields: dict
    licences: list[FakeLicence] = field(default_factory=list)
    sites: list[FakeSite] = field(default_factory=list)
    teachers: list[FakeTeacher] = field(default_factory=list)


def organisation_code(serial: int) -> str:
    """9-character organisation code (GB 11714: 8 digits, check character); unique per serial < 10^8."""
    body = f"{(serial * 7919 + 20240917) % 100_000_000:08d}"  # 7919 is prime to 10^8: a bijection
    total = sum(int(char) * weight for char, weight in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def credit_code(*, county_code: str, serial: int, non_profit: bool = False) -> str:
    """统一社会信用代码: authority and type (91 enterprise, 52 民办非企业单位), county, org code."""
    first17 = ("52" if non_profit else "91") + county_code[:6] + organisation_code(serial)
    return first17 + credit_code_check_char(first17)


class InstitutionFaker:
    """Builds one institution and its licences, sites and teachers at a time; deterministic for a seed.

    `issuers` maps (county code, department kind) to (department id, department name); where a
    department is missing the licence is recorded with the issuer's name only.
    """

    def __init__(self, *, seed: int = 0, today: date, issuers: dict | None = None):
        self.rng = random.Random(seed)
        self.today = today
        self.issuers = issuers or {}

    # ---- small pieces ----------------------------------------------------------------------------
    def person(self) -> str:
        rng = self.rng
        given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
        return rng.choice(SURNAMES) + given

    def phone(self) -> str:
        rng = self.rng
        if rng.random() < 0.3:
            return f"0531-{rng.randint(80000000, 89999999)}"
        return f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"

    def address(self, area: Area, premises_type: str) -> str:
        rng = self.rng
        road = rng.choice(area.roads)
        number = rng.randint(1, 399)
        if premises_type == PremisesType.RESIDENTIAL:
            return (f"{area.county_name}{road}{number}号{rng.choice(BRANDS)}{rng.choice(RESIDENTIAL)}"
                    f"{rng.randint(1, 30)}号楼{rng.randint(1, 3)}单元{rng.randint(101, 2802)}室")
        if premises_type == PremisesType.BASEMENT:
            return f"{area.county_name}{road}{number}号{rng.choice(BUILDINGS)}负一层"
        if premises_type == PremisesType.OTHER:
            return f"{area.county_name}{road}{number}号院内{rng.randint(1, 6)}号平房"
        return (f"{area.county_name}{road}{number}号{rng.choice(BUILDINGS)}"
                f"{rng.randint(2, 12)}层{rng.randint(1, 30):02d}室")

    def _issuer(self, area: Area, licence_kind: str) -> tuple[int | None, str]:
        department_kind = ISSUING_KIND[licence_kind]
        found = self.issuers.get((area.county_code, department_kind))
        if found:
            return found
        return None, area.county_name + ISSUER_SUFFIX[department_kind]

    def _dates(self, state: str) -> tuple[date, date | None]:
        """Issue date and validity that fit the state: valid ones run past today, expired ones do not."""
        rng, today = self.rng, self.today
        if state == LicenceState.EXPIRED:
            valid_until = today - timedelta(days=rng.randint(1, 900))
            return valid_until - timedelta(days=365 * rng.choice((3, 5))), valid_until
        issued_on = today - timedelta(days=rng.randint(30, 1800))
        if state == LicenceState.VALID:
            # A few run out within the next two months, so the expiry reminders have something to find.
            ahead = rng.randint(1, 60) if rng.random() < 0.08 else rng.randint(61, 1500)
            return issued_on, today + timedelta(days=ahead)
        return issued_on, issued_on + timedelta(days=365 * 3)

    def _licence(self, area: Area, kind: str, state: str, *, serial: int, code: str, category: str,
                 version: int = 0) -> FakeLicence:
        issuer_id, issuer_name = self._issuer(area, kind)
        issued_on, valid_until = self._dates(state)
        subject_scope = "、".join(self.rng.sample(SUBJECTS[category], k=min(2, len(SUBJECTS[category]))))
        if kind == LicenceKind.SCHOOL_RUNNING:
            # 教民 + 15 digits (issuer level, county, serial) + 号; the earlier, lapsed licence of an
            # institution that holds two was issued one level up.
            number = f"教民{3 if version else 2}{area.county_code}{serial % 100_000_000:08d}号"
            scope = f"{subject_scope}培训"
        elif kind == LicenceKind.FIRE_SAFETY:
            number = f"{area.county_code}消验字〔{issued_on.year}〕第{serial:08d}号"
            scope = "消防安全检查合格"
            valid_until = None if state == LicenceState.VALID else valid_until
        else:
            # Since 2016 the business licence and the non-enterprise certificate carry the credit code.
            number = code
            scope = f"{subject_scope}培训"
            if category != Category.ACADEMIC:
                scope += "服务（不含学科类培训）"
            if state == LicenceState.VALID and self.rng.random() < 0.6:
                valid_until = None  # 长期
        return FakeLicence(kind=kind, number=number, state=state, issued_on=issued_on,
                           valid_until=valid_until, issuer_id=issuer_id, issuer_name=issuer_name, scope=scope)

    def _licences(self, area: Area, profile: str, *, serial: int, code: str, category: str,
                  registration_kind: str) -> list[FakeLicence]:
        rng = self.rng
        made: list[FakeLicence] = []

        def add(kind, state, version=0):
            made.append(self._licence(area, kind, state, serial=serial, code=code, category=category,
                                      version=version))

        lapsed = (LicenceState.EXPIRED, LicenceState.REVOKED, LicenceState.SUSPENDED)
        if profile == LicenceStanding.BOTH:
            add(LicenceKind.SCHOOL_RUNNING, LicenceState.VALID, version=1)
            add(registration_kind, LicenceState.VALID)
            if rng.random() < 0.1:
                add(LicenceKind.SCHOOL_RUNNING, rng.choice((LicenceState.EXPIRED, LicenceState.REVOKED)))
            if rng.random() < 0.3:
                add(LicenceKind.FIRE_SAFETY, LicenceState.VALID)
        elif profile == LicenceStanding.BUSINESS_ONLY:
            add(registration_kind, LicenceState.VALID)
            roll = rng.random()
            if roll < 0.3:
                add(LicenceKind.SCHOOL_RUNNING, rng.choice(lapsed))
        elif profile == LicenceStanding.SCHOOL_ONLY:
            add(LicenceKind.SCHOOL_RUNNING, LicenceState.VALID, version=1)
            if code and rng.random() < 0.6:
                add(registration_kind, rng.choice(lapsed))
        elif code:  # NONE, but once registered: the registration has lapsed
            add(registration_kind, rng.choice(lapsed))
            if rng.random() < 0.3:
                add(LicenceKind.SCHOOL_RUNNING, rng.choice((LicenceState.REVOKED, LicenceState.EXPIRED)))
        return made

    def _teachers(self, count: int, category: str, province_code: str) -> list[FakeTeacher]:
        rng = self.rng
        teachers = []
        for _ in range(count):
            qualified = rng.random() < (0.92 if category == Category.ACADEMIC else 0.75)
            year = rng.randint(2008, 2023)
            number = f"{year}{province_code}{rng.randint(0, 99_999_999_999):011d}"
            teachers.append(FakeTeacher(
                name=self.person(),
                subject=rng.choice(SUBJECTS[category]),
                qualification_number=number if qualified else "",
                diploma=rng.choice(DIPLOMAS),
                is_in_service_teacher=rng.random() < 0.02,
            ))
        return teachers

    def _sites(self, count: int, area: Area) -> list[FakeSite]:
        rng = self.rng
        sites = []
        for _ in range(count):
            premises = PremisesType.COMMERCIAL if rng.random() < 0.85 else rng.choice(PREMISES)
            approved = premises == PremisesType.COMMERCIAL and rng.random() < 0.7
            sites.append(FakeSite(
                address=self.address(area, premises), region_id=rng.choice(area.townships),
                premises_type=premises,
                area_m2=rng.randint(60, 1200), approved=approved,
                approval_reference=f"{area.county_name[:2]}教民审〔{self.today.year - rng.randint(0, 4)}〕"
                                   f"{rng.randint(1, 400)}号" if approved else "",
            ))
        return sites

    # ---- one institution -------------------------------------------------------------------------
    def institution(self, *, serial: int, area: Area, force: dict | None = None,
                    teachers_mean: float = 3.0, sites_mean: float = 0.3) -> FakeInstitution:
        """One institution; `force` may pin profile, operating_state, premises_type, category, stage,
        sites, teachers, delivery or profit_type (the demo uses it to cover every value)."""
        rng = self.rng
        force = force or {}
        category = force.get("category") or rng.choices(CATEGORIES, weights=(25, 20, 30, 15, 10))[0]
        profile = force.get("profile") or rng.choices(PROFILE_NAMES, weights=PROFILE_WEIGHTS)[0]
        if "premises_type" in force:
            premises = force["premises_type"]
        else:
            forbidden_chance = 0.25 if profile == LicenceStanding.NONE else 0.03
            if rng.random() < forbidden_chance:
                premises = rng.choice((PremisesType.RESIDENTIAL, PremisesType.BASEMENT))
            else:
                premises = PremisesType.OTHER if rng.random() < 0.05 else PremisesType.COMMERCIAL
        # After 双减 subject tutoring must be non-profit; the rest mostly register as businesses.
        profit_type = force.get("profit_type") or (
            ProfitType.NON_PROFIT if category == Category.ACADEMIC or rng.random() < 0.1
            else ProfitType.FOR_PROFIT)
        non_profit = profit_type == ProfitType.NON_PROFIT
        registration_kind = LicenceKind.NON_ENTERPRISE if non_profit else LicenceKind.BUSINESS
        # Never registered: some unlicensed ones have no credit code at all.
        unregistered = profile in (LicenceStanding.NONE, LicenceStanding.SCHOOL_ONLY) and rng.random() < 0.5
        code = "" if unregistered else credit_code(county_code=area.county_code, serial=serial,
                                                   non_profit=non_profit)

        subject = rng.choice(SUBJECTS[category])
        pattern = rng.choice(NAME_PATTERNS[category])
        name = pattern.format(city=area.city_name, county=area.county_name[:2], brand=rng.choice(BRANDS),
                              subject=subject)
        stage = force.get("stage")
        serves = {"serves_preschool": False, "serves_compulsory": False, "serves_senior_high": False}
        if stage:
            serves[f"serves_{stage}"] = True
        elif category == Category.ACADEMIC:
            serves["serves_compulsory"] = rng.random() < 0.8
            serves["serves_senior_high"] = not serves["serves_compulsory"] or rng.random() < 0.3
        elif category != Category.VOCATIONAL:
            serves["serves_preschool"] = rng.random() < 0.4
            serves["serves_compulsory"] = rng.random() < 0.85
            serves["serves_senior_high"] = rng.random() < 0.15
        delivery = force.get("delivery") or rng.choices(tuple(Delivery.values), weights=(80, 5, 15))[0]

        licences = self._licences(area, profile, serial=serial, code=code, category=category,
                                  registration_kind=registration_kind)
        if delivery != Delivery.OFFLINE and code and rng.random() < 0.5:
            issued_on = self.today - timedelta(days=rng.randint(30, 1000))
            licences.append(FakeLicence(
                kind=LicenceKind.ICP, number=f"{area.province_abbreviation or '鲁'}B2-{serial:09d}",
                state=LicenceState.VALID, issued_on=issued_on,
                valid_until=issued_on + timedelta(days=365 * 5),
                issuer_id=None, issuer_name="通信管理局", scope="第二类增值电信业务中的信息服务业务"))
        standing = compute_standing(licences, self.today)

        if "operating_state" in force:
            state = force["operating_state"]
        elif standing == LicenceStanding.NONE or premises in FORBIDDEN_PREMISES:
            state = rng.choices(OPERATING_STATES, weights=(30, 30, 20, 20))[0]
        else:
            state = rng.choices(OPERATING_STATES, weights=(86, 8, 5, 1))[0]

        teacher_count = force.get("teachers")
        if teacher_count is None:
            teacher_count = max(0, round(rng.gauss(teachers_mean, teachers_mean / 2)))
        site_count = force.get("sites")
        if site_count is None:
            site_count = rng.choice((1, 1, 2, 3)) if rng.random() < sites_mean / 1.75 else 0

        legal = self.person()
        fields = {
            "name": name,
            "credit_code": code,
            "organiser": (legal if non_profit or rng.random() < 0.5
                          else f"{area.city_name}{rng.choice(BRANDS)}教育科技有限公司"),
            "legal_representative": legal,
            "principal": legal,  # no draw of its own: the seeded streams stay as they were
            "scope": "、".join(SUBJECTS[category][:3]) + "等培训",
            "contact_phone": self.phone(),
            "address": self.address(area, premises),
            "region_id": rng.choice(area.townships),
            "premises_type": premises,
            "category": category,
            **serves,
            "delivery": delivery,
            "profit_type": profit_type,
            "operating_state": state,
            "licence_standing": standing,
            "fund_account": (f"{rng.choice(BANKS)} {rng.randint(10**15, 10**16 - 1)}"
                             if standing != LicenceStanding.NONE and rng.random() < 0.7 else ""),
            "notes": "",
        }
        return FakeInstitution(
            fields=fields, licences=licences,
            sites=self._sites(site_count, area),
            teachers=self._teachers(teacher_count, category, area.county_code[:2]),
        )
