"""The official-document side of the demo's meetings (issue 15): the leaders' protocol
order, the units' short names, each meeting's chair, copies printed and attendance,
the agenda's presenting units and minutes, and the 文号 of the papers already issued."""
from __future__ import annotations

from crm.core.timeutil import to_local
from crm.extensions import db
from crm.meetings.models import AgendaItem, DocumentNumber, Meeting, MeetingAttendee
from crm.seed.county import meetings as county_meetings
from crm.seed.county.context import Ctx

# Protocol order by post: 市委书记, 市长, 常务副市长, 市委常委 then 副市长 …
PROTOCOL = ("市委书记", "市委副书记、市长", "市委常委、常务副市长", "市委常委、副市长", "副市长",
            "市政府党组成员", "市人大常委会副主任")
SHORT_NAMES = {
    "市发展和改革局": "发改局", "市工业和信息化局": "工信局", "市自然资源局": "自然资源局",
    "市人力资源和社会保障局": "人社局", "市住房和城乡建设局": "住建局",
    "市市场监督管理局": "市场监管局", "市税务局": "税务局", "市供电公司": "供电公司",
    "市水务集团": "水务集团", "市金融工作局": "金融局", "市科学技术局": "科技局",
    "市商务局": "商务局", "市行政审批服务局": "审批局", "市公安局": "公安局",
    "市政府办公室": "政府办",
}
COPIES = 60
AGENDA_MINUTES = 10


def short_name(name: str) -> str:
    """人社局 for 市人力资源和社会保障局; 青石镇 for 青石镇人民政府."""
    if name in SHORT_NAMES:
        return SHORT_NAMES[name]
    for tail in ("人民政府", "办事处"):
        if name.endswith(tail):
            return name[:-len(tail)]
    return name[:10]


def dress(ctx: Ctx, meetings: list[Meeting], agenda: list[AgendaItem],
          issues: list) -> None:
    """Set the protocol order, short names, chairs, copies, attendance, agenda details
    and the 文号 of the minuted meetings' papers, and choose the typical cases of the
    review meeting still in preparation (flushes nothing itself)."""
    leaders = sorted(ctx.leaders, key=lambda u: (
        PROTOCOL.index(u.title) if u.title in PROTOCOL else len(PROTOCOL), u.id))
    for n, leader in enumerate(leaders, 1):
        leader.protocol_order = n
    for unit in ctx.units.values():
        unit.short_name = short_name(unit.name)
    chair = leaders[0]
    departments = [u for u in ctx.units.values() if u.kind == "department"]
    for meeting in meetings:
        meeting.chair = f"{chair.display_name}（{chair.title}）"
        meeting.copies = COPIES
        meeting.attendees = "联席办全体同志"
        for leader in leaders[:-1]:
            db.session.add(MeetingAttendee(meeting_id=meeting.id, user_id=leader.id,
                                           role="present"))
        db.session.add(MeetingAttendee(meeting_id=meeting.id, user_id=leaders[-1].id,
                                       role="absent"))
        for unit in departments:
            db.session.add(MeetingAttendee(meeting_id=meeting.id, unit_id=unit.id,
                                           role="attending"))
    for item in agenda:
        item.minutes_allotted = AGENDA_MINUTES
    upcoming = next((m for m in meetings if m.kind == "review" and m.state == "planning"),
                    None)
    db.session.add_all(county_meetings.typical_cases(ctx, upcoming, issues))
    seq: dict[tuple[str, int], int] = {}
    for meeting in sorted((m for m in meetings if m.state == "minuted"),
                          key=lambda m: m.starts_at):
        year = to_local(meeting.starts_at).year
        for series in ("packet", "minutes"):
            seq[series, year] = seq.get((series, year), 0) + 1
            db.session.add(DocumentNumber(series=series, year=year, seq=seq[series, year],
                                          meeting_id=meeting.id))
