"""The permission matrix: every route × every role (and anonymous) × own / other record.

Each route of ``app.url_map`` is requested with the URL filled from a small world with
one record of each kind that belongs to the signed-in role ("own") and one that does
not ("other"); the answer is compared with ``permission_table.expected``. GET and POST
are both exercised (POSTs carry a real CSRF token and no data: the permission gate
answers before any validation).
"""
from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from crm.core.models import Notification
from crm.extensions import db
from crm.meetings.models import AgendaItem, Briefing, Meeting
from tests import factories
from tests.financing.world import financing_world
from tests.taskforces.world import taskforce_world
from tests.security import permission_table as pt

# URL arguments for which the matrix cannot hold a real record in every run: passing
# the role gate then ends in a 404 for a missing record, which counts as "allowed".
UNFILLED = {"batch_id", "override_id", "rule_id", "photo_id", "followup_id", "appeal_id",
            "group_id", "file_id"}
# Destructive or session-ending POSTs run last.
LAST = ("enterprises.delete", "enterprises.contact_delete", "enterprises.end_assignment",
        "auth.logout")


def build_world(me_role: str | None) -> dict:
    """Records for the signed-in user (own) and someone else (other); returns ids."""
    town, dept, dept2 = (factories.unit("本镇", kind="town"), factories.unit("本局"),
                         factories.unit("他局"))
    bank_own, bank_other = factories.unit("本行", kind="bank"), factories.unit("他行", kind="bank")
    me = factories.user(roles=[me_role], unit={"handler": dept, "bank": bank_own}.get(
        me_role, town)) if me_role else None
    mine_c = me if me_role == "commissioner" else factories.user(roles=["commissioner"])
    mine_l = me if me_role == "leader" else factories.user(roles=["leader"])
    other_c, other_l = factories.user(roles=["commissioner"]), factories.user(roles=["leader"])
    e_own, e_other = factories.enterprise("本方企业有限公司"), factories.enterprise("他方企业有限公司")
    factories.assignment(e_own, mine_c, "commissioner")
    factories.assignment(e_own, mine_l, "leader_a")
    factories.assignment(e_other, other_c, "commissioner")
    factories.assignment(e_other, other_l, "leader_a")
    c_own, c_other = factories.contact(e_own), factories.contact(e_other)
    v_own = factories.visit(e_own, mine_c, summary="本方走访纪要")
    v_other = factories.visit(e_other, other_c, summary="他方走访纪要")
    i_own = factories.issue(e_own, mine_c, state="dispatched", lead_unit_id=dept.id,
                            title="本方问题标题", due_at=None)
    i_other = factories.issue(e_other, other_c, state="dispatched", lead_unit_id=dept2.id,
                              title="他方问题标题")
    meeting = Meeting(kind="joint", number="2026年第11次", title="联席会议",
                      period_start=date(2026, 10, 1), period_end=date(2026, 10, 31))
    db.session.add(meeting)
    db.session.flush()
    item = AgendaItem(meeting_id=meeting.id, issue_id=i_own.id)
    db.session.add(item)
    b_own = Briefing(kind="portfolio", leader_id=mine_l.id, state="success", pdf=b"%PDF-1.7 x",
                     sha256="0" * 64, size=10, pages=1)
    b_other = Briefing(kind="portfolio", leader_id=other_l.id, state="success",
                       pdf=b"%PDF-1.7 y", sha256="1" * 64, size=10, pages=1)
    db.session.add_all([b_own, b_other])
    abs_own, abs_other = factories.absence(mine_l), factories.absence(other_l)
    assignment = factories.assignment(e_own, factories.user(roles=["commissioner"]),
                                      "commissioner")
    cat, pol = factories.category(), factories.policy()
    n_own = Notification(user_id=(me or other_c).id, kind="test", text="x", link="/")
    n_other = Notification(user_id=other_c.id, kind="test", text="y", link="/")
    db.session.add_all([n_own, n_other])
    db.session.flush()
    fin_own, fin_other = financing_world(e_own, e_other, bank_own, bank_other)
    tf_own, tf_other = taskforce_world(me, mine_l, other_l, dept, dept2)
    db.session.commit()
    common = {"meeting_id": meeting.id, "item_id": item.id, "assignment_id": assignment.id,
              "category_id": cat.id, "policy_id": pol.id, "unit_id": dept.id,
              "role": "commissioner", "action": "sign", "token": "not-a-token", "code": "en",
              "filename": "app.css", "batch_id": 987654, "override_id": 987654,
              "rule_id": 987654, "photo_id": 987654, "followup_id": 987654,
              "appeal_id": 987654, "group_id": 987654, "week": "2026-11-16",
              "file_id": 987654, "number": "2026-9999"}
    return {
        "me": me,
        "own": {**common, "enterprise_id": e_own.id, "contact_id": c_own.id,
                "visit_id": v_own.id, "issue_id": i_own.id, "briefing_id": b_own.id,
                "user_id": mine_l.id, "absence_id": abs_own.id, "notification_id": n_own.id,
                **fin_own, **tf_own},
        "other": {**common, "enterprise_id": e_other.id, "contact_id": c_other.id,
                  "visit_id": v_other.id, "issue_id": i_other.id, "briefing_id": b_other.id,
                  "user_id": other_l.id, "absence_id": abs_other.id,
                  "notification_id": n_other.id, **fin_other, **tf_other},
    }


def classify(response) -> str:
    """What a person would experience: served, refused, or sent to sign in."""
    if response.status_code >= 500:
        return "error"
    if response.status_code in (403, 404):
        return "deny"
    if response.status_code in (301, 302, 303) and "/login" in response.headers["Location"]:
        return "login"
    return "ok"


def _requests(app):
    """(order, endpoint, method, rule) for every route, writes after reads."""
    out = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            order = 0 if method == "GET" else (2 if rule.endpoint in LAST else 1)
            if rule.endpoint == "auth.logout":
                order = 3
            out.append((order, rule.endpoint, method, rule))
    return sorted(out, key=lambda r: (r[0], r[1], r[3].rule))


def run_matrix(app, client, role: str | None, world: dict) -> tuple[list, int]:
    """Request every route for own and other; return the mismatches and the count."""
    token = client.csrf_token()
    mismatches, count = [], 0
    for _order, endpoint, method, rule in _requests(app):
        assert endpoint in pt.TABLE, f"route {rule.rule} ({endpoint}) has no row in the table"
        for which in ("own", "other"):
            values = {arg: world[which][arg] for arg in rule.arguments}
            url = rule.build(values, append_unknown=False)[1]
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data={"csrf_token": token})
            count += 1
            got, want = classify(response), pt.expected(endpoint, role, which)
            if got == "deny" and want == "ok" and response.status_code == 404 and (
                    set(rule.arguments) & UNFILLED):
                got = "ok"   # through the gate, then no such record
            if endpoint in pt.PUBLIC_ANY_ANSWER and got != "error":
                got = want   # public pages: any non-5xx answer is right
            if got != want:
                mismatches.append((method, url, endpoint, which, want, got,
                                   response.status_code))
            if endpoint == "auth.logout" and role:
                return mismatches, count
    return mismatches, count


@pytest.mark.parametrize("role", [*pt.ROLES, None], ids=[*pt.ROLES, "anonymous"])
def test_permission_matrix(app, client, login_as, role):
    """Every route answers each role as the table says, for its own and another's record."""
    world = build_world(role)
    if role:
        login_as(world["me"])
    mismatches, count = run_matrix(app, client, role, world)
    assert not mismatches, "\n".join(map(str, mismatches))
    assert count >= 2 * len(pt.TABLE) - 20


def _xlsx_text(data: bytes) -> str:
    book = load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(str(cell) for sheet in book.worksheets
                     for row in sheet.iter_rows(values_only=True) for cell in row if cell)


LISTS = [
    # (url, own marker, other marker, roles that reach the list)
    ("/enterprises/", "本方企业有限公司", "他方企业有限公司", pt.ROLES),
    ("/enterprises/export.xlsx", "本方企业有限公司", "他方企业有限公司", pt.ROLES),
    ("/problems/", "本方问题标题", "他方问题标题", pt.ROLES),
    ("/problems/export.xlsx", "本方问题标题", "他方问题标题", pt.ROLES),
    ("/visits/", "本方企业有限公司", "他方企业有限公司", ("commissioner", "leader",
                                                     "coordinator", "admin")),
    ("/visits/export.xlsx", "本方走访纪要", "他方走访纪要", ("commissioner", "leader",
                                                       "coordinator", "admin")),
]


@pytest.mark.parametrize("role", pt.ROLES)
@pytest.mark.parametrize("url,own,other,roles", LISTS, ids=[row[0] for row in LISTS])
def test_lists_and_exports_filter_like_detail_pages(app, client, login_as, role, url, own,
                                                    other, roles):
    """A record the role may not open never appears in its lists or exports."""
    if role not in roles or role in pt.ISOLATED:
        pytest.skip("the role has no such list (an isolated role gets 403: the matrix)")
    world = build_world(role)
    login_as(world["me"])
    response = client.get(url, follow_redirects=True)
    assert response.status_code == 200
    text = (_xlsx_text(response.data) if url.endswith(".xlsx")
            else response.get_data(as_text=True))
    if role in pt.ALL_SEEING:
        assert own in text and other in text
    else:
        assert other not in text
        if role != "handler" or "visits" not in url:
            assert own in text
