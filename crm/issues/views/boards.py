"""Working boards: the handler's inbox, the coordinator's triage board (with bulk
dispatch) and the leader's view of their enterprises' problems."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select

from crm.auth.permissions import role_required
from crm.core import transactions
from crm.core.timeutil import utcnow
from crm.enterprises.models import Assignment
from crm.extensions import db
from crm.issues import cooperation, permissions, services
from crm.issues.admin_services import missing_holiday_years
from crm.issues.deadlines import local_date
from crm.issues.errors import WorkflowError
from crm.issues.forms import unit_choices
from crm.issues.models import LEVELS, OPEN_STATES, STATES, Issue, IssueUnit
from crm.issues.queries import (LIST_OPTIONS, last_events, rows_for, sections_for,
                                urgency_order)
from crm.issues.views import bp

RECENT = 30  # how many recently resolved/closed problems a board shows
# Rows a triage section shows; the rest are one click away on the filtered list.
BOARD_LIMIT = 20
# The leader's most urgent open problems; all of them are one click away on the list.
LEADER_OPEN = 30


def _rows(stmt, now, order=None, limit=None):
    """The rows of ``stmt`` (a ``select(Issue)``) in ``order``: the page is found among
    the problems' ids alone, then joined to what a row shows (PostgreSQL plans the
    filter on its own instead of the joins over every matching problem)."""
    order = order or urgency_order(now)
    ids = stmt.with_only_columns(Issue.id).order_by(*order)
    if limit:
        ids = ids.limit(limit)
    ids = ids.subquery()
    return rows_for(db.session.scalars(
        select(Issue).join(ids, ids.c.id == Issue.id).options(*LIST_OPTIONS).order_by(*order)),
        now)


@bp.route("/inbox")
@role_required("handler")
def inbox():
    """The handler's home: my unit's problems to sign for, in hand by due time, and
    those where the unit cooperates (with the light of its own opinion stage)."""
    now = utcnow()
    unit_id = current_user.unit_id
    base = permissions.visible(select(Issue), current_user)
    mine = base.where(Issue.lead_unit_id == unit_id)
    visible = base.whereclause
    sections = sections_for({
        "to_sign": (visible & (Issue.lead_unit_id == unit_id)
                    & Issue.state.in_(("dispatched", "reopened")), False),
        "in_hand": (visible & (Issue.lead_unit_id == unit_id)
                    & Issue.state.in_(("in_progress", "paused")), False),
    }, now, limit=BOARD_LIMIT)
    sections["cooperating"] = cooperation.inbox_section(unit_id, now, BOARD_LIMIT)
    sections["resolved"] = _rows(mine.where(Issue.state == "resolved"), now,
                                 [Issue.resolved_at.desc()], RECENT)
    return render_template("issues/inbox.html", sections=sections, has_unit=unit_id is not None,
                           STATES=STATES)


@bp.route("/triage")
@role_required("coordinator")
def triage():
    """The coordinator's board: new problems with dispatch proposals (bulk dispatch),
    returned ones, extension requests, red ones and repeatedly supervised ones."""
    now = utcnow()
    # Red again and again after 督办: proposed for the next joint meeting.
    repeated = (Issue.supervise_count >= 2) & Issue.is_escalated.is_(False)
    sections = sections_for({
        "new": (Issue.state == "new", True),
        "returned": (Issue.state == "returned", False),
        "extensions": (Issue.extension_requested_until.is_not(None)
                       & Issue.state.in_(OPEN_STATES), False),
        "red": (Issue.red_expr(now) & ~repeated, "due"),
        "repeated": (Issue.red_expr(now) & repeated, "due"),
    }, now, limit=BOARD_LIMIT)
    new_rows, returned = sections["new"].rows, sections["returned"].rows
    proposer = services.Proposer(now)
    returned_ids = [r.issue.id for r in returned]
    # A re-dispatch from the board keeps the cooperating units (the form sends them).
    coop: dict[int, list[int]] = {}
    units = unit_choices()[1:]
    if returned_ids:
        for issue_id, unit_id in db.session.execute(
                select(IssueUnit.issue_id, IssueUnit.unit_id)
                .where(IssueUnit.issue_id.in_(returned_ids)).order_by(IssueUnit.unit_id)):
            coop.setdefault(issue_id, []).append(unit_id)
    return render_template(
        "issues/triage.html", sections=sections, STATES=STATES,
        proposals={r.issue.id: proposer.propose(r.issue) for r in [*new_rows, *returned]},
        return_events=last_events(returned_ids, "return"), coop=coop, today=local_date(now),
        units=units, unit_options=_unit_options(units) if returned else None,
        missing_years=missing_holiday_years(), LEVELS=LEVELS)


def _unit_options(units):
    """The re-dispatch select's options (a province has 3,000 units, a board 20 returned
    problems): written out once; each form marks the unit that returned its problem."""
    options = {uid: f'<option value="{uid}">{escape(name)}</option>' for uid, name in units}
    html, names = "".join(options.values()), dict(units)

    def for_problem(returned_by):
        if returned_by not in options:
            return Markup(html)
        mine = (f'<option value="{returned_by}">'
                f'{escape(_("%(unit)s (returned it)", unit=names[returned_by]))}</option>')
        return Markup(html.replace(options[returned_by], mine, 1))
    return for_problem


@bp.route("/triage/dispatch", methods=["POST"])
@role_required("coordinator")
def bulk_dispatch():
    """Dispatch the ticked new problems to their proposed units, all or none."""
    ids = [int(i) for i in request.form.getlist("issue_ids") if i.isdigit()]
    versions = {i: request.form.get(f"v_{i}") for i in ids}
    issues = db.session.scalars(select(Issue).where(Issue.id.in_(ids), Issue.state == "new")
                                .order_by(Issue.id)).all() if ids else []
    if not issues:
        flash(_("Tick the problems to dispatch first."), "warning")
        return redirect(url_for("issues.triage"))
    try:
        done, skipped = services.bulk_dispatch(issues, versions, current_user)
    except WorkflowError as exc:
        transactions.discard()
        flash(_("Nothing was dispatched: %(reason)s", reason=exc.message), "danger")
        return redirect(url_for("issues.triage"))
    if done:
        flash(_("%(n)d problems dispatched.", n=len(done)), "success")
    if skipped:
        flash(_("Not dispatched, no proposed unit (open each to choose one): %(numbers)s",
                numbers="、".join(i.number for i in skipped)), "warning")
    return redirect(url_for("issues.triage"))


@bp.route("/leader")
@role_required("leader")
def leader():
    """The leader's view: the most urgent open problems of the enterprises they lead (A
    or B) with 批示, the open ones counted by light (each count opens those problems on
    the list), and the recently resolved ones."""
    now = utcnow()
    mine = select(Assignment.enterprise_id).where(
        Assignment.user_id == current_user.id, Assignment.role.in_(("leader_a", "leader_b")),
        Assignment.end_date.is_(None))
    cond = permissions.visibility(current_user) & Issue.enterprise_id.in_(mine)
    opened = cond & Issue.state.in_(OPEN_STATES)
    open_rows = sections_for({"open": (opened, False)}, now, limit=LEADER_OPEN)["open"]
    light = Issue.light_expr(now)
    counts = {"red": 0, "yellow": 0, "green": 0}
    counts.update({k: n for k, n in db.session.execute(
        select(light, db.func.count()).where(opened).group_by(light)) if k in counts})
    done_rows = _rows(select(Issue).where(cond, Issue.state.in_(("resolved", "closed"))), now,
                      [Issue.resolved_at.desc().nulls_last(), Issue.id.desc()], RECENT)
    return render_template("issues/leader.html", open_rows=open_rows, done_rows=done_rows,
                           counts=counts, STATES=STATES)
