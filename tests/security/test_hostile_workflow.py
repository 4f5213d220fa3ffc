"""Hostile input on the problem workflow and on every route that deletes or ends a record.

Workflow: a problem is put in every state (and, where the table needs it, with an
extension request waiting) for a user who holds every role on it; the action forms the
problem page offers are parsed from the page and each gets random and extreme values
(the ``VALUE`` strategy of ``test_hostile_input``) — with the version the person saw,
or garbage instead. Nothing may answer 5xx; a submission that is not accepted (no
redirect) leaves every row of the database as it was; an accepted one sends the person
back to a page of this site only.

Delete routes: garbage ids in the URL (negative, zero, huge, Unicode digits, text),
garbage bodies and garbage or missing CSRF tokens. A real record is only touched with a
real id and a real token; everything else changes nothing.
"""
from __future__ import annotations

from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from crm.core.timeutil import local_today, utcnow
from crm.enterprises.models import ImportBatch
from crm.extensions import db
from crm.issues.models import DeadlineRule, Issue, WorkdayOverride
from crm.issues.workflow import TABLE, allowed_actions
from crm.meetings.models import AgendaItem, Meeting
from tests import factories
from tests.security.test_hostile_input import VALUE

WORKFLOW_EXAMPLES = 15   # per (state, action) form
DELETE_EXAMPLES = 30     # per delete route
EVERY_ROLE = ["coordinator", "admin", "leader", "commissioner", "handler"]
SETTINGS = dict(deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def db_state() -> dict[str, list]:
    """Every row of every table (the world here is small): "nothing changed" means this
    is equal before and after."""
    out = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table)).all()
        out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def assert_local_redirect(response) -> None:
    target = urlsplit(response.headers["Location"])
    assert target.netloc in ("", "localhost") and not response.headers["Location"].startswith(
        "//"), response.headers["Location"]


class ActionForms(HTMLParser):
    """{action name: [field names]} of the workflow forms (``/do/<action>``) of a page."""

    def __init__(self):
        super().__init__()
        self.forms: dict[str, list[str]] = {}
        self._current = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and "/do/" in (a.get("action") or ""):
            self._current = self.forms.setdefault(a["action"].rsplit("/do/", 1)[1], [])
        elif self._current is not None and tag in ("input", "select", "textarea") \
                and a.get("name") and a["name"] != "csrf_token" \
                and a["name"] not in self._current:
            self._current.append(a["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


# Problem set-ups: (state, extra columns). Extension decisions need a request waiting.
VARIANTS = {
    "new": ("new", {}),
    "dispatched": ("dispatched", {}),
    "returned": ("returned", {}),
    "in_progress": ("in_progress", {}),
    "in_progress+extension": ("in_progress", {"extension": True}),
    "paused+extension": ("paused", {"extension": True}),
    "resolved": ("resolved", {}),
    "reopened": ("reopened", {}),
    "closed": ("closed", {}),
}


class WorkflowWorld:
    """A user with every role who is the handler's unit, leader A and commissioner of one
    enterprise; makes problems of that enterprise in any variant."""

    def __init__(self):
        self.unit = factories.unit("发改局")
        factories.unit("工信局")
        self.me = factories.user(roles=EVERY_ROLE, unit=self.unit)
        self.ent = factories.enterprise("兴发制管有限公司")
        factories.assignment(self.ent, self.me, "commissioner")
        factories.assignment(self.ent, self.me, "leader_a")
        self.category = factories.category("用电用能", lead_unit=self.unit)
        meeting = Meeting(kind="joint", number="2026年第12次", title="联席会议",
                          period_start=date(2026, 11, 1), period_end=date(2026, 11, 30))
        db.session.add(meeting)
        db.session.commit()

    def problem(self, variant: str) -> int:
        state, extra = VARIANTS[variant]
        now = utcnow()
        columns = {"lead_unit_id": self.unit.id, "category_id": self.category.id}
        if state not in ("new",):
            columns.update(sign_due_at=now + timedelta(days=1), due_at=now + timedelta(days=7),
                           warn_at=now + timedelta(days=5))
        if state in ("in_progress", "paused", "resolved", "reopened", "closed"):
            columns["signed_at"] = now - timedelta(hours=2)
        if state in ("resolved", "closed"):
            columns.update(resolved_at=now - timedelta(hours=1), resolution="已协调供电公司增容")
        if state == "closed":  # closed after its resolution: it was dispatched (重办 needs it)
            columns["dispatched_at"] = now - timedelta(days=3)
        if extra.get("extension"):
            columns.update(extension_requested_until=local_today() + timedelta(days=20),
                           extension_reason="设备到货延迟")
        issue = factories.issue(self.ent, self.me, state=state, title="用电增容申请", **columns)
        db.session.commit()
        return issue.id


@pytest.fixture
def workflow_world(app, client, login_as):
    world = WorkflowWorld()
    login_as(world.me)
    return world


def test_every_workflow_form_in_every_state_survives_hostile_values(app, client,
                                                                     workflow_world):
    world = workflow_world
    token = client.csrf_token()
    covered: set[tuple[str, str]] = set()
    examples = 0
    for variant, (state, _extra) in VARIANTS.items():
        issue_id = world.problem(variant)
        page = client.get(f"/problems/{issue_id}")
        assert page.status_code == 200
        parser = ActionForms()
        parser.feed(page.get_data(as_text=True))
        issue = db.session.get(Issue, issue_id)
        # The page offers exactly what the workflow allows this user in this state.
        assert set(parser.forms) == set(allowed_actions(issue, world.me)), variant
        current = {"id": issue_id}

        for action, fields in parser.forms.items():
            covered.add((state, action))
            version_field = f"{action}-version"

            @settings(max_examples=WORKFLOW_EXAMPLES, **SETTINGS)
            @given(data=st.fixed_dictionaries({f: VALUE for f in fields}),
                   keep_version=st.booleans())
            def post_once(data, keep_version):
                nonlocal examples
                problem = db.session.get(Issue, current["id"])
                if keep_version and version_field in data:
                    data[version_field] = str(problem.version)
                db.session.expire_all()
                before = db_state()
                response = client.post(f"/problems/{current['id']}/do/{action}",
                                       data={**data, "csrf_token": token})
                assert response.status_code < 500, (variant, action, data)
                db.session.expire_all()
                if response.status_code == 302:
                    assert_local_redirect(response)
                    current["id"] = world.problem(variant)   # a fresh one for the next
                else:
                    assert response.status_code in (400, 403, 409), response.status_code
                    assert db_state() == before, (variant, action, data)
                examples += 1

            post_once()
    # Every (state, action) of the transition table was offered and fuzzed.
    assert covered == set(TABLE), sorted(set(TABLE) - covered)
    print(f"\nfuzzed {len(covered)} workflow forms in {len(VARIANTS)} set-ups, "
          f"{examples} examples")


# -- routes that delete or end a record ------------------------------------------------

GARBAGE_IDS = st.one_of(
    st.sampled_from(["0", "-1", "2147483647", "2147483648", "9223372036854775808",
                     "99999999999999999999", "٣", "1.0", "1e3", "0x10", "abc", "%00", "",
                     "../1", "1;DROP TABLE users", "𬌗", " 1", "+1"]),
    st.integers(min_value=-(2 ** 70), max_value=2 ** 70).map(str),
    st.text(max_size=20))
BODY = st.dictionaries(
    st.one_of(st.sampled_from(["id", "action", "name", "enterprise_id", "confirm", "next",
                               "version", "_method", "user_id"]), st.text(max_size=10)),
    VALUE, max_size=4)


class DeleteWorld:
    """One record for each delete route, owned by a user with every role."""

    def __init__(self):
        self.me = factories.user(roles=EVERY_ROLE)
        leader = factories.user(roles=["leader"])
        ent = factories.enterprise("兴发制管有限公司")
        bare = factories.enterprise("误登记企业有限公司")
        contact = factories.contact(ent, name="赵经理")
        assignment = factories.assignment(ent, factories.user(roles=["commissioner"]))
        absence = factories.absence(leader)
        category = factories.category("用地")
        rule = DeadlineRule(category_id=category.id, level="ordinary", sign_days=1,
                            progress_days=3, resolve_days=7)
        override = WorkdayOverride(day=date(2026, 10, 8), is_workday=False, note="国庆调休")
        batch = ImportBatch(filename="企业.csv", sha256="0" * 64, headers=["企业名称"],
                            rows=[["新企业"]], created_by_id=self.me.id)
        meeting = Meeting(kind="joint", number="2026年第12次", title="联席会议",
                          period_start=date(2026, 11, 1), period_end=date(2026, 11, 30))
        db.session.add_all([rule, override, batch, meeting])
        db.session.flush()
        issue = factories.issue(ent, self.me, state="dispatched")
        item = AgendaItem(meeting_id=meeting.id, issue_id=issue.id)
        db.session.add(item)
        db.session.commit()
        # (URL pattern with {id} for the record's id, the real id)
        self.routes = {
            "enterprises.delete": ("/enterprises/{id}/delete", bare.id),
            "enterprises.contact_delete": (f"/enterprises/{ent.id}/contacts/{{id}}/delete",
                                           contact.id),
            "enterprises.end_assignment": ("/enterprises/assignments/{id}/end", assignment.id),
            "enterprises.away_cancel": ("/enterprises/away/{id}/cancel", absence.id),
            "enterprises.import_discard": ("/enterprises/import/{id}/discard", batch.id),
            "issues.rule_delete": ("/problems/admin/rules/{id}/delete", rule.id),
            "issues.calendar_delete": ("/problems/admin/calendar/{id}/delete", override.id),
            "meetings.agenda_item": (f"/meetings/{meeting.id}/agenda/{{id}}", item.id),
        }


@pytest.fixture
def delete_world(app, client, login_as):
    world = DeleteWorld()
    login_as(world.me)
    return world


def test_delete_routes_refuse_garbage_ids_bodies_and_tokens(app, client, delete_world):
    token = client.csrf_token()
    tried = {}
    for endpoint, (pattern, real_id) in delete_world.routes.items():
        @settings(max_examples=DELETE_EXAMPLES, **SETTINGS)
        @given(record=st.one_of(st.just(str(real_id)), GARBAGE_IDS),
               csrf=st.one_of(st.just(token), st.none(), VALUE), body=BODY)
        def post_once(record, csrf, body):
            # A real id with a real token is a real deletion: the one valid request.
            assume(not (record == str(real_id) and csrf == token))
            url = pattern.format(id=quote(record, safe=""))
            data = dict(body)
            if csrf is not None:
                data["csrf_token"] = csrf
            db.session.expire_all()
            before = db_state()
            response = client.post(url, data=data)
            assert response.status_code < 500, (url, data)
            assert response.status_code in (400, 404, 405), (url, response.status_code)
            db.session.expire_all()
            assert db_state() == before, (url, data)
            tried[endpoint] = tried.get(endpoint, 0) + 1

        post_once()
    assert set(tried) == set(delete_world.routes)
    print(f"\nfuzzed {len(tried)} delete routes, {sum(tried.values())} examples")


def test_delete_routes_still_work_with_a_real_id_and_token_and_junk_alongside(
        app, client, delete_world):
    """The positive control: the same routes do remove (or end) the record when asked
    properly, whatever else the body carries."""
    token = client.csrf_token()
    junk = {"id": "-1", "name": "𬌗" * 100, "next": "//evil.example/", "user_id": "1e309"}
    for endpoint, (pattern, real_id) in delete_world.routes.items():
        db.session.expire_all()
        before = db_state()
        data = {**junk, "csrf_token": token}
        if endpoint == "meetings.agenda_item":
            data["action"] = "remove"
        response = client.post(pattern.format(id=real_id), data=data)
        assert response.status_code == 302, (endpoint, response.status_code)
        assert_local_redirect(response)
        db.session.expire_all()
        assert db_state() != before, endpoint


@pytest.mark.parametrize("number", ["0", "2147483648", "9223372036854775808",
                                    "99999999999999999999"])
def test_no_route_errors_on_an_id_beyond_the_database_range(app, client, delete_world, number):
    """Ids beyond a 32-bit integer were 500s (the database refused to compare them), and
    0 opened /admin/units/0 as a new unit; every route with an id now answers 404."""
    token = client.csrf_token()
    checked = 0
    for rule in app.url_map.iter_rules():
        if not any(conv.__class__.__name__ == "RowIdConverter"
                   for conv in rule._converters.values()):
            continue
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<int:{arg}>", number).replace(f"<{arg}>", "sign")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"csrf_token": token})
            # (405 where the same path has a rule for the other method)
            assert response.status_code in (404, 405), (method, url, response.status_code)
            checked += 1
    assert checked >= 40
