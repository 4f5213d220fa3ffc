"""Hostile input: every form of the app receives random and extreme values.

The forms are found, not listed: each page below is rendered for a user holding every
role, its ``<form method="post">`` elements are parsed (action and field names), and
hypothesis posts values to each field — long strings, control characters, NUL bytes,
emoji and rare CJK (𬌗), negative and huge numbers, malformed dates, wrong types and
garbage ids. Nothing may answer 5xx, and a submission answered with the form again
(an invalid one) must not have written a row.
"""
from __future__ import annotations

import io
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.extensions import db
from tests import factories
from tests.security.test_permission_matrix import build_world
from tests.security.test_web import row_counts

MAX_EXAMPLES = 30
EXTREMES = [
    "", " ", "0", "-1", "-999999999999", "99999999999999999999999", "1e309", "NaN", "inf",
    "3.14159265358979323846", "٣", "2026-02-30", "0000-00-00", "9999-99-99", "2026-13-01",
    "1900-01-01", "99999-01-01", "yesterday", "2026/10/01", "2026-10", "\x00", "a\x00b",
    "\x01\x02\x1b[31m", "\u202e\u200b", "𬌗" * 50, "😀🇨🇳" * 20, "𬌗" * 5000, "x" * 100_000,
    "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd", "%s%n", "{{7*7}}",
    "[]", "{}", "null", "true", "abc", "12abc", "2026-0137", "9" * 40,
]
VALUE = st.one_of(st.sampled_from(EXTREMES), st.text(max_size=300),
                  st.integers(min_value=-(2 ** 70), max_value=2 ** 70).map(str))
# Pages whose forms are fuzzed ({e}: enterprise, {i}: problem, {m}: meeting, {u}: user).
PAGES = [
    "/enterprises/new", "/enterprises/{e}/edit", "/enterprises/{e}/contacts/new",
    "/enterprises/{e}", "/visits/new/{e}", "/problems/new/{e}", "/problems/{i}",
    "/problems/{i2}", "/problems/triage", "/meetings/new", "/meetings/{m}",
    "/admin/users/new", "/admin/users/{u}", "/admin/units/new", "/visits/policies/new",
    "/problems/admin/categories/new", "/problems/admin/rules/new", "/problems/admin/calendar",
    "/enterprises/leaders/{u}/away",
    "/c/{c}/raise",  # the enterprise's own form behind its code (issue 18)
    "/c/{c}/rate/{rn}",  # the enterprise rates its resolved problem through its code
    "/problems/{ia}/appeal",  # the unit's appeal against a rating, with files
    "/visits/shared",  # visit caps (issue 14)
    # 专班 (issue 16)
    "/taskforces/new", "/taskforces/{tf}/edit", "/taskforces/{tf}", "/taskforces/{tf}/projects/new",
    "/taskforces/projects/{p}", "/taskforces/milestones/{ms}/edit", "/taskforces/meetings/{rm}",
    "/taskforces/groups/new", "/taskforces/groups/{g}", "/taskforces/template",
    # 政银企 (issue 17): needs, the push, closing, sessions, the 停减产 card
    "/financing/new", "/financing/{fn}/edit", "/financing/{fn}/push", "/financing/{fn}",
    "/financing/sessions/new", "/financing/sessions/{fs}", "/financing/support/{e}",
]
SKIP_ACTIONS = ("/logout", "/lang/", "/delete", "/notifications/read", "/import")


class FormParser(HTMLParser):
    """Collects (action, [field names]) of the POST forms of a page."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, list[str]]] = []
        self._current = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._current = (a.get("action") or "", [])
            self.forms.append(self._current)
        elif self._current is not None and tag in ("input", "select", "textarea") \
                and a.get("name") and a["name"] != "csrf_token" and a.get("type") != "file":
            if a["name"] not in self._current[1]:
                self._current[1].append(a["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def discover_forms(client, world) -> list[tuple[str, str, list[str]]]:
    """(page, action, fields) for every POST form on ``PAGES``."""
    found, seen = [], set()
    for page in PAGES:
        url = page.format(**world)
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        parser = FormParser()
        parser.feed(response.get_data(as_text=True))
        for action, fields in parser.forms:
            action = action or url
            if any(s in action for s in SKIP_ACTIONS) or action in seen or not fields:
                continue
            seen.add(action)
            found.append((url, action, fields))
    return found


@pytest.fixture
def fuzz_world(app, client, login_as):
    """A user with every role and the matrix's small world; returns the ids."""
    world = build_world("coordinator")
    boss = world["me"]
    boss.roles = ["coordinator", "admin", "leader", "commissioner", "handler"]
    own = world["own"]
    from crm.enterprises.models import Enterprise

    ent = db.session.get(Enterprise, own["enterprise_id"])
    factories.assignment(ent, boss)
    i2 = factories.issue(ent, boss, state="in_progress", lead_unit_id=boss.unit_id,
                         handler_id=boss.id)
    from crm.core.timeutil import utcnow

    resolved = factories.issue(ent, boss, state="resolved", lead_unit_id=boss.unit_id,
                               resolution="已办结", resolved_at=utcnow())
    rated = factories.issue(ent, boss, state="closed", lead_unit_id=boss.unit_id,
                            resolution="已办结", resolved_at=utcnow(), rating=1,
                            rated_at=utcnow(), rating_channel="self")
    db.session.commit()
    login_as(boss)
    return {"e": own["enterprise_id"], "i": own["issue_id"], "i2": i2.id,
            "m": own["meeting_id"], "u": own["user_id"], "c": ent.channel_code,
            "tf": own["tf_id"], "p": own["project_id"], "ms": own["milestone_id"],
            "rm": own["rm_id"], "g": own["group_id"],
            "fn": own["need_id"], "fs": own["session_id"],
            "rn": resolved.number, "ia": rated.id}


def test_every_form_survives_hostile_values(app, client, fuzz_world):
    """No 5xx on any form; a refused submission writes nothing."""
    forms = discover_forms(client, fuzz_world)
    token = client.csrf_token()
    report = {}

    for page, action, fields in forms:
        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture,
                                         HealthCheck.too_slow])
        @given(data=st.fixed_dictionaries({name: VALUE for name in fields}))
        def post_once(data):
            before = row_counts()
            response = client.post(action, data={**data, "csrf_token": token})
            assert response.status_code < 500, (action, data)
            db.session.expire_all()
            if response.status_code != 302:
                assert row_counts() == before, (action, data, response.status_code)
            report[action] = report.get(action, 0) + 1

        post_once()
    # The discovery really found the app's forms (sign-in is fuzzed separately).
    assert len(forms) >= 25, [f[1] for f in forms]
    print(f"\nfuzzed {len(forms)} forms, {sum(report.values())} examples")


@settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(username=VALUE, password=VALUE, remember=VALUE)
def test_sign_in_survives_hostile_values(app, client, username, password, remember):
    """The sign-in form never errors and never signs anyone in on garbage."""
    before = row_counts()
    response = client.post_form("/login", {"username": username, "password": password,
                                           "remember": remember})
    assert response.status_code in (200, 400, 429)
    db.session.expire_all()
    assert row_counts() == before


@settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blob=st.one_of(st.binary(max_size=4000),
                      st.sampled_from([b"PK\x03\x04" + b"\x00" * 100, b"\xef\xbb\xbf\x00\x00",
                                       "名称,统一社会信用代码\n𬌗,\x00\n".encode("gb18030"),
                                       b"%PDF-1.7\n", b"\xff\xd8\xff\xe0" + b"x" * 200])),
       name=st.sampled_from(["a.xlsx", "a.csv", "a.xls", "a", "../../x.csv", "𬌗.xlsx"]))
def test_import_survives_hostile_files(app, client, login_as, blob, name):
    """Garbage uploaded as an enterprise import is refused with a message, no 5xx, and
    no enterprise is written."""
    from crm.enterprises.models import Enterprise

    if not getattr(client, "_signed_in", False):
        login_as("coordinator")
        client._signed_in = True
    before = db.session.scalar(db.select(db.func.count()).select_from(Enterprise))
    response = client.post_form("/enterprises/import", {"file": (io.BytesIO(blob), name)},
                                content_type="multipart/form-data")
    assert response.status_code < 500
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(Enterprise)) == before


@pytest.mark.parametrize("query", ["page=abc", "page=-1", "page=99999999999999999999",
                                   "unit=xyz", "state=%00", "q=%F0%AC%8C%97", "week=2026-99",
                                   "light=\x00", "from=2026-02-30&to=abc", "sort=;drop"])
def test_garbage_query_strings_never_500(app, client, fuzz_world, query):
    """Lists and boards take any query string without a server error."""
    for url in ("/enterprises/", "/problems/", "/visits/", "/visits/week", "/problems/triage",
                "/problems/inbox", "/meetings/", "/meetings/overview", "/visits/coverage",
                "/admin/users", "/notifications", "/enterprises/export.xlsx",
                "/problems/export.xlsx", "/visits/export.xlsx", "/meetings/scorecards"):
        response = client.get(f"{url}?{query}")
        assert response.status_code < 500, (url, query)


def test_nul_byte_is_refused_with_a_clear_page_and_nothing_written(app, client, fuzz_world):
    """A NUL byte (PostgreSQL cannot store it; it was a 500) gets a Chinese 400 page."""
    before = row_counts()
    response = client.post_form("/problems/admin/categories/new", {"name": "类别\x00"})
    assert response.status_code == 400
    assert "无法保存的字符" in response.get_data(as_text=True)
    assert client.get("/r/abc%00def").status_code == 400
    # In a query string the NUL is dropped, like any unreadable filter.
    listing = client.get("/enterprises/?q=%00")
    assert listing.status_code == 200 and "本方企业有限公司" in listing.get_data(as_text=True)
    db.session.expire_all()
    assert row_counts() == before


def test_empty_agenda_proposal_and_typical_case_are_refused_not_500(app, client, fuzz_world):
    """Both were 500s: an empty proposal reached the CHECK constraint, and the form's
    lazy error messages broke the flash."""
    before = row_counts()
    for path in ("agenda", "cases"):
        response = client.post_form(f"/meetings/{fuzz_world['m']}/{path}", {})
        assert response.status_code == 302
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "alert-danger" in page
    db.session.expire_all()
    assert row_counts() == before
