"""Every spreadsheet the product hands out is written by crm.core.xlsx: text people typed
that a spreadsheet program would run (=, +, -, @, tab, CR at the start) arrives as text,
exactly as typed, in every export — never as a formula cell."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from crm.core.timeutil import local_today
from crm.extensions import db
from crm.issues.models import Issue
from crm.issues.workflow import transition
from crm.meetings.models import Briefing, Meeting
from tests import factories
from tests.enterprises.test_registry import form_data
from tests.liaisons.conftest import FETCH, visit_data

RISKY = {
    "enterprise": '=HYPERLINK("http://evil.example","点我")',
    "tags": "+出口 -外贸",
    "title": "=1+2",
    "visit": "@SUM(A1:A9) 现场了解",
    "next": "-2+3 下周再去",
    "problem": "\t=cmd|' /C calc'!A0",
}


def _cells(data: bytes):
    book = load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            yield from row


def _assert_text_only(data: bytes, expected: list[str]) -> None:
    cells = list(_cells(data))
    formulas = [(c.coordinate, c.value) for c in cells if c.data_type == "f"]
    assert formulas == []
    values = {c.value for c in cells if isinstance(c.value, str)}
    for text in expected:
        assert text in values, (text, sorted(v for v in values if v[:1] in "=+-@\t\r"))


def test_every_export_keeps_typed_formulas_as_text(app, client, login_as):
    coord = login_as("coordinator")
    town = factories.unit("城关镇", kind="town")
    com = factories.user(["commissioner"], username="wang", unit=town)
    unit = factories.unit("市工信局")
    handler = factories.user(["handler"], username="h1", unit=unit)
    cat = factories.category("用电用能", lead_unit=unit)
    db.session.commit()

    # The registry: the name and the tags typed into the enterprise form.
    r = client.post_form("/enterprises/new", form_data(name=RISKY["enterprise"],
                                                       tags=RISKY["tags"]))
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    from crm.enterprises.models import Enterprise

    ent = db.session.scalar(select(Enterprise))
    factories.assignment(ent, com)
    db.session.commit()

    # A visit and a problem typed by the commissioner.
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    login_as(com)
    r = client.post_form(f"/visits/new/{ent.id}", visit_data(
        summary=RISKY["visit"], next_step=RISKY["next"]), headers=FETCH)
    assert r.status_code == 200 and r.get_json()["ok"], r.get_data(as_text=True)[:500]
    r = client.post_form(f"/problems/new/{ent.id}", {
        "title": RISKY["title"], "description": RISKY["problem"], "category_id": cat.id})
    assert r.status_code == 302
    issue = db.session.scalar(select(Issue).where(Issue.title == RISKY["title"]))
    transition(issue, "dispatch", coord, unit_id=unit.id)
    db.session.commit()
    assert handler  # the unit has a handler, so the problem shows in unit figures

    client.post("/logout", data={"csrf_token": client.csrf_token()})
    login_as(coord)
    exports = {
        "enterprises": (client.get("/enterprises/export.xlsx"),
                        [RISKY["enterprise"], RISKY["tags"]]),
        "problems": (client.get("/problems/export.xlsx"), [RISKY["title"], RISKY["enterprise"]]),
        "visits": (client.get("/visits/export.xlsx"),
                   [RISKY["visit"], RISKY["next"], RISKY["enterprise"]]),
        "template": (client.get("/enterprises/import/template.xlsx"), []),
    }
    month = local_today().strftime("%Y-%m")
    client.post_form("/meetings/new", {"kind": "joint", "month": month,
                                       "confirm_duplicate": "y"})
    meeting = db.session.scalar(select(Meeting))
    client.post_form(f"/meetings/{meeting.id}/agenda", {"issue_number": issue.number,
                                                        "question": RISKY["title"]})
    client.post_form(f"/briefings/meeting/{meeting.id}")
    briefing = db.session.scalar(select(Briefing))
    exports["packet tables"] = (client.get(f"/briefings/{briefing.id}/tables.xlsx"), [])
    for name, (response, expected) in exports.items():
        assert response.status_code == 200, name
        assert response.headers["Content-Type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), name
        _assert_text_only(response.data, expected)


@pytest.mark.parametrize("value", ["=A1", "+A1", "-A1", "@A1", "\tA1", "\rA1"])
def test_writer_stores_risky_text_as_text_without_changing_it(value):
    from crm.core import xlsx

    book = xlsx.new_book()
    sheet = xlsx.add_sheet(book, "表", ["列"])
    xlsx.append(sheet, [value, 12, None])
    cells = list(_cells(xlsx.to_bytes(book)))
    # Older openpyxl reads a stored carriage return back as a line feed (XML end-of-line
    # normalisation); 3.1.5 keeps it.
    read_back = {value, value.replace("\r", "\n")}
    assert [c.data_type for c in cells if c.value in read_back] == ["s"]
    assert not any(c.data_type == "f" for c in cells)
