"""One writer of a problem's state (DESIGN.md §4): only ``crm.issues.workflow`` assigns
``Issue.state`` or writes the ``state`` of an ``issues`` row; the demo and the seeds
drive it (``transition``, or the bulk twin ``play_row`` that takes the state from the
same action objects) instead of keeping a copy of the rules.

Read from the source (every module of ``crm``), watched while the demo county loads,
and checked on the result: every generated problem's timeline replays through the
transition table, each step by someone holding a role the table allows.
"""
from __future__ import annotations

import ast
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import event, select

from crm import create_app
from crm.auth.models import User
from crm.config import TestConfig
from crm.extensions import db
from crm.issues.models import Issue, IssueEvent
from crm.issues.workflow import TABLE
from crm.seed.county import populate
from crm.seed.province import populate_province

TODAY = date(2026, 11, 27)
CRM = Path(__file__).resolve().parents[2] / "crm"
WORKFLOW = {CRM / "issues" / "workflow.py"}
# Keys only an ``issues`` row has: a dict with one of them is a problem row
# (``lead_unit_id`` is not one: task forces have a lead unit too).
ISSUE_ROW_KEYS = {"raised_at", "raised_by_id", "dispatched_at", "due_at"}
# Entries that are no action (issue 18: follow-up calls, appeals, case groups).
TIMELINE_ONLY = {"raise", "rating_link", "coop_reply", "follow_up", "appeal", "appeal_decided",
                 "case_group"}


def _modules():
    for path in sorted(CRM.rglob("*.py")):
        if path not in WORKFLOW and "workflow" not in path.relative_to(CRM).parts[:-1]:
            yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def _keys(node) -> set[str]:
    """The constant keys of a dict display or the keywords of a ``dict(...)`` call."""
    if isinstance(node, ast.Dict):
        return {k.value for k in node.keys if isinstance(k, ast.Constant)}
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "dict":
        return {k.arg for k in node.keywords if k.arg}
    return set()


def _writes_of_state(tree) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            for t in ast.walk(target):
                # issue.state = …, self.issue.state = …, story.issue.state = …
                if isinstance(t, ast.Attribute) and t.attr == "state" \
                        and "issue" in ast.unparse(t.value).lower():
                    found.append((node.lineno, ast.unparse(t)))
                # row["state"] = … (no other dict in crm is written that way)
                if isinstance(t, ast.Subscript) and isinstance(t.slice, ast.Constant) \
                        and t.slice.value == "state":
                    found.append((node.lineno, ast.unparse(t)))
        if isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            keywords = {k.arg for k in node.keywords}
            if name == "setattr" and len(node.args) > 1 and \
                    isinstance(node.args[1], ast.Constant) and node.args[1].value == "state":
                found.append((node.lineno, name))
            # row.update(state=…), update(Issue).values(state=…)
            if name.endswith((".update", ".values")) and "state" in keywords:
                found.append((node.lineno, name))
            # Issue(state=…) other than a new problem's first state
            if name == "Issue" and any(k.arg == "state" and not (
                    isinstance(k.value, ast.Constant) and k.value.value == "new")
                    for k in node.keywords):
                found.append((node.lineno, name))
        # {"state": …, "raised_at": …} / dict(state=…, due_at=…): a problem row
        keys = _keys(node)
        if "state" in keys and keys & ISSUE_ROW_KEYS:
            found.append((node.lineno, "an issues row with its state"))
    return found


def test_no_module_but_the_workflow_writes_a_problem_state():
    offenders = [f"{path.relative_to(CRM.parent)}:{line}: {what}"
                 for path, tree in _modules() for line, what in _writes_of_state(tree)]
    assert offenders == []


def test_the_check_finds_the_writers_it_is_for():
    """The scan above is not vacuous: it finds each kind of write it looks for."""
    source = '''
issue.state = "closed"
self.issue.state = to
row["state"] = "returned"
row.update(state="paused", paused_at=t)
rows.append(dict(id=1, state="new", raised_at=t))
db.session.execute(update(Issue).values(state="closed"))
Issue(title="x", state="closed")
setattr(issue, "state", "closed")
meeting.state = "minuted"
Issue(title="x", state="new")
'''
    assert len(_writes_of_state(ast.parse(source))) == 8


def _app():
    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    return create_app(Cfg)


def _assigner() -> str:
    """The module (under ``crm``) that set an attribute, from the call stack."""
    frame = sys._getframe(2)
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if CRM in path.parents:
            return str(path.relative_to(CRM.parent))
        frame = frame.f_back
    return "?"


@pytest.fixture(scope="module", params=["county", "province"])
def generated(request):
    """A generator's data on in-memory SQLite, with every assignment of ``Issue.state``
    during the load recorded as (module, old value, new value)."""
    app = _app()
    seen = []

    def note(target, value, oldvalue, initiator):
        seen.append((_assigner(), oldvalue, value))

    with app.app_context():
        db.create_all()
        event.listen(Issue.state, "set", note)
        try:
            if request.param == "county":
                populate(today=TODAY)
            else:
                populate_province(0.002, seed=3, today=TODAY)
        finally:
            event.remove(Issue.state, "set", note)
        db.session.flush()
        yield request.param, seen
        db.session.rollback()
        db.session.remove()


def test_while_loading_only_the_workflow_sets_a_state(generated):
    name, seen = generated
    others = {(module, new) for module, old, new in seen
              if module != "crm/issues/workflow.py"}
    # A problem is created in state new (``raise_issue``); every change is the workflow's.
    assert {new for _module, new in others} <= {"new"}
    if name == "county":
        assert any(module == "crm/issues/workflow.py" for module, _o, _n in seen)


def test_every_timeline_replays_through_the_transition_table(generated):
    name, _seen = generated
    roles = {u.id: u.roles for u in db.session.scalars(select(User))}
    events: dict[int, list[IssueEvent]] = {}
    for e in db.session.scalars(select(IssueEvent).order_by(IssueEvent.id)):
        events.setdefault(e.issue_id, []).append(e)
    issues = db.session.scalars(select(Issue)).all()
    assert len(issues) > 100
    for issue in issues:
        story = events[issue.id]
        first = story[0]
        assert (first.action, first.from_state, first.to_state) == ("raise", None, "new")
        state = "new"
        for e in story[1:]:
            where = (name, issue.number, e.action, e.from_state, e.to_state)
            if e.action in TIMELINE_ONLY:
                assert e.to_state is None, where
                continue
            rule = TABLE.get((e.from_state, e.action))
            assert rule is not None and e.from_state == state, where
            targets = rule.to if isinstance(rule.to, tuple) else (rule.to or e.from_state,)
            state = e.to_state or e.from_state
            assert state in targets, where
            who = roles.get(e.actor_id, set()) if e.actor_id else {"enterprise"}
            assert who & rule.roles, where
        assert state == issue.state, (name, issue.number)
