"""Seed the library of provisions (法律条款库) with the articles the campaign checklist and Order No. 53 need.

The texts are the seed written from the published laws as the developers know them: every row is loaded with
checked=False, and the legal office checks each against the official text in admin (docs/provisions.md).
Loading twice changes nothing (rows are matched by law, article and paragraph)."""

from django.db import migrations

ORDER_53 = "校外培训行政处罚暂行办法"
PRIVATE_EDUCATION = "民办教育促进法"
MINORS = "未成年人保护法"
ADVERTISING = "广告法"
PRICE = "价格法"
FIRE = "消防法"

EDUCATION_AUTHORITY = "县级以上人民政府校外培训主管部门（教育行政部门）"

# (law, article, paragraph, gist, role, allowed kinds, fine basis, min, max, serious min, serious max,
#  competent authority, checklist codes, penalty articles [(law, article)], text)
PROVISIONS = [
    # ---- 校外培训行政处罚暂行办法（教育部令第53号） ----
    (
        ORDER_53, "第十七条", "", "未经审批擅自开展校外培训", "penalty",
        ["stop_running", "fine"], "income_multiple", "1", "5", None, None,
        EDUCATION_AUTHORITY + "会同公安、民政或者市场监督管理等有关部门", ["C03"], [],
        "自然人、法人或者非法人组织未经审批开展校外培训的，由县级人民政府校外培训主管部门会同公安、民政或者"
        "市场监督管理等有关部门责令停止举办、退还所收费用，并对举办者处违法所得一倍以上五倍以下罚款。"
        "具有下列情形之一的，属于前款规定的未经审批开展校外培训：（一）利用自有场所或者租用场所、网站、"
        "应用程序等开展培训的；（二）聘用二人以上从事培训活动的；（三）以组织名义开展培训的。",
    ),
    (
        ORDER_53, "第十八条", "", "隐形变异开展学科类校外培训", "penalty",
        ["warning", "fine"], "amount", None, "50000", "50000", "100000",
        EDUCATION_AUTHORITY, ["C03"], [],
        "以下列方式违规开展学科类校外培训的，由县级人民政府校外培训主管部门责令改正，退还所收费用，予以警告"
        "或者通报批评；情节严重的，处五万元以下罚款；情节特别严重的，处五万元以上十万元以下罚款："
        "（一）通过即时通讯、网络会议、直播平台等方式有偿组织开展的；（二）以咨询、文化传播、素质拓展、"
        "竞赛、思维训练、家政服务、家庭教育指导、住家教师、众筹私教、游学、研学、冬夏令营、托管等名义"
        "有偿组织开展的；（三）在居民楼、酒店、宾馆、写字楼等场所有偿组织开展的；（四）其他隐形变异"
        "开展学科类校外培训的。",
    ),
    (
        ORDER_53, "第十九条", "", "校外培训机构违规开展培训活动", "penalty",
        ["warning", "confiscation", "stop_enrolment", "licence_revocation"], "none", None, None, None, None,
        EDUCATION_AUTHORITY, ["C01", "C03", "C04", "C05", "C07", "C09", "C10", "C11"], [],
        "校外培训机构有下列行为之一的，由审批机关、主管部门依据职责分工责令改正，退还所收费用，予以警告或者"
        "通报批评；有违法所得的，没收违法所得；情节严重的，责令停止招收学员；情节特别严重的，吊销许可证件："
        "（一）超出审批范围开展培训的；（二）培训内容超标超前、违背教育规律的；（三）聘用不具备相应资质的"
        "人员从事培训活动或者聘用中小学在职教师的；（四）违反规定收费、一次性收取或者以充值、次卡等形式变相"
        "收取时间跨度超过三个月或者六十课时的费用的；（五）发布虚假或者引人误解的招生宣传、与学校串通招生的；"
        "（六）组织与招生入学挂钩的竞赛、排名、考试的；（七）其他违反国家有关规定开展培训活动的。",
    ),
    (
        ORDER_53, "第二十条", "", "对负有责任的举办者、负责人限制从业", "penalty",
        ["warning", "trade_restriction"], "none", None, None, None, None,
        EDUCATION_AUTHORITY, ["C08"], [],
        "校外培训机构违法行为情节特别严重，造成恶劣社会影响的，对负有责任的举办者、实际控制人、负责人，"
        "可以依法限制其在一定期限内从事校外培训相关工作。",
    ),
    (
        ORDER_53, "第十条", "", "从重处罚情形", "obligation",
        [], "none", None, None, None, None, "", [], [],
        "有下列情形之一的，依法从重处罚：（一）组织中小学在职教师参与校外培训的；（二）两年内因同一违法行为"
        "受到行政处罚后再次实施的；（三）拒绝、阻碍执法人员依法调查取证的；（四）其他依法应当从重处罚的。",
    ),
    # ---- 民办教育促进法（2018年修正） ----
    (
        PRIVATE_EDUCATION, "第六十二条", "", "民办学校违法办学行为", "penalty",
        ["warning", "confiscation", "stop_enrolment", "licence_revocation"], "none", None, None, None, None,
        "县级以上人民政府教育行政部门、人力资源社会保障行政部门或者其他有关部门", ["C09", "C10"], [],
        "民办学校有下列行为之一的，由县级以上人民政府教育行政部门、人力资源社会保障行政部门或者其他有关部门"
        "责令限期改正，并予以警告；有违法所得的，退还所收费用后没收违法所得；情节严重的，责令停止招生、吊销"
        "办学许可证；构成犯罪的，依法追究刑事责任：（一）擅自分立、合并民办学校的；（二）擅自改变民办学校"
        "名称、层次、类别和举办者的；（三）发布虚假招生简章或者广告，骗取钱财的；（四）非法颁发或者伪造学历"
        "证书、结业证书、培训证书、职业资格证书的；（五）管理混乱严重影响教育教学，产生恶劣社会影响的；"
        "（六）提交虚假证明文件或者采取其他欺诈手段隐瞒重要事实骗取办学许可证的；（七）伪造、变造、买卖、"
        "出租、出借办学许可证的；（八）恶意终止办学、抽逃资金或者挪用办学经费的。",
    ),
    (
        PRIVATE_EDUCATION, "第六十四条", "", "擅自举办民办学校", "penalty",
        ["stop_running", "fine"], "income_multiple", "1", "5", None, None,
        "县级以上地方人民政府教育行政部门或者人力资源社会保障行政部门会同公安、民政或者市场监督管理等有关部门",
        [], [],
        "违反国家有关规定擅自举办民办学校的，由所在地县级以上地方人民政府教育行政部门或者人力资源社会保障行政"
        "部门会同同级公安、民政或者市场监督管理等有关部门责令停止办学、退还所收费用，并对举办者处违法所得一倍"
        "以上五倍以下罚款；构成违反治安管理行为的，由公安机关依法给予治安管理处罚；构成犯罪的，依法追究刑事"
        "责任。",
    ),
    (
        PRIVATE_EDUCATION, "第十二条", "", "民办学校的审批", "obligation",
        [], "none", None, None, None, None, "", ["C01"], [(PRIVATE_EDUCATION, "第六十四条"), (ORDER_53, "第十七条")],
        "举办实施学历教育、学前教育、自学考试助学及其他文化教育的民办学校，由县级以上人民政府教育行政部门按照"
        "国家规定的权限审批；举办实施以职业技能为主的职业资格培训、职业技能培训的民办学校，由县级以上人民政府"
        "人力资源社会保障行政部门按照国家规定的权限审批，并抄送同级教育行政部门备案。",
    ),
    (
        PRIVATE_EDUCATION, "第二十九条", "", "教师任教资格", "obligation",
        [], "none", None, None, None, None, "", ["C04"], [(ORDER_53, "第十九条")],
        "民办学校聘任的教师，应当具有国家规定的任教资格。",
    ),
    (
        PRIVATE_EDUCATION, "第四十二条", "", "招生简章和广告备案", "obligation",
        [], "none", None, None, None, None, "", ["C10"], [(PRIVATE_EDUCATION, "第六十二条")],
        "民办学校的招生简章和广告，应当报审批机关备案。",
    ),
    # ---- 未成年人保护法（2020年修订） ----
    (
        MINORS, "第三十三条", "第三款", "不得对学龄前儿童进行小学课程教育", "obligation",
        [], "none", None, None, None, None, "", ["C03"], [(ORDER_53, "第十九条")],
        "幼儿园、校外培训机构不得对学龄前未成年人进行小学课程教育。",
    ),
    (
        MINORS, "第六十二条", "", "入职查询和定期查询", "obligation",
        [], "none", None, None, None, None, "", ["C04"], [(MINORS, "第一百二十六条")],
        "密切接触未成年人的单位招聘工作人员时，应当向公安机关、人民检察院查询应聘者是否具有性侵害、虐待、"
        "拐卖、暴力伤害等违法犯罪记录；发现其具有前述行为记录的，不得录用。密切接触未成年人的单位应当每年定期"
        "对工作人员是否具有上述违法犯罪记录进行查询。通过查询或者其他方式发现其工作人员具有上述行为的，应当"
        "及时解聘。",
    ),
    (
        MINORS, "第一百二十六条", "", "未履行查询义务", "penalty",
        ["warning", "fine", "licence_revocation"], "amount", None, "50000", "50000", "500000",
        "教育、人力资源和社会保障、市场监督管理等部门", ["C04"], [],
        "密切接触未成年人的单位违反本法第六十二条规定，未履行查询义务，或者招聘、继续聘用具有相关违法犯罪记录"
        "人员的，由教育、人力资源和社会保障、市场监督管理等部门按照职责分工责令限期改正，给予警告，并处五万元"
        "以下罚款；拒不改正或者造成严重后果的，责令停业整顿或者吊销营业执照、吊销相关许可证，并处五万元以上"
        "五十万元以下罚款，对直接负责的主管人员和其他直接责任人员依法给予处分。",
    ),
    # ---- 广告法（2021年修正） ----
    (
        ADVERTISING, "第二十四条", "", "教育、培训广告的禁止内容", "obligation",
        [], "none", None, None, None, None, "", ["C10"], [(ADVERTISING, "第五十八条")],
        "教育、培训广告不得含有下列内容：（一）对升学、通过考试、获得学位学历或者合格证书，或者对教育、培训"
        "的效果作出明示或者暗示的保证性承诺；（二）明示或者暗示有相关考试机构或者其工作人员、考试命题人员参与"
        "教育、培训；（三）利用科研单位、学术机构、教育机构、行业协会、专业人士、受益者的名义或者形象作推荐、"
        "证明。",
    ),
    (
        ADVERTISING, "第三十九条", "", "不得在中小学校、幼儿园内开展广告活动", "obligation",
        [], "none", None, None, None, None, "", ["C10"], [(ADVERTISING, "第五十八条")],
        "不得在中小学校、幼儿园内开展广告活动，不得利用中小学生和幼儿的教材、教辅材料、练习册、文具、教具、"
        "校服、校车等发布或者变相发布广告，但公益广告除外。",
    ),
    (
        ADVERTISING, "第五十八条", "", "违反教育培训广告规定（广告费用无法计算时的罚款幅度）", "penalty",
        ["fine"], "amount", "100000", "200000", "200000", "1000000",
        "市场监督管理部门（教育部门移送）", ["C10"], [],
        "有下列行为之一的，由市场监督管理部门责令停止发布广告，责令广告主在相应范围内消除影响，处广告费用一倍"
        "以上三倍以下的罚款，广告费用无法计算或者明显偏低的，处十万元以上二十万元以下的罚款；情节严重的，处广告"
        "费用三倍以上五倍以下的罚款，广告费用无法计算或者明显偏低的，处二十万元以上一百万元以下的罚款，可以吊销"
        "营业执照，并由广告审查机关撤销广告审查批准文件、一年内不受理其广告审查申请：……（七）违反本法第二十四条"
        "规定发布教育、培训广告的；……（十二）违反本法第三十九条规定，在中小学校、幼儿园内或者利用与中小学生、"
        "幼儿有关的物品发布广告的；……",
    ),
    # ---- 价格法 ----
    (
        PRICE, "第十三条", "", "明码标价", "obligation",
        [], "none", None, None, None, None, "", ["C01", "C09"], [(PRICE, "第四十二条")],
        "经营者销售、收购商品和提供服务，应当按照政府价格主管部门的规定明码标价，注明商品的品名、产地、规格、"
        "等级、计价单位、价格或者服务的项目、收费标准等有关情况。经营者不得在标价之外加价出售商品，不得收取任何"
        "未予标明的费用。",
    ),
    (
        PRICE, "第四十二条", "", "违反明码标价规定", "penalty",
        ["confiscation", "fine"], "amount", None, "5000", None, None,
        "价格主管部门（市场监督管理部门）", ["C01", "C09"], [],
        "经营者违反明码标价规定的，责令改正，没收违法所得，可以并处五千元以下的罚款。",
    ),
    # ---- 消防法（2021年修正） ----
    (
        FIRE, "第十六条", "", "单位的消防安全职责", "obligation",
        [], "none", None, None, None, None, "", ["C02", "C06"], [(FIRE, "第六十条")],
        "机关、团体、企业、事业等单位应当履行下列消防安全职责：（一）落实消防安全责任制，制定本单位的消防安全"
        "制度、消防安全操作规程，制定灭火和应急疏散预案；（二）按照国家标准、行业标准配置消防设施、器材，设置"
        "消防安全标志，并定期组织检验、维修，确保完好有效；（三）对建筑消防设施每年至少进行一次全面检测，确保"
        "完好有效，检测记录应当完整准确，存档备查；（四）保障疏散通道、安全出口、消防车通道畅通，保证防火防烟"
        "分区、防火间距符合消防技术标准；（五）组织防火检查，及时消除火灾隐患；（六）组织进行有针对性的消防"
        "演练；（七）法律、法规规定的其他消防安全职责。单位的主要负责人是本单位的消防安全责任人。",
    ),
    (
        FIRE, "第二十八条", "", "不得占用、堵塞疏散通道和安全出口", "obligation",
        [], "none", None, None, None, None, "", ["C06"], [(FIRE, "第六十条")],
        "任何单位、个人不得损坏、挪用或者擅自拆除、停用消防设施、器材，不得埋压、圈占、遮挡消火栓或者占用防火"
        "间距，不得占用、堵塞、封闭疏散通道、安全出口、消防车通道。人员密集场所的门窗不得设置影响逃生和灭火救援"
        "的障碍物。",
    ),
    (
        FIRE, "第六十条", "第一款", "单位违反消防安全规定", "penalty",
        ["fine"], "amount", "5000", "50000", None, None,
        "消防救援机构（教育部门移送）", ["C02", "C06"], [],
        "单位违反本法规定，有下列行为之一的，责令改正，处五千元以上五万元以下罚款：（一）消防设施、器材或者消防"
        "安全标志的配置、设置不符合国家标准、行业标准，或者未保持完好有效的；（二）损坏、挪用或者擅自拆除、停用"
        "消防设施、器材的；（三）占用、堵塞、封闭疏散通道、安全出口或者有其他妨碍安全疏散行为的；（四）埋压、"
        "圈占、遮挡消火栓或者占用防火间距的；（五）占用、堵塞、封闭消防车通道，妨碍消防车通行的；（六）人员"
        "密集场所在门窗上设置影响逃生和灭火救援的障碍物的；（七）对火灾隐患经消防救援机构通知后不及时采取措施"
        "消除的。",
    ),
]


def load(apps, schema_editor):
    Provision = apps.get_model("penalties", "Provision")
    rows = {}
    for position, row in enumerate(PROVISIONS, start=1):
        (law, article, paragraph, gist, role, kinds, basis, low, high, s_low, s_high, authority, codes, _refs,
         text) = row
        provision, _created = Provision.objects.get_or_create(
            law=law,
            article=article,
            paragraph=paragraph,
            defaults={
                "gist": gist, "role": role, "allowed_kinds": kinds, "fine_basis": basis, "fine_min": low,
                "fine_max": high, "serious_fine_min": s_low, "serious_fine_max": s_high,
                "competent_authority": authority, "checklist_codes": codes, "text": text,
                "position": position * 10, "checked": False,
            },
        )
        rows[(law, article)] = provision
    for law, article, _p, *_rest, refs, _text in PROVISIONS:
        if refs:
            rows[(law, article)].penalty_articles.add(*[rows[ref] for ref in refs])


def unload(apps, schema_editor):
    Provision = apps.get_model("penalties", "Provision")
    for law, article, paragraph, *_rest in PROVISIONS:
        Provision.objects.filter(law=law, article=article, paragraph=paragraph, checked=False).delete()


class Migration(migrations.Migration):
    dependencies = [("penalties", "0004_provision")]

    operations = [migrations.RunPython(load, unload)]
