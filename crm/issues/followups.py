"""Follow-up calls on ratings (回访).

Three kinds of problem enter the coordinator's 回访 queue, each due by 18:00 on the second
working day after it entered:

* ``low_rating`` – a rating of 1 or 2;
* ``unresolved`` – a problem closed without a resolution (the coordinator's close);
* ``sample`` – a share of the ratings of 4 or 5 (the admin's setting, 10 % by default),
  chosen by a hash of the problem and the instant of the rating: a random-looking but
  reproducible draw, so that no one can steer which ratings are checked.

The coordinator records the call: reached or not, what the enterprise said, 满意 / 不满意,
and whether the enterprise says it gave the rating itself. A call that disagrees with
the rating (不满意 on a rating of 3 or more, 满意 on 1–2, or a rating "by the enterprise
itself" the enterprise did not give) *contradicts* it: the overview counts ratings
verified and contradicted. 不满意 sends the problem back to a unit through the workflow
(action ``redo``, 重办), the same unit or another.

``queue_after_rating`` and ``queue_after_close`` are called by the workflow's actions
(``Rate.after`` and ``Close.after``); this module's top never imports the workflow.
"""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Optional

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import (CheckConstraint, ForeignKey, Index, String, Text, and_, func, or_, select,
                        text)
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from crm.core import audit
from crm.core.models import Setting
from crm.core.timeutil import utcnow
from crm.extensions import db
from crm.issues import deadlines as dl
from crm.issues.errors import InvalidInput
from crm.issues.models import Issue, IssueEvent

SOURCES = {
    "low_rating": _l("Rating of 1 or 2"),
    "unresolved": _l("Closed without resolution"),
    "sample": _l("Random check of a good rating"),
}
VERDICTS = {"satisfied": _l("Satisfied"), "dissatisfied": _l("Dissatisfied")}
DUE_WORKING_DAYS = 2
SAMPLE_KEY = "followup.sample_percent"
SAMPLE_DEFAULT = 10
SAID_MAX = 2000


class FollowUp(db.Model):
    """One follow-up call to make (or made) on a problem."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"),
                                          index=True)
    source: Mapped[str] = mapped_column(String(12))
    # The rating being verified (None for a problem closed without resolution).
    rating: Mapped[Optional[int]]
    rating_channel: Mapped[Optional[str]] = mapped_column(String(10))
    rated_at: Mapped[Optional[datetime]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime]
    done_at: Mapped[Optional[datetime]] = mapped_column(index=True)
    done_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    is_reached: Mapped[Optional[bool]]
    said: Mapped[Optional[str]] = mapped_column(Text)
    verdict: Mapped[Optional[str]] = mapped_column(String(12))
    # Whether the enterprise says it gave the rating itself (None: not asked).
    is_self_confirmed: Mapped[Optional[bool]]
    is_contradiction: Mapped[Optional[bool]]
    is_redone: Mapped[bool] = mapped_column(default=False)

    issue = relationship("Issue", lazy="raise_on_sql")
    done_by = relationship("User", lazy="raise_on_sql")

    __table_args__ = (
        CheckConstraint("source IN ('low_rating', 'unresolved', 'sample')", name="source"),
        CheckConstraint("verdict IS NULL OR verdict IN ('satisfied', 'dissatisfied')",
                        name="verdict"),
        CheckConstraint("(done_at IS NULL) = (is_reached IS NULL)", name="done"),
        # The queue: calls still to make, by due time.
        Index("ix_follow_ups_waiting", "due_at", sqlite_where=text("done_at IS NULL"),
              postgresql_where=text("done_at IS NULL")),
    )

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    def light(self, now: datetime | None = None) -> Optional[str]:
        """Red once overdue, else green (None when done)."""
        if self.done_at is not None:
            return None
        return "red" if (now or utcnow()) > self.due_at else "green"


# -- the admin's share of good ratings checked ---------------------------------------------

def sample_percent() -> int:
    """The share (0–100) of ratings of 4 or 5 that enter the queue."""
    row = db.session.get(Setting, SAMPLE_KEY)
    try:
        return max(0, min(100, int(row.value))) if row is not None else SAMPLE_DEFAULT
    except (TypeError, ValueError):
        return SAMPLE_DEFAULT


def set_sample_percent(value: int, actor) -> None:
    """The admin sets the share (audited)."""
    if value is None or not 0 <= int(value) <= 100:
        raise InvalidInput(_("Enter a share between 0 and 100."), "percent")
    before, actor_id = sample_percent(), getattr(actor, "id", None)
    row = db.session.get(Setting, SAMPLE_KEY)
    if row is None:
        row = Setting(key=SAMPLE_KEY, value=int(value))
        db.session.add(row)
    row.value, row.updated_by_id = int(value), actor_id
    audit.record(actor, "update", object_type="setting", object_id=None,
                 before={SAMPLE_KEY: before}, after={SAMPLE_KEY: int(value)},
                 summary=_("Share of good ratings called back: %(p)d %%", p=int(value)))


def is_sampled(issue_id: int, rated_at: datetime, percent: int) -> bool:
    """The reproducible draw: whether this rating falls in the ``percent`` share."""
    digest = hashlib.sha256(f"follow-up:{issue_id}:{rated_at.isoformat()}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < percent


# -- entering the queue -------------------------------------------------------------------

def due_for(now: datetime) -> datetime:
    """18:00 on the second working day after ``now``'s local day."""
    today = dl.local_date(now)
    cal = dl.WorkCalendar.around(today)
    return dl.end_of_day(cal.add(today, DUE_WORKING_DAYS))


def _enter(issue: Issue, source: str, now: datetime) -> FollowUp:
    fu = FollowUp(issue_id=issue.id, source=source, rating=issue.rating,
                  rating_channel=issue.rating_channel, rated_at=issue.rated_at,
                  created_at=now, due_at=due_for(now))
    if source == "unresolved":
        fu.rating = fu.rating_channel = fu.rated_at = None
    db.session.add(fu)
    return fu


def queue_after_rating(issue: Issue, rating: int, now: datetime) -> FollowUp | None:
    """After a rating is recorded: a rating of 1–2 always enters the queue, one of 4–5
    when the draw picks it (``sample_percent``), a 3 never."""
    if rating <= 2:
        return _enter(issue, "low_rating", now)
    if rating >= 4 and is_sampled(issue.id, now, sample_percent()):
        return _enter(issue, "sample", now)
    return None


def queue_after_close(issue: Issue, now: datetime) -> FollowUp | None:
    """After the coordinator closed a problem: without a resolution it is called back."""
    if issue.resolved_at is not None or issue.resolution:
        return None
    return _enter(issue, "unresolved", now)


# -- the call --------------------------------------------------------------------------------

def _contradicts(fu: FollowUp, verdict: str | None, self_confirmed: bool | None) -> bool | None:
    if fu.rating is None or verdict is None:
        return None
    disagree = (verdict == "dissatisfied") == (fu.rating >= 3)
    faked = fu.rating_channel == "self" and self_confirmed is False
    return disagree or faked


def record_call(fu: FollowUp, data: dict, actor, now: datetime | None = None) -> FollowUp:
    """Record the call on ``fu``. ``data``: ``reached`` (bool), ``said``, ``verdict``
    (``satisfied`` / ``dissatisfied``, required when reached), ``self_confirmed`` (bool or
    None), and for 不满意 ``unit_id`` (the unit that handles it again; default the same)
    and ``reason``. 不满意 sends the problem back through the workflow (``redo``).
    Raises InvalidInput (nothing written) or the workflow's errors."""
    # The workflow's actions import this module (Rate and Close queue calls), so the
    # workflow is imported here, when a call is recorded.
    from crm.issues.workflow import transition

    now = now or utcnow()
    if fu.done_at is not None:
        raise InvalidInput(_("This call was already recorded."), "reached")
    reached = data.get("reached")
    if reached not in (True, False):
        raise InvalidInput(_("Say whether the enterprise was reached."), "reached")
    said = (data.get("said") or "").strip() or None
    if said and len(said) > SAID_MAX:
        raise InvalidInput(_("At most %(n)d characters.", n=SAID_MAX), "said")
    verdict = data.get("verdict") or None
    if reached and verdict not in VERDICTS:
        raise InvalidInput(_("Record whether the enterprise is satisfied."), "verdict")
    if not reached:
        verdict = None
    self_confirmed = data.get("self_confirmed") if reached else None
    issue = db.session.get(Issue, fu.issue_id)
    # A problem resolved again waits for its new rating; a closed one, or one the low
    # rating reopened (when the coordinator chooses another unit), is handled again.
    redo = (verdict == "dissatisfied" and issue.state in ("closed", "reopened")
            and issue.dispatched_at is not None)
    if redo:
        unit_id = data.get("unit_id") or issue.lead_unit_id
        if issue.state == "reopened" and unit_id == issue.lead_unit_id:
            redo = False  # the low rating already sent it back to this unit
        else:
            reason = (data.get("reason") or "").strip() or _(
                "The enterprise is not satisfied (follow-up call): %(said)s", said=said or "—")
            transition(issue, "redo", actor, now=now, unit_id=unit_id, text=reason[:4000])
    fu.done_at, fu.done_by_id = now, actor.id
    fu.is_reached, fu.said, fu.verdict = reached, said, verdict
    fu.is_self_confirmed = self_confirmed if self_confirmed in (True, False) else None
    fu.is_contradiction = _contradicts(fu, verdict, fu.is_self_confirmed)
    fu.is_redone = redo
    db.session.add(IssueEvent(
        issue_id=issue.id, at=now, actor_id=actor.id, action="follow_up", text=said,
        data={"reached": reached, "verdict": verdict, "source": fu.source,
              "self_confirmed": fu.is_self_confirmed, "contradiction": fu.is_contradiction}))
    db.session.flush()
    return fu


def queue(now: datetime | None = None, done: bool = False, limit: int = 200,
          after: tuple[datetime, int] | None = None):
    """The calls still to make (oldest due first), or the latest done ones, with their
    problems (one query). ``after``: the (due or done instant, id) of the last call of
    the previous page — the next page starts after it (keyset, served by the indexes on
    ``due_at`` of the waiting calls and on ``done_at``)."""
    stmt = select(FollowUp).options(joinedload(FollowUp.issue).joinedload(Issue.enterprise),
                                    joinedload(FollowUp.issue).joinedload(Issue.lead_unit))
    if done:
        stmt = stmt.where(FollowUp.done_at.is_not(None)).order_by(FollowUp.done_at.desc(),
                                                                   FollowUp.id.desc())
        if after is not None:
            stmt = stmt.where(or_(FollowUp.done_at < after[0], and_(
                FollowUp.done_at == after[0], FollowUp.id < after[1])))
    else:
        stmt = stmt.where(FollowUp.done_at.is_(None)).order_by(FollowUp.due_at, FollowUp.id)
        if after is not None:
            stmt = stmt.where(or_(FollowUp.due_at > after[0], and_(
                FollowUp.due_at == after[0], FollowUp.id > after[1])))
    return list(db.session.scalars(stmt.limit(limit)).unique())


def waiting_count_sql():
    """SELECT: how many calls are still to make (the partial index of the waiting calls)."""
    return select(func.count(FollowUp.id)).where(FollowUp.done_at.is_(None))
