"""The spreadsheet columns shared by the import template, the importer and the export.

The export writes the same columns as the template (plus read-only facts), so an
exported list can be corrected in Excel and imported again.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from crm.enterprises.models import CLUSTERS, INDUSTRIES, OWNERSHIPS, SCALES, SIZES, STATUSES

ZH = "zh_Hans_CN"


@dataclass(frozen=True)
class Column:
    """One spreadsheet column: field key, header, whether required, an explanation."""

    key: str
    label: object
    required: bool = False
    hint: object = ""
    width: int = 16
    aliases: tuple = ()


COLUMNS = [
    Column("name", _l("Enterprise name"), True, width=30, aliases=("名称", "单位名称")),
    Column("credit_code", _l("Unified social credit code"), True,
           _l("18 characters; set the column to text format in Excel."), 22,
           aliases=("信用代码", "社会信用代码", "统一代码")),
    Column("legal_rep", _l("Legal representative"), aliases=("法人", "法人代表")),
    Column("industry", _l("Industry"),
           hint=_l("GB/T 4754 section letter or name, e.g. C or Manufacturing."),
           aliases=("行业", "行业门类")),
    Column("cluster", _l("Cluster / industrial chain"), aliases=("产业集群", "产业链")),
    Column("is_chain_leader", _l("Chain leader"), hint=_l("Yes or No."), width=10,
           aliases=("链主",)),
    Column("scale", _l("Above/below designated size"), width=12, aliases=("规模",)),
    Column("size", _l("Size class"), hint=_l("Large, medium, small or micro."), width=12,
           aliases=("企业划型",)),
    Column("ownership", _l("Ownership"), width=12, aliases=("所有制", "经济类型")),
    Column("town", _l("Town or sub-district"), hint=_l("The town office's name as in the system."),
           aliases=("镇办", "所属镇办", "所在镇街")),
    Column("park", _l("Industrial park"), aliases=("园区",)),
    Column("address", _l("Address"), width=30, aliases=("企业地址", "详细地址")),
    Column("employees", _l("Employees"), width=10, aliases=("职工人数", "员工人数")),
    Column("annual_output", _l("Annual output (10,000 yuan)"), width=14,
           aliases=("年产值", "产值")),
    Column("status", _l("Operating status"), hint=_l("Empty means operating normally."),
           width=12, aliases=("状态", "生产状态")),
    Column("tags", _l("Tags"), hint=_l("Separate with commas."), aliases=()),
    Column("contact_name", _l("Contact person"), width=12, aliases=("联系人姓名",)),
    Column("contact_title", _l("Contact's post"), width=12, aliases=("职务",)),
    Column("contact_phone", _l("Contact phone"), width=16,
           aliases=("电话", "手机", "联系方式", "手机号码")),
    Column("leader_a", _l("Leader A (user name)"), aliases=("A角", "A角领导")),
    Column("leader_b", _l("Leader B (user name)"), aliases=("B角", "B角领导")),
    Column("commissioners", _l("Commissioners (user names)"),
           hint=_l("Several user names separated by commas."), width=22,
           aliases=("帮扶特派员", "特派员")),
]
BY_KEY = {c.key: c for c in COLUMNS}
REQUIRED = [c.key for c in COLUMNS if c.required]

# Read-only facts the export adds after the importable columns.
EXPORT_FACTS = [
    ("open_count", _l("Open problems")),
    ("red_count", _l("Overdue problems")),
    ("last_visit", _l("Last visit")),
    ("visited_this_week", _l("Visited this week")),
]

_PUNCT = re.compile(r"[\s*＊:：()（）\[\]【】/／、,，._\-—]+")
_PAREN = re.compile(r"[（(][^）)]*[）)]")


def norm(text) -> str:
    """Compare headers and choice values without spaces, punctuation or case."""
    return _PUNCT.sub("", str(text or "")).lower()


def zh(label) -> str:
    """A label in Chinese, whatever the user's language (the file format is Chinese)."""
    with force_locale(ZH):
        return str(label)


def header_lookup() -> dict[str, str]:
    """Normalised header spelling → column key (Chinese, English, short forms)."""
    lookup = {}
    for col in COLUMNS:
        names = [col.key, zh(col.label), str(col.label), *col.aliases]
        with force_locale("en"):
            names.append(str(col.label))
        for name in names:
            lookup.setdefault(norm(name), col.key)
            lookup.setdefault(norm(_PAREN.sub("", name)), col.key)
    return lookup


# -- choice values ---------------------------------------------------------------

ALIASES = {
    "scale": {"规模以上": "above", "规模以下": "below", "规上企业": "above", "规下企业": "below"},
    "size": {"大": "large", "中": "medium", "小": "small", "微": "micro", "大型企业": "large",
             "中型企业": "medium", "小型企业": "small", "微型企业": "micro"},
    "ownership": {"国企": "state", "国有企业": "state", "民企": "private", "民营企业": "private",
                  "私营": "private", "外资企业": "foreign", "外商投资": "foreign",
                  "港澳台": "hmt", "混合": "mixed", "混合所有制企业": "mixed"},
    "status": {"正常": "normal", "在营": "normal", "减产": "reduced", "停产": "halted",
               "停业": "halted", "注销": "deregistered", "已注销": "deregistered"},
}
CHOICES = {"scale": SCALES, "size": SIZES, "ownership": OWNERSHIPS, "status": STATUSES}
YES = {"是", "y", "yes", "true", "1", "√", "✓", "链主", "链主企业"}
NO = {"否", "n", "no", "false", "0", "×", "不是"}


def choice_lookup(key: str) -> dict[str, str]:
    """Normalised spelling → code for a choice column (codes, Chinese, English, aliases)."""
    if key == "cluster":
        return {norm(c): c for c in CLUSTERS}
    if key == "industry":
        out = {}
        for code, label in INDUSTRIES.items():
            out[norm(code)] = code
            out[norm(zh(label))] = code
            with force_locale("en"):
                out.setdefault(norm(str(label)), code)
        return out
    out = {}
    for code, label in CHOICES[key].items():
        out[norm(code)] = code
        out[norm(zh(label))] = code
        with force_locale("en"):
            out.setdefault(norm(str(label)), code)
    for alias, code in ALIASES.get(key, {}).items():
        out.setdefault(norm(alias), code)
    return out


def choice_labels(key: str) -> str:
    """The accepted values of a choice column, in Chinese, for error messages."""
    if key == "cluster":
        return "、".join(CLUSTERS)
    if key == "industry":
        return "A–T"
    return "、".join(zh(label) for label in CHOICES[key].values())
