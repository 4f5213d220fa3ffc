"""The fictional demo county: 云岭市, a county-level city with 120 enterprises.

``populate(today, seed)`` adds six months of activity up to ``today`` — units, people,
enterprises with their 包联 assignments, the policy catalogue, weekly visits, about
300 problems in every state with their timelines, meetings with decisions, and a few
notifications — to ``db.session`` and flushes without committing. All randomness
comes from one ``random.Random(seed)``, and the demo clock is ``today`` 12:00
Asia/Shanghai — or the present moment when the demo of today is loaded in the morning,
so that nothing in it has happened later than now — so the same seed and ``today``
(past or after noon) always give the same data.
"""
from __future__ import annotations

import random
import uuid
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial

from pypinyin import Style, lazy_pinyin
from sqlalchemy import insert, select, update

from crm.auth.models import Unit, User
from crm.core.counters import next_value
from crm.core.models import Counter, Notification
from crm.core.timeutil import local_midnight_utc, local_today, to_local, utcnow, week_start
from crm.enterprises.credit_code import CHARSET, make
from crm.enterprises.models import Contact, Enterprise
from crm.extensions import db
from crm.issues.deadlines import (
    StageLimits,
    WorkCalendar,
    add_working_days,
    is_workday,
    local_date,
    overrides_between,
    pause_shift,
    shift_instant,
    start_clock,
    warn_instant,
)
from crm.issues import reference
from crm.issues.reference import CATEGORIES, DEFAULT_RULES
from crm.issues.models import Category, DeadlineRule, Issue, IssueEvent, IssueUnit
from crm.liaisons.models import Assignment, Policy, Visit, VisitFactor, VisitPolicy
from crm.liaisons.policies import policy_fits
from crm.meetings.models import AgendaItem, Decision, Meeting, TypicalCase

DEMO_PASSWORD = "crm-demo"
DEMO_SIGNINS = [("admin", "admin"), ("coordinator", "coordinator"), ("leader", "leader"),
                ("commissioner", "commissioner"), ("handler", "handler")]

# --------------------------------------------------------------------------- data
CITY = "云岭市"
TOWNS = ("城关街道办事处 东城街道办事处 西城街道办事处 青石镇人民政府 柳河镇人民政府 白沙镇人民政府 "
         "龙泉镇人民政府 马坊镇人民政府 石桥镇人民政府 新集镇人民政府 双河镇人民政府 桃源乡人民政府").split()
DEPARTMENTS = ("市发展和改革局 市工业和信息化局 市自然资源局 市人力资源和社会保障局 市住房和城乡建设局 "
               "市市场监督管理局 市税务局 市供电公司 市水务集团 市金融工作局 市科学技术局 市商务局 "
               "市行政审批服务局 市公安局").split()
GOV_OFFICE = "市政府办公室"
HR_BUREAU = "市人力资源和社会保障局"   # the demo handler's unit: most problems land here
IIT_BUREAU = "市工业和信息化局"        # houses the joint office (联席办)
DEMO_TOWN = "青石镇人民政府"

# How often each category (in ``CATEGORIES`` order) comes up in the demo.
CATEGORY_WEIGHTS = [14, 9, 20, 10, 10, 10, 6, 6, 6, 4, 5]
LEVEL_CN = {"consult": "咨询类", "ordinary": "一般类", "complex": "复杂类"}

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶"
            "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏付方白邹孟熊秦邱江尹薛段雷侯龙史陶贺顾毛郝龚邵")
GIVEN = ("建国 志强 海燕 丽娟 秀英 桂兰 晓东 文博 思远 明辉 国庆 卫东 红梅 春华 永刚 俊杰 雪梅 宏伟 "
         "建华 晓燕 玉兰 德胜 立新 少华 振华 学军 慧敏 佳琪 浩然 新民 金凤 亚楠 晨阳 伟 磊 静 敏 婷 "
         "军 勇 艳 杰 涛 明 超 鹏 霞 峰 强 芳 斌 娜 亮 瑶 鑫").split()
BRANDS = ("兴发 恒达 鑫源 华锐 金泰 宏远 瑞丰 永信 天成 盛世 汇通 佳禾 德润 博远 裕丰 长青 万通 富民 "
          "泰和 安顺 锦程 明达 宏图 开元 绿源 金桥 星火 海纳 凯瑞 通利 众鑫 昌盛 润禾 同创 精诚 恒信 "
          "鼎盛 华钰 中联 祥和 荣达 聚力 正弘 新锐 云岭 青川 石桥 龙泉").split()
CLUSTER_WEIGHTS = {"先进制造": 30, "绿色食品": 20, "军民融合": 7, "新材料": 12, "生物医药": 8,
                   "电子信息": 11, "现代服务": 12}
TRADES = {  # cluster -> (trade word, GB/T 4754 section)
    "先进制造": [("制管", "C"), ("机械制造", "C"), ("精密铸造", "C"), ("汽车零部件", "C"),
             ("智能装备", "C"), ("轴承", "C"), ("液压科技", "C"), ("电机", "C")],
    "绿色食品": [("食品", "C"), ("粮油", "C"), ("乳业", "C"), ("茶业", "A"), ("果蔬", "A"),
             ("肉制品", "C"), ("酿造", "C"), ("农业开发", "A")],
    "军民融合": [("特种装备", "C"), ("航空科技", "C"), ("精密仪器", "C"), ("光电", "C")],
    "新材料": [("新材料科技", "C"), ("玻纤", "C"), ("碳素", "C"), ("硅业", "C"), ("铝业", "C"),
            ("新型建材", "C")],
    "生物医药": [("药业", "C"), ("生物科技", "M"), ("医疗器械", "C"), ("制药", "C")],
    "电子信息": [("电子", "C"), ("光电科技", "C"), ("智能科技", "I"), ("线缆", "C"), ("软件", "I")],
    "现代服务": [("物流", "G"), ("供应链管理", "L"), ("商贸", "F"), ("检测技术", "M"),
             ("建设工程", "E"), ("酒店管理", "H")],
}
ROADS = "工业路 创业大道 建设路 兴业路 人民路 长江路 科技路 经开大道 迎宾大道 产业园路 纬二路 滨河路".split()
TAGS = "专精特新 高新技术企业 出口型 省级企业技术中心 瞪羚企业 上市后备 重点税源 招商引资项目".split()
CONTACT_TITLES = "副总经理 财务总监 人事行政经理 办公室主任 生产厂长".split()

POLICIES = [  # (category, issuer, title, eligibility {field: "codes"})
    ("award", "市人民政府", "关于支持先进制造业高质量发展的若干措施", {"clusters": "先进制造"}),
    ("award", "市工业和信息化局", "工业企业“小升规”培育奖励办法", {"scales": "below"}),
    ("award", "市工业和信息化局", "专精特新中小企业认定奖励实施细则", {}),
    ("award", "市工业和信息化局", "关于鼓励企业实施技术改造的奖励办法", {"industries": "C"}),
    ("award", "市工业和信息化局", "工业企业满负荷生产奖励实施细则", {"scales": "above"}),
    ("award", "市商务局", "关于支持企业开拓国际市场的奖励办法", {}),
    ("award", "市市场监督管理局", "市长质量奖评选及奖励办法", {}),
    ("award", "市金融工作局", "关于鼓励企业上市挂牌的奖励办法", {"scales": "above"}),
    ("award", "市人民政府", "关于支持链主企业带动产业链协同发展的若干措施", {"scales": "above"}),
    ("award", "市农业农村局", "农业产业化龙头企业奖励办法", {"clusters": "绿色食品"}),
    ("tax", "市税务局", "小型微利企业所得税优惠政策指引", {"scales": "below"}),
    ("tax", "市税务局", "“六税两费”减征政策操作指引", {}),
    ("tax", "市税务局", "研发费用税前加计扣除政策指引", {}),
    ("tax", "市税务局", "先进制造业企业增值税加计抵减政策解读", {"industries": "C"}),
    ("tax", "市税务局", "高新技术企业所得税优惠政策指引", {}),
    ("tax", HR_BUREAU, "关于继续实施阶段性降低失业保险费率的通知", {}),
    ("tax", "市税务局", "重点群体创业就业税收扣减政策指引", {}),
    ("tax", "市税务局", "制造业中小微企业缓缴部分税费的公告", {"industries": "C", "scales": "below"}),
    ("subsidy", IIT_BUREAU, "工业企业技术改造项目补助资金管理办法", {"industries": "C"}),
    ("subsidy", HR_BUREAU, "关于做好失业保险稳岗返还工作的通知", {}),
    ("subsidy", IIT_BUREAU, "中小企业数字化转型补助办法", {}),
    ("subsidy", "市农业农村局", "绿色食品产业发展专项资金管理办法", {"clusters": "绿色食品"}),
    ("subsidy", "市发展和改革局", "工业企业用电成本补贴实施细则", {"industries": "C"}),
    ("subsidy", "市商务局", "物流降本增效补贴办法", {"clusters": "现代服务"}),
    ("subsidy", "市科学技术局", "企业研发投入后补助办法", {}),
    ("subsidy", IIT_BUREAU, "首台（套）重大技术装备保险补偿办法", {"clusters": "先进制造,军民融合"}),
    ("subsidy", HR_BUREAU, "企业招工补贴和以工代训补贴实施细则", {}),
    ("subsidy", "经济技术开发区管委会", "标准化厂房租金补贴办法", {}),
    ("subsidy", "市商务局", "出口信用保险保费补贴办法", {}),
    ("subsidy", "市科学技术局", "生物医药创新产品研发补助办法", {"clusters": "生物医药"}),
    ("talent", "市委组织部", "“云岭英才计划”高层次人才引进实施办法", {}),
    ("talent", HR_BUREAU, "企业引进急需紧缺人才安家补贴办法", {}),
    ("talent", HR_BUREAU, "高技能人才培养补贴实施细则", {"industries": "C"}),
    ("talent", HR_BUREAU, "高校毕业生来云岭就业创业补贴办法", {}),
    ("talent", HR_BUREAU, "企业博士后科研工作站建站资助办法", {"scales": "above"}),
    ("talent", "市科学技术局", "柔性引才“周末工程师”资助办法", {}),
    ("finance", "市金融工作局", "“政银担”合作贷款实施方案", {}),
    ("finance", "市财政局", "企业应急转贷资金管理办法", {}),
    ("finance", HR_BUREAU, "创业担保贷款及贴息实施细则", {"scales": "below"}),
    ("finance", "市金融工作局", "普惠小微企业贷款风险补偿金管理办法", {"scales": "below"}),
    ("finance", "市科学技术局", "“科技贷”风险补偿资金管理办法", {}),
    ("finance", "市金融工作局", "供应链金融支持产业链稳链补链实施方案", {"scales": "above"}),
    ("finance", "市金融工作局", "知识产权质押融资贴息办法", {}),
    ("other", "市市场监督管理局", "涉企行政检查“扫码入企”实施办法", {}),
    ("other", "市行政审批服务局", "企业开办“一网通办”服务指南", {}),
    ("other", "市行政审批服务局", "工程建设项目“拿地即开工”实施方案", {}),
    ("other", "市发展和改革局", "惠企政策“免申即享”工作方案", {}),
    ("other", "市住房和城乡建设局", "企业水电气暖报装“一件事”服务指南", {}),
    ("other", "市自然资源局", "工业用地“标准地”出让实施办法", {"industries": "C"}),
    ("other", "市人民政府", "关于进一步优化营商环境的若干措施", {}),
]
POLICY_SUMMARY = {
    "tax": "符合条件的企业按规定享受税费减免，由税务部门通过电子税务局精准推送，企业自行申报享受。",
    "award": "对符合条件的企业给予一次性奖励，企业按年度申报，经部门审核、公示后兑现。",
    "subsidy": "对符合条件的项目按实际投入给予一定比例补助，单个企业补助有上限，按年度集中申报。",
    "talent": "对企业引进和培养的人才给予安家、生活和培训补贴，实行申报审核制。",
    "finance": "通过担保、贴息和风险补偿等方式降低企业融资成本，由合作银行受理。",
    "other": "优化涉企服务流程，压缩办理时限，企业可在政务服务中心或网上办理。",
}

# Problems by category: (title, description, resolution); {n} is a small number.
PROBLEMS = {
    "融资信贷": [
        ("流动资金贷款到期续贷困难", "企业一笔{n}00万元流动资金贷款下月到期，银行收紧授信，续贷存在缺口，希望协调转贷资金。",
         "协调应急转贷资金{n}00万元完成过桥，农商银行已续贷到位。"),
        ("技改项目融资需求", "企业新上自动化生产线，设备投资约{n}千万元，自有资金不足，希望对接中长期项目贷款。",
         "组织三家银行上门对接，建设银行已审批中长期贷款。"),
        ("申请创业担保贷款贴息", "企业吸纳就业人数符合条件，申请创业担保贷款贴息，不清楚办理流程。",
         "已指导企业准备材料，贴息资金已拨付。")],
    "用地规划": [
        ("扩建项目用地指标不足", "企业二期扩建需新增工业用地约{n}0亩，地块尚未纳入年度供地计划。",
         "地块已纳入年度供地计划，完成“标准地”挂牌出让。"),
        ("厂区容积率调整", "企业现有厂区容积率偏低，希望提高容积率建设多层厂房。",
         "已按程序完成规划条件调整，同意提高容积率。"),
        ("厂房不动产权证办理遗留问题", "企业早年建设的{n}栋厂房因手续不全未办理不动产权证，影响抵押融资。",
         "按历史遗留问题处置办法补办手续，不动产权证已颁发。")],
    "用工招工": [
        ("旺季普工缺口较大", "企业新接订单，预计缺普工约{n}0人，本地招工困难。",
         "组织专场招聘会两场，企业招到普工{n}0余人。"),
        ("技术工人招聘难", "企业急需数控、焊接等技术工人{n}名，希望协调职业院校定向输送。",
         "对接市职业技术学校开展订单式培养，首批学员已进厂实习。"),
        ("稳岗返还资金未到账", "企业符合稳岗返还条件，但至今未收到资金，询问办理进度。",
         "核实后稳岗返还资金已拨付至企业账户。"),
        ("员工社保转移接续", "企业新招外省员工{n}人，社保关系转移接续办理不畅。",
         "开通绿色通道，已为员工办结社保关系转移。")],
    "水电气暖": [
        ("生产用电增容", "企业新增设备后用电负荷不足，需增容{n}00千伏安。", "供电公司开辟绿色通道，已完成增容送电。"),
        ("厂区供水压力不足", "用水高峰时段厂区供水压力不足，影响正常生产。", "水务集团新铺设加压管道，供水恢复正常。"),
        ("天然气管道接入", "企业锅炉煤改气，需要接入天然气管道。", "已完成管道铺设并通气。")],
    "审批办证": [
        ("技改项目环评审批进度慢", "企业技改项目环评报告已提交，审批进度较慢，影响开工。",
         "实行容缺受理，环评批复已下达。"),
        ("施工许可证办理", "企业新建厂房已取得规划许可，申请办理施工许可证。", "并联审批，施工许可证已核发。"),
        ("食品生产许可证延续", "企业食品生产许可证即将到期，延续申请材料需要指导。", "上门指导补正材料，许可证已延续。")],
    "政策兑现": [
        ("技改奖补资金未兑现", "企业去年技改项目已通过验收，奖补资金{n}0万元尚未兑现。", "奖补资金已拨付到位。"),
        ("“小升规”奖励申报", "企业今年首次纳入规上统计，咨询“小升规”奖励申报。", "已完成申报审核，奖励资金已兑现。"),
        ("专精特新认定奖励未落实", "企业已获评省级专精特新中小企业，市级配套奖励尚未落实。", "配套奖励已列入本批次兑现计划并拨付。")],
    "基础设施": [
        ("厂区门前道路破损", "厂区门前道路破损严重，大货车通行困难，雨天积水。", "道路已纳入维修计划并完成修复。"),
        ("园区排水管网不畅", "园区雨污管网不畅，雨季厂区积水倒灌。", "完成管网疏通改造，积水问题解决。"),
        ("员工通勤公交线路", "厂区距城区较远，员工通勤不便，希望开通公交线路。", "已开通园区通勤公交专线。")],
    "市场拓展": [
        ("对接本地重点项目采购", "企业产品符合本地重点项目需求，希望参与项目采购对接。", "组织产销对接会，企业签订供货协议。"),
        ("参加境外展会补贴咨询", "企业计划参加境外专业展会，咨询展位费补贴。", "已解答政策并指导申报，补贴已兑现。"),
        ("产品进入政府采购目录", "企业新产品希望进入政府采购目录。", "已指导企业完成入驻政府采购电子卖场。")],
    "科技创新": [
        ("申报高新技术企业", "企业计划申报高新技术企业，知识产权数量不足，需要指导。", "组织专家辅导，企业已通过高企认定。"),
        ("与高校共建研发平台", "企业希望与省内高校共建研发中心，缺少对接渠道。", "促成企业与高校签订产学研合作协议。"),
        ("研发费用归集咨询", "企业研发费用归集不规范，影响加计扣除。", "税务和科技部门联合上门辅导，已规范归集。")],
    "法治环境（堵门封路、强揽工程等）": [
        ("周边人员堵门阻工", "企业扩建工地多次被周边人员堵门阻工，要求承揽土方工程。", "公安机关依法处置，施工恢复正常。"),
        ("强揽工程、强买强卖", "有人强行要求企业使用指定砂石料，价格明显高于市场。", "依法查处相关人员，企业自主采购。"),
        ("货款长期被拖欠", "企业一笔{n}0万元货款被拖欠两年，多次催要无果。", "经调解和司法程序，欠款已分期偿还。")],
    "其他": [
        ("员工子女入学", "企业引进的技术骨干子女入学需要协调。", "教育部门已协调就近入学。"),
        ("人才公寓需求", "企业新引进大学生{n}0人，住宿紧张，希望申请人才公寓。", "已安排人才公寓{n}0套。"),
        ("企业年报填报咨询", "企业对年度报告公示填报内容不清楚。", "已电话指导企业完成年报。")],
}
SUMMARIES = [
    "与企业{contact}座谈，企业订单较为饱满，产能利用率约{p}%，用工基本稳定。",
    "实地查看生产车间，企业生产经营正常，产能利用率约{p}%。",
    "了解企业新项目建设进度，设备已到厂约{p}%，计划近期试生产。",
    "了解原材料价格波动对企业成本的影响，企业表示利润空间有所压缩。",
    "向企业宣讲近期惠企政策，企业对技改奖补、研发费用加计扣除较为关注。",
    "了解企业用工情况，目前在岗职工{e}人，旺季仍有一定缺口。",
    "企业外贸订单有所回落，正积极开拓国内市场，产能利用率约{p}%。",
    "查看企业安全生产和环保设施运行情况，未发现明显问题。",
    "企业反映回款周期拉长，资金周转偏紧。",
    "了解企业研发投入和新产品开发情况，企业计划申报高新技术企业。",
]
MODE_OPENINGS = {"onsite": "", "phone": "电话联系企业负责人。", "video": "与企业负责人视频连线。",
                 "meeting": "在产业链对接会上与企业负责人交流。"}
STATUS_NOTES = {"reduced": "企业受订单不足影响减产，部分生产线停开，正在协助企业对接市场、稳定用工。",
                "halted": "企业阶段性停产，正在进行设备检修和产品转型，已协调相关部门帮助渡过难关。"}
NEXT_STEPS = ["跟进项目用地手续办理进度。", "协助企业对接银行，争取续贷。", "将企业用工需求推送至市人社局。",
              "持续关注企业订单和生产情况。", "协助企业准备高企申报材料。", "跟踪诉求办理进度，及时向企业反馈。",
              "组织企业参加银企对接会。", "下周回访，确认问题办理结果。"]
SERVICES = ["协助企业完成年报填报", "对接市场监管局上门开展计量器具检定", "帮助企业申请知识产权质押融资",
            "组织企业参加产业链供需对接会", "对接税务局开展“一对一”纳税辅导", "联系高校专家为企业开展技术诊断",
            "协调法律顾问为企业审查合同"]
FACTOR_NOTES = {
    "land": "协调解决项目用地{n}0亩", "power": "对接供电公司完成{n}00千伏安增容",
    "water": "协调解决厂区供水压力问题", "gas": "协调燃气公司保障冬季用气",
    "labour": "推送招聘信息至镇村劳务站，帮助招工{n}0人", "finance": "对接农商银行授信{n}00万元",
    "logistics": "协调物流园区仓储场地", "data": "帮助企业接入工业互联网平台",
}
PROGRESS = ["已与企业对接，正在核实具体情况。", "已召集相关科室研究，初步形成解决方案。",
            "已现场踏勘，正在协调相关单位。", "相关材料已报上级部门审核。",
            "已与企业负责人沟通，明确了办理时间表。", "协调会已召开，各方达成初步共识。"]
PAUSE_REASONS = ["等待企业补充提交申报材料。", "企业需召开董事会研究方案，待企业答复。",
                 "等待企业完成环评报告修改。", "企业负责人出差，待其返回后现场对接。"]
RETURN_REASONS = ["该事项不属于本单位职责范围，建议改派。", "诉求内容不够明确，请补充企业具体需求后再交办。",
                  "该问题涉及多个部门，建议由联席办协调确定主办单位。"]
SUPERVISE = ["该问题已超期，请加快办理并于3个工作日内反馈进展。", "红灯督办：请单位主要负责同志过问，尽快拿出解决方案。"]
INSTRUCT = ["请{unit}主要负责同志亲自过问，本周内拿出解决方案。", "企业诉求合理，请相关部门特事特办，限期解决。",
            "请联席办跟踪督办，办理结果报我。"]
COMMENTS = ["企业再次反映此事，希望加快进度。", "已向企业反馈目前办理进展，企业表示理解。"]
RATING_COMMENTS = {5: "办理及时，非常满意！", 4: "问题基本解决，效率还可以再提高。", 3: "问题解决了，但时间偏长。",
                   2: "只答复了政策，实际问题没有解决。", 1: "多次反映，至今未解决，不满意。"}
DECISIONS = [  # (responsible unit, short title, decision text, days to complete)
    ("市自然资源局", "开发区东区工业用地收储和规划调整",
     "由市自然资源局牵头，会同市住房和城乡建设局，完成经济技术开发区东区工业用地收储和规划调整，"
     "保障重点项目落地。", 30),
    (HR_BUREAU, "重点企业专场招聘",
     "由市人力资源和社会保障局牵头，联合各镇办组织重点企业专场招聘，缓解普工缺口。", 20),
    ("市金融工作局", "规上企业“一企一策”续贷方案",
     "由市金融工作局牵头，组织银企对接会，对资金周转困难的规上企业“一企一策”制定续贷方案。", 15),
]


# --------------------------------------------------------------------------- context
@dataclass
class _VisitRef:
    """A generated visit: its row (written in bulk), what it delivered, and the facts
    problems need (id once written, time, author, enterprise)."""

    index: int
    row: dict
    at: datetime
    author_id: int
    enterprise_id: int
    visit_date: date
    factors: list[tuple[str, str]]
    policy_ids: list[int]
    id: int | None = None


@dataclass
class _Spec:
    """What one generated problem should end up as."""

    state: str
    light: str | None = None
    category: str | None = None
    author: User | None = None   # raise it in one of this commissioner's visits
    source: str = "visit"
    duplicate: bool = False      # closed straight from new as a duplicate


@dataclass
class _Ctx:
    """Shared state of one ``populate`` run."""

    rng: random.Random
    today: date
    now: datetime
    window_start: date
    overrides: dict
    units: dict[str, Unit] = field(default_factory=dict)
    unit_names: dict[int, str] = field(default_factory=dict)
    users: list[User] = field(default_factory=list)
    towns: list[Unit] = field(default_factory=list)
    categories: dict[str, Category] = field(default_factory=dict)
    limits: dict[str, tuple] = field(default_factory=dict)
    demo: dict[str, User] = field(default_factory=dict)
    leaders: list[User] = field(default_factory=list)
    commissioners: list[User] = field(default_factory=list)
    coordinators: list[User] = field(default_factory=list)
    handlers: dict[int, list[User]] = field(default_factory=dict)
    enterprises: list[Enterprise] = field(default_factory=list)
    primary_contact: dict[int, str] = field(default_factory=dict)
    leader_a: dict[int, int] = field(default_factory=dict)
    commissioner_of: dict[int, int] = field(default_factory=dict)
    demo_enterprises: list[Enterprise] = field(default_factory=list)
    active_commissions: list[tuple] = field(default_factory=list)
    visits: list[_VisitRef] = field(default_factory=list)
    visits_by_day: dict[date, list[_VisitRef]] = field(default_factory=dict)
    visit_uses: dict[int, int] = field(default_factory=dict)
    escalations: list[tuple] = field(default_factory=list)
    coop: list[tuple] = field(default_factory=list)
    _stage_cache: dict = field(default_factory=dict)

    @property
    def work_calendar(self) -> WorkCalendar:
        """The workflow's calendar over this run's overrides."""
        return WorkCalendar(self.overrides)

    def local(self, day: date, hour: int, minute: int = 0) -> datetime:
        """Naive UTC for ``day`` at hour:minute Asia/Shanghai."""
        return local_midnight_utc(day) + timedelta(hours=hour, minutes=minute)

    def workday(self, day: date) -> bool:
        return is_workday(day, self.overrides)

    @property
    def last_visit_day(self) -> date:
        """Today when a visit (from 08:00, logged within half an hour) fits before the
        demo clock, else yesterday: a demo loaded at dawn has no visit today yet."""
        if self.now - timedelta(minutes=30) >= self.local(self.today, 8):
            return self.today
        return self.today - timedelta(days=1)

    def add_wd(self, day: date, n: int) -> date:
        return add_working_days(day, n, self.overrides)

    def sub_wd(self, day: date, n: int) -> date:
        """The working day ``n`` working days before ``day``."""
        while n > 0:
            day -= timedelta(days=1)
            n -= self.workday(day)
        return day

    def workdays(self, start: date, end: date) -> list[date]:
        return [start + timedelta(days=i) for i in range((end - start).days + 1)
                if self.workday(start + timedelta(days=i))]

    def daytime(self, t: datetime) -> datetime:
        """``t`` moved into office hours (08:40–17:40 local) of a working day, never earlier."""
        local = to_local(t)
        day, minutes = local.date(), local.hour * 60 + local.minute
        if minutes > 17 * 60 + 40 or not self.workday(day):
            return self.local(self.add_wd(day, 1), 8, 40 + self.rng.randint(0, 50))
        if minutes < 8 * 60 + 40:
            return self.local(day, 8, 40 + self.rng.randint(0, 50))
        return t

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def phone(self) -> str:
        return self.rng.choice(["13", "15", "17", "18", "19"]) + "".join(
            self.rng.choice("0123456789") for _ in range(9))

    def deadlines(self, level: str, start: datetime) -> dict:
        """Stage deadlines for a clock started at ``start`` (dispatch or reopen), by the
        same rule the workflow uses (``crm.issues.deadlines.start_clock``)."""
        key = (level, to_local(start).date())
        if key not in self._stage_cache:
            sign, progress, resolve, calendar = self.limits[level]
            clock = start_clock(start, StageLimits(sign, progress, resolve, calendar),
                                cal=self.work_calendar)
            self._stage_cache[key] = {"sign_due_at": clock.sign_due_at,
                                      "progress_due_at": clock.progress_due_at,
                                      "due_at": clock.due_at, "warn_at": clock.warn_at}
        return dict(self._stage_cache[key])

    def warn_at(self, start: datetime, due: datetime) -> datetime:
        """When a stage from ``start`` due at ``due`` turns yellow (the workflow's rule)."""
        return warn_instant(local_date(start), local_date(due), False, self.work_calendar)

    def light(self, due: datetime, warn: datetime) -> str:
        return "red" if self.now > due else "yellow" if self.now >= warn else "green"

    def handler_for(self, unit_id: int) -> User:
        """A handler of the unit; the demo handler takes most of their unit's work."""
        people = self.handlers.get(unit_id) or self.coordinators
        demo = self.demo["handler"]
        if demo in people and self.rng.random() < 0.6:
            return demo
        return self.rng.choice(people)


# --------------------------------------------------------------------------- reference data
def _unit(name: str, kind: str = "department", created_at: datetime | None = None) -> Unit:
    """The unit called ``name``, created when missing."""
    unit = db.session.scalar(select(Unit).where(Unit.name == name))
    if unit is None:
        unit = Unit(name=name, kind=kind)
        if created_at is not None:
            unit.created_at = created_at
        db.session.add(unit)
        db.session.flush()
    return unit


def seed_reference_data() -> list[Category]:
    """The workflow's reference data (``crm.issues.reference``); returns the categories
    in display order."""
    reference.seed_reference_data()
    by_name = {c.name: c for c in db.session.scalars(select(Category))}
    return [by_name[name] for name, _unit_name, _level in CATEGORIES]


def _load_limits() -> dict[str, tuple]:
    rows = db.session.scalars(select(DeadlineRule).where(DeadlineRule.category_id.is_(None)))
    limits = dict(DEFAULT_RULES)
    limits.update({r.level: (r.sign_days, r.progress_days, r.resolve_days, r.resolve_calendar)
                   for r in rows})
    return limits


# --------------------------------------------------------------------------- people
def _make_units(ctx: _Ctx) -> list[Unit]:
    since = ctx.local(ctx.window_start, 9)
    units = ([_unit(n, "town", since) for n in TOWNS]
             + [_unit(n, "department", since) for n in DEPARTMENTS + [GOV_OFFICE]])
    ctx.units = {u.name: u for u in units}
    ctx.unit_names = {u.id: u.name for u in units}
    ctx.towns = units[:len(TOWNS)]
    return units


def _new_user(ctx: _Ctx, taken: set, pw_hash: str, role: str, unit: Unit, title: str,
              username: str | None = None, name: str | None = None) -> User:
    name = name or ctx.person()
    if username is None:
        base = username = "".join(lazy_pinyin(name))
        n = 2
        while username in taken:
            username, n = f"{base}{n}", n + 1
    taken.add(username)
    user = User(username=username, display_name=name, phone=ctx.phone(), title=title,
                unit_id=unit.id, password_hash=pw_hash, created_at=ctx.local(ctx.window_start, 9))
    user.roles = [role]
    db.session.add(user)
    ctx.users.append(user)
    return user


def _make_users(ctx: _Ctx) -> list[User]:
    """Five fixed sign-ins plus the rest of the county's cadres, sharing one hash."""
    taken = set(db.session.scalars(select(User.username)))
    clash = [u for u, _ in DEMO_SIGNINS if u in taken]
    if clash:
        raise ValueError(f"demo users exist already: {', '.join(clash)}")
    probe = User()
    probe.set_password(DEMO_PASSWORD)
    u, mk = ctx.units, partial(_new_user, ctx, taken, probe.password_hash)
    ctx.demo = {
        "admin": mk("admin", u[IIT_BUREAU], "信息中心工程师", "admin", "周文博"),
        "coordinator": mk("coordinator", u[IIT_BUREAU], "联席办副主任", "coordinator", "刘晓燕"),
        "leader": mk("leader", u[GOV_OFFICE], "副市长", "leader", "王建国"),
        "commissioner": mk("commissioner", u[DEMO_TOWN], "镇党委委员、副镇长", "commissioner", "李志强"),
        "handler": mk("handler", u[HR_BUREAU], "就业促进科科长", "handler", "张丽娟"),
    }
    titles = ["市委副书记、市长", "市委常委、常务副市长", "市委常委、副市长", "副市长", "副市长",
              "副市长", "市政府党组成员", "市政府党组成员", "市人大常委会副主任"]
    ctx.leaders = [ctx.demo["leader"]] + [mk("leader", u[GOV_OFFICE], t) for t in titles]
    home = ctx.towns + [u[n] for n in DEPARTMENTS]
    ctx.commissioners = [ctx.demo["commissioner"]]
    for i in range(29):   # cadres drawn from every town office and department
        unit = home[i % len(home)]
        titles = (["党委委员", "经济发展办主任", "党政办主任"] if unit.kind == "town"
                  else ["副局长", "科长", "四级调研员"])
        ctx.commissioners.append(mk("commissioner", unit, ctx.rng.choice(titles)))
    ctx.coordinators = [ctx.demo["coordinator"], mk("coordinator", u[IIT_BUREAU], "联席办科员")]
    for unit in home:   # 1–2 handlers per unit; the demo handler's busy bureau has three
        team = [ctx.demo["handler"]] if unit.name == HR_BUREAU else []
        want = 3 if team else 2 if unit.kind == "department" else ctx.rng.randint(1, 2)
        team += [mk("handler", unit, ctx.rng.choice(["科员", "科长", "副科长", "办公室主任"]))
                 for _ in range(want - len(team))]
        ctx.handlers[unit.id] = team
    db.session.flush()
    return ctx.users


# --------------------------------------------------------------------------- enterprises
def _credit_code(rng: random.Random, used: set) -> str:
    """A unique valid 统一社会信用代码: 91 + region 419926 + a 9-character organisation code."""
    while True:
        if rng.random() < 0.6:
            org = "MA" + "".join(rng.choice(CHARSET) for _ in range(7))
        else:
            org = "".join(rng.choice("0123456789") for _ in range(8)) + rng.choice(CHARSET)
        code = make("91419926" + org)
        if code not in used:
            used.add(code)
            return code


def _enterprise_name(rng: random.Random, trade: str, size: str, used: set) -> str:
    while True:
        brand = rng.choice(BRANDS)
        if rng.random() < 0.35:
            brand += rng.choice(BRANDS)
        suffix = ("集团有限公司" if size == "large" and rng.random() < 0.5 else
                  "股份有限公司" if rng.random() < 0.15 else "有限公司")
        name = brand + trade + suffix
        if name not in used and len(set(brand)) == len(brand):
            used.add(name)
            return name


def _size(employees: int, output: float) -> str:
    if employees >= 1000 and output >= 40000:
        return "large"
    if employees >= 300 and output >= 2000:
        return "medium"
    return "small" if employees >= 20 and output >= 300 else "micro"


def _make_enterprise(ctx: _Ctx, town: Unit, chain: bool, names: set, codes: set) -> Enterprise:
    rng = ctx.rng
    cluster = rng.choices(list(CLUSTER_WEIGHTS), list(CLUSTER_WEIGHTS.values()))[0]
    trade, industry = rng.choice(TRADES[cluster])
    above = chain or rng.random() < 0.55
    if chain:
        employees, output = rng.randint(800, 3000), rng.uniform(50000, 300000)
    elif above:   # 规上: main business revenue of 20 million yuan (2000 万元) or more
        employees, output = rng.randint(60, 900), rng.uniform(2000, 60000)
    else:
        employees, output = rng.randint(6, 120), rng.uniform(80, 1990)
    size = _size(employees, output)
    name = _enterprise_name(rng, trade, size, names)
    park = ("经济技术开发区" if industry == "C" and rng.random() < 0.35 else
            "高新技术产业园" if rng.random() < 0.1 else None)
    place = park or town.name.replace("人民政府", "").replace("办事处", "")
    tags = rng.sample(TAGS, rng.choice([0, 0, 1, 1, 2, 3]))
    if chain:
        tags.insert(0, "链主企业")
    status = rng.choices(["normal", "reduced", "halted"], [88, 8, 4])[0]
    return Enterprise(
        name=name, credit_code=_credit_code(rng, codes), legal_rep=ctx.person(), industry=industry,
        cluster=cluster, is_chain_leader=chain, scale="above" if above else "below", size=size,
        ownership=rng.choices(["private", "state", "mixed", "foreign", "hmt"], [75, 8, 7, 5, 5])[0],
        town_id=town.id, park=park,
        address=f"{CITY}{place}{rng.choice(ROADS)}{rng.randint(1, 300)}号",
        employees=employees, annual_output=Decimal(f"{output:.2f}"), status=status,
        tags=",".join(tags) or None, name_pinyin="".join(lazy_pinyin(name)),
        name_initials="".join(lazy_pinyin(name, style=Style.FIRST_LETTER)),
        created_at=ctx.local(ctx.window_start, 9), updated_at=ctx.local(ctx.window_start, 9))


def _make_contacts(ctx: _Ctx, ent: Enterprise) -> list[Contact]:
    rng = ctx.rng
    titles = [rng.choice(["董事长", "总经理"])] + rng.sample(CONTACT_TITLES, rng.randint(0, 2))
    contacts = []
    for i, title in enumerate(titles):   # the boss is often the legal representative
        name = ent.legal_rep if i == 0 and rng.random() < 0.4 else ctx.person()
        contacts.append(Contact(enterprise_id=ent.id, name=name, title=title, phone=ctx.phone(),
                                is_primary=i == 0))
    ctx.primary_contact[ent.id] = contacts[0].name
    return contacts


def _make_enterprises(ctx: _Ctx) -> tuple[list[Enterprise], list[Contact]]:
    """120 enterprises; the first five are in the demo commissioner's town."""
    rng, names, codes = ctx.rng, set(db.session.scalars(select(Enterprise.name))), set()
    codes.update(db.session.scalars(select(Enterprise.credit_code)))
    chain = set(rng.sample(range(5, 120), 10))
    home = ctx.units[DEMO_TOWN]
    ents = [_make_enterprise(ctx, home if i < 7 else rng.choice(ctx.towns), i in chain,
                             names, codes) for i in range(120)]
    db.session.add_all(ents)
    db.session.flush()
    contacts = [c for e in ents for c in _make_contacts(ctx, e)]
    db.session.add_all(contacts)
    ctx.enterprises, ctx.demo_enterprises = ents, ents[:5]
    return ents, contacts


# --------------------------------------------------------------------------- assignments, policies
def _make_assignments(ctx: _Ctx) -> list[Assignment]:
    """One active leader A per enterprise (12 each), mostly a leader B, 1–2 commissioners,
    and an ended commissioner on 15 enterprises."""
    rng, today, rows = ctx.rng, ctx.today, []
    demo_leader, demo_comm = ctx.demo["leader"], ctx.demo["commissioner"]

    def add(ent, user, role, start, end=None):
        rows.append(Assignment(enterprise_id=ent.id, user_id=user.id, role=role, start_date=start,
                               end_date=end, created_at=ctx.local(start, 9),
                               created_by_id=ctx.demo["coordinator"].id))

    pool = [demo_leader] * 7 + [lead for lead in ctx.leaders[1:] for _ in range(12)]
    rng.shuffle(pool)
    others = ctx.commissioners[1:]
    order = others[:]
    rng.shuffle(order)
    history = set(rng.sample(range(5, 120), 15))
    b_for_demo = 0
    for i, ent in enumerate(ctx.enterprises):
        start = today - timedelta(days=rng.randint(330, 420))
        leader_a = demo_leader if i < 5 else pool[i - 5]
        add(ent, leader_a, "leader_a", start)
        ctx.leader_a[ent.id] = leader_a.id
        if rng.random() < 0.85:
            choices = [lead for lead in ctx.leaders if lead is not leader_a
                       and (lead is not demo_leader or b_for_demo < 4)]
            leader_b = rng.choice(choices)
            b_for_demo += leader_b is demo_leader
            add(ent, leader_b, "leader_b", start)
        primary = demo_comm if i < 5 else order[(i - 5) % len(order)]
        c_start = start
        if i in history:   # handed over a few months ago: the history shows both
            past = rng.choice([c for c in others if c is not primary])
            end = today - timedelta(days=rng.randint(60, 150))
            p_start = start - timedelta(days=rng.randint(90, 200))
            add(ent, past, "commissioner", p_start, end)
            ctx.active_commissions.append((ent, past, p_start, end, 0.15))
            c_start = end + timedelta(days=1)
        add(ent, primary, "commissioner", c_start)
        ctx.commissioner_of[ent.id] = primary.id
        ctx.active_commissions.append((ent, primary, c_start, None, 0.1 if i < 5 else 0.15))
        if i >= 5 and rng.random() < 0.3:
            second = rng.choice([c for c in others if c is not primary])
            add(ent, second, "commissioner", start)
            ctx.active_commissions.append((ent, second, start, None, 0.6))
    db.session.add_all(rows)
    return rows


def _make_policies(ctx: _Ctx) -> list[Policy]:
    """The catalogue: 50 policies, a few of them expired."""
    rng, rows = ctx.rng, []
    for category, issuer, title, elig in POLICIES:
        start = ctx.today - timedelta(days=rng.randint(200, 900))
        expired = rng.random() < 0.12
        if expired:
            end = ctx.today - timedelta(days=rng.randint(10, 150))
        elif rng.random() < 0.3:
            end = None   # open-ended
        else:
            end = max(start + timedelta(days=rng.choice([730, 1095, 1825])),
                      ctx.today + timedelta(days=rng.randint(30, 400)))
        rows.append(Policy(
            title=title, category=category, issuer=issuer, summary=POLICY_SUMMARY[category],
            industries=elig.get("industries", ""), scales=elig.get("scales", ""),
            ownerships=elig.get("ownerships", ""), clusters=elig.get("clusters", ""),
            valid_from=start, valid_to=end, created_at=ctx.local(start, 10),
            created_by_id=ctx.demo["coordinator"].id))
    db.session.add_all(rows)
    return rows


# --------------------------------------------------------------------------- visits
def _visit_days(ctx: _Ctx, monday: date, start: date, end: date | None) -> list[date]:
    """The working days of the week starting ``monday`` within the assignment, up to today."""
    last = min(monday + timedelta(days=6), end or ctx.today, ctx.last_visit_day)
    return ctx.workdays(max(monday, start), last)


def _make_visit(ctx: _Ctx, ent: Enterprise, author: User, day: date,
                fits: list[tuple[int, date | None, date | None]]) -> _VisitRef:
    """One visit as the visit form would store it (written later, with the others);
    ``fits`` are the (id, valid from, valid to) of the policies that suit the enterprise."""
    rng = ctx.rng
    hour = rng.choice([8, 9, 10]) if day == ctx.today else rng.choice([8, 9, 10, 14, 15, 16])
    at = ctx.local(day, hour, 30 + rng.randint(0, 29))
    if day == ctx.today:   # logged (within 25 minutes) before the demo clock
        at = min(at, ctx.now - timedelta(minutes=30))
    factors = [(f, FACTOR_NOTES[f].format(n=rng.randint(2, 9)))
               for f in rng.sample(list(FACTOR_NOTES), rng.choice([0, 0, 0, 1, 1, 2]))]
    valid = [pid for pid, since, until in fits
             if (since is None or since <= day) and (until is None or until >= day)]
    mode = rng.choices(list(MODE_OPENINGS), [80, 10, 4, 6])[0]
    status = ent.status if day > ctx.today - timedelta(days=60) else "normal"
    summary = STATUS_NOTES.get(status) or rng.choice(SUMMARIES).format(
        contact=ctx.primary_contact[ent.id], p=rng.randint(60, 98), e=ent.employees)
    logged = at + timedelta(minutes=rng.randint(5, 25))
    row = dict(
        client_uuid=str(uuid.UUID(int=rng.getrandbits(128))), enterprise_id=ent.id,
        author_id=author.id, visit_date=day, mode=mode, status_seen=status,
        companions=(f"{ctx.person()}（{ctx.unit_names[author.unit_id]}）"
                    if mode == "onsite" and rng.random() < 0.3 else None),
        services=rng.choice(SERVICES) if rng.random() < 0.35 else None,
        summary=MODE_OPENINGS[mode] + summary, next_step=rng.choice(NEXT_STEPS),
        created_at=logged, updated_at=logged)
    policies = rng.sample(valid, min(len(valid), rng.choice([0, 0, 1, 1, 2])))
    ref = _VisitRef(len(ctx.visits), row, at, author.id, ent.id, day, factors, policies)
    ctx.visits.append(ref)
    ctx.visits_by_day.setdefault(day, []).append(ref)
    return ref


def _make_visits(ctx: _Ctx, policies: list[Policy]) -> list[_VisitRef]:
    """Weekly visits for every commissioner assignment over 26 ISO weeks.

    Written in three bulk INSERTs (visits, their factors, their policies) rather than
    as thousands of ORM objects: the same rows, a fraction of the time.
    """
    rng, this_week = ctx.rng, week_start(ctx.today)
    weeks = [ctx.window_start + timedelta(weeks=i) for i in range(26)]
    elapsed = len(ctx.workdays(this_week, ctx.today)) / 5
    demo_pattern = [True, False, True, True, False]   # some, but not all, visited this week
    visits = []
    for ent, author, start, end, skip in ctx.active_commissions:
        fits = [(p.id, p.valid_from, p.valid_to) for p in policies if policy_fits(p, ent)]
        demo_index = ctx.demo_enterprises.index(ent) if author is ctx.demo["commissioner"] else None
        for monday in weeks:
            days = _visit_days(ctx, monday, start, end)
            if (not days and monday == this_week and demo_index is not None
                    and ctx.last_visit_day == ctx.today):
                days = [ctx.today]   # a holiday week: the demo still needs this week's visits
            if not days:
                continue
            if monday == this_week:
                go = (demo_pattern[demo_index] if demo_index is not None
                      else rng.random() < elapsed * (1 - skip))
            else:
                go = rng.random() >= skip
            if go:
                visits.append(_make_visit(ctx, ent, author, rng.choice(days), fits))
    if visits:
        db.session.execute(insert(Visit), [v.row for v in visits])
        ids = dict(db.session.execute(select(Visit.client_uuid, Visit.id)).all())
        for ref in visits:
            ref.id = ids[ref.row["client_uuid"]]
    factors = [dict(visit_id=v.id, factor=f, note=note) for v in visits for f, note in v.factors]
    links = [dict(visit_id=v.id, policy_id=p) for v in visits for p in v.policy_ids]
    for model, rows in ((VisitFactor, factors), (VisitPolicy, links)):
        if rows:
            db.session.execute(insert(model), rows)
    return visits


# --------------------------------------------------------------------------- problems
class _Story:
    """Builds one problem's fields and its timeline, event by event, in time order."""

    def __init__(self, ctx: _Ctx, issue: Issue):
        self.ctx, self.issue, self.t = ctx, issue, issue.raised_at

    def log(self, at, action, actor_id, text=None, to=None, actor_name=None, data=None):
        """Append an event (and a state change when ``to`` is given)."""
        self.issue.events.append(IssueEvent(
            at=at, actor_id=actor_id, actor_name=actor_name, action=action,
            from_state=self.issue.state if to else None, to_state=to, text=text, data=data))
        if to:
            self.issue.state = to
        self.t = self.issue.updated_at = at

    def cap(self, t: datetime) -> datetime:
        """``t`` kept after the last event and before the demo clock."""
        ctx = self.ctx
        if t <= self.t:
            t = self.t + timedelta(minutes=ctx.rng.randint(10, 60))
        if t >= ctx.now:
            t = self.t + (ctx.now - self.t) * ctx.rng.uniform(0.3, 0.8)
        return t

    def later(self, lo: int, hi: int, base: datetime | None = None, capped=True):
        """A time ``lo``..``hi`` working days after the last event (or ``base``)."""
        ctx, base = self.ctx, max(self.t, base or self.t)
        k = ctx.rng.randint(lo, hi)
        if k == 0:
            t = base + timedelta(minutes=ctx.rng.randint(20, 240))
        else:
            t = ctx.local(ctx.add_wd(to_local(base).date(), k), 8, 40 + ctx.rng.randint(0, 540))
        t = ctx.daytime(t)
        return self.cap(t) if capped else (t if t < ctx.now else None)

    @property
    def coordinator(self) -> int:
        return self.ctx.rng.choice(self.ctx.coordinators).id

    def dispatch(self, at: datetime, unit_id: int, level: str, due: datetime | None = None):
        """Start the clock: lead unit, level and stage deadlines (``due`` overrides)."""
        issue = self.issue
        issue.lead_unit_id, issue.level, issue.dispatched_at = unit_id, level, at
        for key, value in self.ctx.deadlines(level, at).items():
            setattr(issue, key, value)
        if due is not None:
            issue.due_at, issue.warn_at = due, self.ctx.warn_at(at, due)
        due = to_local(issue.due_at)
        self.log(at, "dispatch", self.coordinator,
                 f"交办{self.unit_name(unit_id)}办理（{LEVEL_CN[level]}），请于{due.month}月{due.day}日前办结。",
                 to="dispatched", data={"unit_id": unit_id, "level": level})

    def unit_name(self, unit_id: int) -> str:
        return self.ctx.unit_names.get(unit_id, "承办单位")

    def ping_pong(self):
        """A misrouted problem: returned, then re-dispatched (final); the clock runs on."""
        ctx, issue = self.ctx, self.issue
        self.log(self.later(0, 1), "return", ctx.handler_for(issue.lead_unit_id).id,
                 ctx.rng.choice(RETURN_REASONS), to="returned")
        issue.is_redispatched = True
        self.log(self.later(0, 1), "dispatch", self.coordinator,
                 f"重新交办{self.unit_name(issue.lead_unit_id)}办理（再次交办为最终交办，不得退回）。",
                 to="dispatched", data={"unit_id": issue.lead_unit_id, "redispatch": True})

    def sign(self, lo=0, hi=1):
        handler = self.ctx.handler_for(self.issue.lead_unit_id)
        at = self.later(lo, hi)
        self.issue.signed_at = self.issue.signed_at or at
        self.issue.handler_id = handler.id
        self.log(at, "sign", handler.id, "已签收，安排专人办理。", to="in_progress")

    def progress(self, times: int, stop: datetime | None = None):
        for _ in range(times):
            at = self.later(1, 4, capped=False)
            if at is None or (stop is not None and at >= stop):
                return
            self.issue.first_progress_at = self.issue.first_progress_at or at
            self.log(at, "progress", self.issue.handler_id, self.ctx.rng.choice(PROGRESS))

    def pause(self, at: datetime):
        self.issue.paused_at = at
        self.log(at, "pause", self.issue.handler_id, self.ctx.rng.choice(PAUSE_REASONS),
                 to="paused")

    def resume(self, at: datetime):
        """The clock stopped while paused: the open deadlines move on by the working days
        (calendar days for calendar stages) the pause lasted, as the workflow moves them."""
        ctx, issue = self.ctx, self.issue
        calendar_days, cal = ctx.limits[issue.level][3], ctx.work_calendar
        days = pause_shift(issue.paused_at, at, calendar_days, cal)
        issue.due_at = shift_instant(issue.due_at, days, calendar_days, cal)
        issue.warn_at = shift_instant(issue.warn_at, days, calendar_days, cal)
        if issue.first_progress_at is None:
            issue.progress_due_at = shift_instant(issue.progress_due_at, days, False, cal)
        issue.paused_at = None
        self.log(at, "resume", issue.handler_id, "企业已补齐材料，恢复办理。", to="in_progress")

    def supervise(self, at: datetime, escalate=False):
        """A 督办 notice; with ``escalate`` the coordinator then puts the problem to the
        next joint meeting (the workflow's ``escalate`` action)."""
        self.issue.supervise_count += 1
        self.log(at, "supervise", self.coordinator, self.ctx.rng.choice(SUPERVISE))
        if escalate:
            self.log(at + timedelta(minutes=5), "escalate", self.coordinator,
                     "多次督办仍未解决，提请联席会议协调。")
            self.issue.is_escalated = True
            self.ctx.escalations.append((self.issue, at))

    def red_actions(self, escalate_p: float):
        """Supervision (督办), a leader's instruction (批示), maybe escalation, once overdue."""
        ctx, issue = self.ctx, self.issue
        for _ in range(ctx.rng.choice([0, 1, 1, 2, 2])):
            self.supervise(self.later(1, 3, base=issue.due_at))
        if issue.enterprise_id and ctx.rng.random() < 0.4:
            text = ctx.rng.choice(INSTRUCT).format(unit=self.unit_name(issue.lead_unit_id))
            self.log(self.later(0, 2), "instruct", ctx.leader_a[issue.enterprise_id], text)
        if issue.supervise_count >= 2 and ctx.rng.random() < escalate_p:
            self.supervise(self.later(0, 2), escalate=True)

    def resolve(self, at: datetime, resolution: str):
        issue = self.issue
        issue.resolved_at, issue.resolution = at, resolution
        issue.resolved_on_time = at <= issue.due_at
        self.log(at, "resolve", issue.handler_id, resolution, to="resolved")

    def resolve_time(self, late: bool) -> datetime:
        issue, rng = self.issue, self.ctx.rng
        if late:
            t = issue.due_at + timedelta(hours=rng.randint(16, 120))
        else:
            t = self.t + (issue.due_at - self.t) * rng.uniform(0.3, 0.9)
        return self.cap(self.ctx.daytime(t))

    def rate(self, score: int):
        ctx, issue = self.ctx, self.issue
        at = self.later(1, 3)
        contact = ctx.primary_contact[issue.enterprise_id]
        channel = "self" if ctx.rng.random() < 0.65 else "recorded"
        recorder = ctx.commissioner_of[issue.enterprise_id]
        comment = RATING_COMMENTS[score]
        issue.rating, issue.rating_comment, issue.rating_channel = score, comment, channel
        issue.rating_contact, issue.rated_at = contact, at
        if channel == "self":   # the contact rated on their own phone
            self.log(at, "rate", None, f"企业扫码评价：{score}分。{comment}", actor_name=contact,
                     data={"rating": score, "channel": channel})
        else:
            self.log(at, "rate", recorder, f"电话回访{contact}，代为记录评价：{score}分。{comment}",
                     data={"rating": score, "channel": channel})

    def reopen(self):
        """A rating of 1–2 reopens the problem; the clock restarts from now."""
        issue, at = self.issue, self.t + timedelta(minutes=1)
        issue.reopen_count += 1
        issue.resolved_at = issue.resolution = issue.resolved_on_time = None
        for key, value in self.ctx.deadlines(issue.level, at).items():
            setattr(issue, key, value)
        self.log(at, "reopen", None, "企业评价不满意，问题重办。", to="reopened")

    def close(self, at: datetime, actor_id=None, text="企业评价满意，问题销号。", reason=None):
        self.issue.closed_at, self.issue.close_reason = at, reason
        self.log(at, "close", actor_id, text, to="closed")


def _flow(story: _Story, spec: _Spec, resolution: str):
    """Play the problem's story on from dispatch to its target state."""
    ctx, issue, rng, state = story.ctx, story.issue, story.ctx.rng, spec.state
    if state == "returned":
        story.log(story.later(0, 1), "return", ctx.handler_for(issue.lead_unit_id).id,
                  rng.choice(RETURN_REASONS), to="returned")
        return
    if state == "dispatched":
        if ctx.light(issue.due_at, issue.warn_at) == "red":
            story.red_actions(0.0)
        return
    if rng.random() < 0.08:
        story.ping_pong()
    story.sign()
    if state == "in_progress":
        story.progress(rng.randint(1, 4))
        if ctx.light(issue.due_at, issue.warn_at) == "red":
            story.red_actions(0.5)
        elif rng.random() < 0.2 and issue.raised_by_id:
            story.log(story.later(0, 2), "comment", issue.raised_by_id, rng.choice(COMMENTS))
    elif state == "paused":
        story.progress(rng.randint(0, 1))
        story.pause(story.later(1, 3))
    elif state == "resolved":
        story.progress(rng.randint(1, 2), stop=ctx.now - timedelta(days=2))
        recent = ctx.now - timedelta(hours=rng.randint(2, 80))
        story.resolve(story.cap(max(story.t, recent)), resolution)
    elif state == "reopened":
        story.progress(rng.randint(1, 2))
        story.resolve(story.resolve_time(False), resolution)
        story.rate(rng.choice([1, 2, 2]))
        story.reopen()
    else:  # closed
        _flow_closed(story, resolution)


def _flow_closed(story: _Story, resolution: str):
    issue, rng = story.issue, story.ctx.rng
    story.progress(rng.randint(1, 2))
    if rng.random() < 0.1:
        story.pause(story.later(1, 2))
        story.resume(story.later(2, 5))
    late = rng.random() < 0.12
    if late:
        story.progress(1, stop=issue.due_at)
        story.supervise(story.later(0, 1, base=issue.due_at), escalate=rng.random() < 0.4)
    story.resolve(story.resolve_time(late), resolution)
    if rng.random() < 0.07:
        story.rate(2)
        story.reopen()
        story.sign(1, 2)
        story.progress(1)
        story.resolve(story.resolve_time(False), resolution)
    story.rate(rng.choices([5, 4, 3], [55, 30, 15])[0])
    story.close(story.t + timedelta(minutes=1))


def _dispatch_range(ctx: _Ctx, spec: _Spec, level: str) -> tuple[date, date]:
    """Which dispatch dates suit the target state (the light narrows them further)."""
    today, sub = ctx.today, ctx.sub_wd
    sign, progress, resolve, calendar = ctx.limits[level]
    span = resolve if calendar else resolve * 7 // 5 + 2
    earliest = ctx.window_start + timedelta(days=3)
    ranges = {
        "dispatched": ((sub(today, 1), today) if spec.light == "green"
                       else (today - timedelta(40), today)),
        "returned": (sub(today, 3), today),
        "in_progress": ((today - timedelta(40), sub(today, 1)) if spec.light == "green"
                        else (today - timedelta(75), today)),
        "paused": (today - timedelta(40), sub(today, 3)),
        "resolved": (today - timedelta(span + 6), sub(today, 3)),
        "reopened": (today - timedelta(span + 12), today - timedelta(5)),
        "closed": (earliest, today - timedelta(span + 16)),
    }
    lo, hi = ranges[spec.state]
    return max(lo, earliest), hi


def _pick_dispatch(ctx: _Ctx, spec: _Spec, level: str) -> datetime:
    """A dispatch time in the state's range giving the wanted light (if any) now."""
    rng = ctx.rng
    lo, hi = _dispatch_range(ctx, spec, level)
    minute = rng.randint(9 * 60, 16 * 60 + 30)
    # Dispatched today: in the morning, an hour before the demo clock at the latest.
    latest = ctx.now - timedelta(hours=1)
    found = []
    for day in ctx.workdays(lo, hi):
        at = ctx.local(day, 0, min(minute, 10 * 60 + 45) if day == ctx.today else minute)
        at = min(at, latest)
        if at < ctx.local(day, 8, 40):
            continue
        if spec.light and spec.state in ("dispatched", "in_progress"):
            dl = ctx.deadlines(level, at)
            if ctx.light(dl["due_at"], dl["warn_at"]) != spec.light:
                continue
        found.append(at)
    if not found:  # no date gives that light (e.g. a weekend today): take any date
        found = ([at for at in (ctx.local(d, 0, minute) for d in ctx.workdays(lo, hi))
                  if at <= latest] or [min(ctx.local(hi, 9), latest)])
    return rng.choice(found)


def _pick_visit(ctx: _Ctx, before: datetime, earliest: date, author_id=None) -> _VisitRef | None:
    """A visit between ``earliest`` and 30 minutes before ``before`` (widened when
    none), raising at most two problems each."""
    day, limit = to_local(before).date(), before - timedelta(minutes=30)
    for lo in (earliest, earliest - timedelta(7), earliest - timedelta(30), ctx.window_start):
        found = [r for k in range((day - lo).days + 1)
                 for r in ctx.visits_by_day.get(day - timedelta(days=k), ())
                 if r.at <= limit and ctx.visit_uses.get(r.index, 0) < 2
                 and (author_id is None or r.author_id == author_id)]
        if found:
            ref = ctx.rng.choice(found)
            ctx.visit_uses[ref.index] = ctx.visit_uses.get(ref.index, 0) + 1
            return ref
    return None


def _build_issue(ctx: _Ctx, spec: _Spec) -> Issue | None:
    """One problem: raised in a visit (or directly), then played to ``spec.state``."""
    rng = ctx.rng
    names = [c[0] for c in CATEGORIES]
    category = ctx.categories[spec.category or rng.choices(names, CATEGORY_WEIGHTS)[0]]
    level = category.default_level if rng.random() < 0.8 else rng.choice(list(LEVEL_CN))
    n = rng.randint(2, 9)
    title, description, resolution = (s.format(n=n) for s in rng.choice(PROBLEMS[category.name]))
    triaged = spec.state != "new" and not spec.duplicate
    dispatch_at = _pick_dispatch(ctx, spec, level) if triaged else None
    if spec.source == "visit":
        ref = _pick_visit(ctx, dispatch_at or ctx.now,
                          (dispatch_at and to_local(dispatch_at).date() - timedelta(3))
                          or ctx.sub_wd(ctx.today, 2),
                          spec.author.id if spec.author else None)
        if ref is None:
            return None
        ent_id, raiser, raised_at, visit_id = ref.enterprise_id, ref.author_id, ref.at, ref.id
    else:
        ent_id = rng.choice(ctx.enterprises).id
        raiser, visit_id = ctx.demo["coordinator"].id, None
        raised_at = (dispatch_at or ctx.now) - timedelta(minutes=rng.randint(40, 200))
    issue = Issue(source=spec.source, enterprise_id=ent_id, visit_id=visit_id, raised_by_id=raiser,
                  raised_at=raised_at, title=title, description=description,
                  category_id=category.id, level=level, reopen_count=0,
                  supervise_count=0, is_escalated=False, is_redispatched=False)
    story = _Story(ctx, issue)
    how = "走访中企业反映" if visit_id else "企业通过12345热线反映"
    story.log(raised_at, "raise", raiser, f"{how}：{title}", to="new",
              data={"visit_id": visit_id} if visit_id else None)
    if spec.duplicate:
        story.close(story.later(0, 1), story.coordinator, "与该企业此前反映的问题重复，合并办理。",
                    reason="重复诉求，已合并办理")
    elif dispatch_at is not None:
        lead = category.lead_unit_id or ctx.units[IIT_BUREAU].id
        story.dispatch(dispatch_at, lead, level)
        _flow(story, spec, resolution)
        if level != "consult" and rng.random() < 0.1:   # a cooperating unit (协办)
            coop = rng.choice([u for u in ctx.units.values() if u.kind == "department"
                               and u.id != lead and u.name != GOV_OFFICE])
            ctx.coop.append((issue, coop.id))
    return issue


def _issue_specs(ctx: _Ctx) -> list[_Spec]:
    """Scripted problems for the demo sign-ins first, then the county's mix."""
    me = ctx.demo["commissioner"]
    scripted = [("new", None, "融资信贷"), ("dispatched", "green", "用工招工"),
                ("dispatched", "red", "用工招工"), ("in_progress", "green", "用工招工"),
                ("in_progress", "yellow", "用工招工"), ("in_progress", "red", "用工招工"),
                ("returned", None, "用地规划"), ("paused", None, "审批办证"),
                ("resolved", None, "用工招工"), ("reopened", None, "水电气暖"),
                ("closed", None, "用工招工"), ("closed", None, "政策兑现")]
    specs = [_Spec(s, light, cat, author=me) for s, light, cat in scripted]
    mix = [("closed", None, 165), ("resolved", None, 18), ("reopened", None, 6),
           ("in_progress", "green", 16), ("in_progress", "yellow", 8), ("in_progress", "red", 18),
           ("paused", None, 9), ("dispatched", "green", 9), ("dispatched", "yellow", 2),
           ("dispatched", "red", 3), ("returned", None, 6), ("new", None, 12)]
    random_specs = [_Spec(s, light) for s, light, n in mix for _ in range(n)]
    random_specs += [_Spec("closed", duplicate=True) for _ in range(3)]
    random_specs += [_Spec(s, light, source="direct") for s, light in
                     [("closed", None)] * 4 + [("in_progress", "green"), ("in_progress", "red"),
                                               ("new", None), ("dispatched", "green")]]
    ctx.rng.shuffle(random_specs)
    return specs + random_specs


def _make_issues(ctx: _Ctx) -> list[Issue]:
    return [i for i in (_build_issue(ctx, s) for s in _issue_specs(ctx)) if i is not None]


# --------------------------------------------------------------------------- meetings
def _month_add(year: int, month: int, delta: int) -> tuple[int, int]:
    n = year * 12 + month - 1 + delta
    return n // 12, n % 12 + 1


def _make_meetings(ctx: _Ctx) -> list[Meeting]:
    """Joint meetings for the last four months (minuted) and this month (planning),
    and the review meeting of the last complete quarter."""
    meetings, coordinator = [], ctx.demo["coordinator"].id
    attendees = "、".join(f"{u.display_name}（{u.title}）" for u in ctx.leaders[:4]) + "；联席办及各成员单位负责同志"
    for delta in range(-4, 1):
        y, m = _month_add(ctx.today.year, ctx.today.month, delta)
        start, end = date(y, m, 1), date(y, m, monthrange(y, m)[1])
        held = ctx.add_wd(end, 3)
        meetings.append(Meeting(kind="joint", number=f"{y}年第{m}次", title=f"{y}年{m}月企业帮扶联席会议",
                                period_start=start, period_end=end, starts_at=ctx.local(held, 15),
                                place="市政府三楼第一会议室", attendees=attendees,
                                created_at=min(ctx.local(end - timedelta(days=10), 9),
                                               ctx.now - timedelta(hours=3)),
                                created_by_id=coordinator))
    q = (ctx.today.month - 1) // 3
    y, qm = _month_add(ctx.today.year, q * 3 + 1, -3)
    start = date(y, qm, 1)
    end = date(*_month_add(y, qm, 2), 1)
    end = date(end.year, end.month, monthrange(end.year, end.month)[1])
    meetings.append(Meeting(kind="review", number=f"{y}年第{(qm - 1) // 3 + 1}次",
                            title=f"{y}年第{(qm - 1) // 3 + 1}季度企业帮扶工作点评会",
                            period_start=start, period_end=end,
                            starts_at=ctx.local(ctx.add_wd(end, 10), 9, 30),
                            place="市政府五楼大会议室", attendees=attendees,
                            created_at=ctx.local(end, 9), created_by_id=coordinator))
    taken = set(db.session.execute(select(Meeting.kind, Meeting.number)).tuples())
    meetings = [mt for mt in meetings if (mt.kind, mt.number) not in taken]
    for mt in meetings:
        past = mt.starts_at < ctx.now
        mt.state = "minuted" if past else "planning"
        if past:
            _minutes(ctx, mt)
    return meetings


def _minutes(ctx: _Ctx, mt: Meeting):
    visits = sum(1 for r in ctx.visits if mt.period_start <= r.visit_date <= mt.period_end)
    chair = ctx.leaders[0].display_name
    mt.minutes = (f"会议由{chair}同志主持。会议通报了{mt.period_start.month}月以来企业帮扶工作情况："
                  f"特派员入企走访{visits}家次，收集并交办企业诉求，办结率和满意率保持较高水平。"
                  "会议逐项研究了提交本次会议协调的问题，明确了牵头单位和完成时限。")
    if mt.kind == "review":
        mt.review_remarks = ("本季度各承办单位办理时效明显提升，但用地、融资类问题办理周期仍然偏长；"
                             "个别单位存在签收不及时、退回理由不充分的情况，请相关单位对照整改。")


def _make_decisions(ctx: _Ctx, meeting: Meeting) -> list[tuple[Decision, Issue]]:
    """The last minuted joint meeting's decisions, each tracked as a problem."""
    out = []
    held = to_local(meeting.starts_at).date()
    for position, (unit_name, title, text, days) in enumerate(DECISIONS, 1):
        unit = ctx.units[unit_name]
        due_day = ctx.work_calendar.roll(held + timedelta(days=days))  # as dispatch asks
        issue = Issue(source="decision", enterprise_id=None,
                      raised_by_id=ctx.demo["coordinator"].id,
                      raised_at=meeting.starts_at + timedelta(hours=2), title=f"议定事项：{title}",
                      description=text, level="complex", reopen_count=0,
                      supervise_count=0, is_escalated=False, is_redispatched=False)
        story = _Story(ctx, issue)
        story.log(issue.raised_at, "raise", issue.raised_by_id, f"{meeting.title}议定事项。", to="new")
        story.dispatch(story.later(1, 1), unit.id, "complex", due=ctx.local(due_day, 18))
        if position < 3 and story.t < ctx.now - timedelta(days=1):
            story.sign()
            story.progress(2)
        out.append((Decision(meeting_id=meeting.id, position=position, text=text, unit_id=unit.id,
                             due_date=due_day), issue))
    return out


def _agenda(ctx: _Ctx, meetings: list[Meeting]) -> list[AgendaItem]:
    """Escalated problems go on the agenda of the next joint meeting after escalation."""
    joint = sorted((m for m in meetings if m.kind == "joint"), key=lambda m: m.starts_at)
    items, counts = [], {}
    for issue, at in ctx.escalations:
        meeting = next((m for m in joint if m.starts_at > at), None)
        if meeting is None:
            continue
        counts[meeting.id] = counts.get(meeting.id, 0) + 1
        items.append(AgendaItem(meeting_id=meeting.id, issue_id=issue.id,
                                position=counts[meeting.id], source="escalated", title=issue.title,
                                question=f"请会议协调{issue.title}，明确牵头单位和完成时限。",
                                proposed_by_id=ctx.demo["coordinator"].id))
    return items


def _typical_cases(ctx: _Ctx, review: Meeting | None, issues: list[Issue]) -> list[TypicalCase]:
    if review is None:
        return []
    done = [i for i in issues if i.state == "closed" and i.rating == 5 and i.resolved_at
            and review.period_start <= to_local(i.resolved_at).date() <= review.period_end]
    return [TypicalCase(meeting_id=review.id, issue_id=i.id, position=n, note="部门主动上门、快速办结的典型案例。")
            for n, i in enumerate(done[:2], 1)]


# --------------------------------------------------------------------------- notifications
def _notifications(ctx: _Ctx, issues: list[Issue], planning: Meeting | None) -> list[Notification]:
    """The bell for the demo sign-ins: new dispatches, resolutions, overdue, returns."""
    d, out = ctx.demo, []

    def note(user, kind, issue, text, at, read=False):
        out.append(Notification(user_id=user.id, kind=kind, text=text, link=f"/problems/{issue.id}",
                                issue_id=issue.id, created_at=at, read_at=at + timedelta(hours=2)
                                if read else None, dedupe_key=f"demo:{kind}:{issue.id}"))

    hr = ctx.units[HR_BUREAU].id
    for issue in issues:
        if issue.lead_unit_id == hr and issue.state == "dispatched":
            note(d["handler"], "dispatched", issue, f"新交办问题 {issue.number}：{issue.title}，请及时签收。",
                 issue.dispatched_at)
        if issue.state == "returned":
            note(d["coordinator"], "returned", issue, f"问题 {issue.number} 被承办单位退回，请重新交办。",
                 issue.updated_at)
        if issue.enterprise_id and ctx.leader_a.get(issue.enterprise_id) == d["leader"].id \
                and issue.state in ("dispatched", "in_progress") and ctx.now > issue.due_at:
            note(d["leader"], "overdue", issue, f"您包联企业的问题 {issue.number} 已超期：{issue.title}",
                 issue.due_at + timedelta(hours=1))
        if issue.raised_by_id == d["commissioner"].id and issue.state in ("resolved", "closed"):
            note(d["commissioner"], "resolved", issue,
                 f"问题 {issue.number} 已办结，请回访企业并请企业评价。", issue.resolved_at or issue.closed_at,
                 read=issue.state == "closed")
    if planning is not None:
        out.append(Notification(user_id=d["leader"].id, kind="meeting",
                                link=f"/meetings/{planning.id}",
                                text=f"{planning.title}正在筹备，请审阅提交会议协调的问题。",
                                created_at=ctx.now - timedelta(hours=3),
                                dedupe_key=f"demo:meeting:{planning.id}"))
    return out


# --------------------------------------------------------------------------- entry point
def _number(issues: list[Issue]):
    """Readable numbers in raise order from the shared counters (which then continue).

    One block per year: ``next_value`` takes the first number (creating the counter
    when needed) and one more UPDATE moves the counter past the block — on the
    session's connection, since the ORM would otherwise compare every one of the
    thousands of demo objects in the session against the counter, once per number.
    """
    by_year: dict[int, list[Issue]] = {}
    for issue in sorted(issues, key=lambda i: i.raised_at):
        by_year.setdefault(to_local(issue.raised_at).year, []).append(issue)
    for year, group in by_year.items():
        key = f"issue:{year}"
        first = next_value(key)
        if len(group) > 1:
            db.session.connection().execute(update(Counter).where(Counter.key == key)
                                            .values(value=Counter.value + len(group) - 1))
        for n, issue in enumerate(group, first):
            issue.number = f"{year}-{n:04d}"


def populate(today: date | None = None, seed: int = 20261127) -> dict[str, int]:
    """Add the demo county to ``db.session`` (flushed, not committed); return counts.

    ``today`` (default: today in Asia/Shanghai) ends the six months of activity, at
    noon — or at the present moment when that is earlier on the same day, so that no
    visit, event or notice lies in the future; the same ``seed`` and ``today`` (past, or
    loaded after noon) give the same data.
    """
    today = today or local_today()
    window_start = week_start(today) - timedelta(weeks=25)
    now = local_midnight_utc(today) + timedelta(hours=12)   # the demo clock: noon …
    if today == local_today():   # … or now, in the morning: nothing happens in the future
        now = min(now, utcnow().replace(second=0, microsecond=0))
    ctx = _Ctx(rng=random.Random(seed), today=today, now=now,
               window_start=window_start,
               overrides=overrides_between(window_start - timedelta(days=400),
                                           today + timedelta(days=120)))
    counts = _populate_registry(ctx)
    counts.update(_populate_activity(ctx))
    return counts


def _populate_registry(ctx: _Ctx) -> dict[str, int]:
    """Units, reference data, people, enterprises, assignments, policies and visits."""
    units = _make_units(ctx)
    categories = seed_reference_data()
    ctx.categories, ctx.limits = {c.name: c for c in categories}, _load_limits()
    users = _make_users(ctx)
    enterprises, contacts = _make_enterprises(ctx)
    assignments = _make_assignments(ctx)
    policies = _make_policies(ctx)
    db.session.flush()
    visits = _make_visits(ctx, policies)
    db.session.flush()
    return {"units": len(units), "users": len(users), "enterprises": len(enterprises),
            "contacts": len(contacts), "assignments": len(assignments),
            "policies": len(policies), "visits": len(visits), "categories": len(categories)}


def _populate_activity(ctx: _Ctx) -> dict[str, int]:
    """Problems with their timelines, meetings and decisions, agenda, notifications."""
    issues = _make_issues(ctx)
    meetings = _make_meetings(ctx)
    db.session.add_all(meetings)
    db.session.flush()
    minuted = [m for m in meetings if m.kind == "joint" and m.state == "minuted"]
    decisions = _make_decisions(ctx, minuted[-1]) if minuted else []
    issues += [issue for _, issue in decisions]
    _number(issues)   # before the problems join the session: the counters flush it
    db.session.add_all(issues)
    db.session.flush()
    for decision, issue in decisions:
        decision.issue_id = issue.id
        db.session.add(decision)
    db.session.add_all(IssueUnit(issue_id=i.id, unit_id=u) for i, u in ctx.coop)
    review = next((m for m in meetings if m.kind == "review" and m.state == "minuted"), None)
    agenda = _agenda(ctx, meetings)
    cases = _typical_cases(ctx, review, issues)
    planning = next((m for m in meetings if m.kind == "joint" and m.state == "planning"), None)
    notes = _notifications(ctx, issues, planning)
    db.session.add_all(agenda + cases + notes)
    db.session.flush()
    return {"issues": len(issues), "issue_events": sum(len(i.events) for i in issues),
            "meetings": len(meetings), "decisions": len(decisions), "agenda_items": len(agenda),
            "notifications": len(notes)}
