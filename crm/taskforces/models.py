"""Task forces (专班), key projects (重点项目) with milestones, the rhythm meetings that
link a task force to its ``Meeting(kind=taskforce)`` rows, inspection groups (督查组)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.core.timeutil import utcnow
from crm.extensions import db

TASKFORCE_KINDS = {"work": _l("Key work"), "project": _l("Key project")}
TASKFORCE_STATES = {"active": _l("Running"), "closed": _l("Wound up")}
MILESTONE_STATES = {"open": _l("Not reached"), "done": _l("Done")}
COUNT_MODES = {"working": _l("Working days"), "calendar": _l("Calendar days")}
RHYTHMS = {"weekly": _l("Weekly meeting (碰头)"), "fortnightly": _l("Fortnightly dispatch (调度)"),
           "monthly": _l("Monthly push (推进)")}
WEEKDAYS = [_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
            _l("Saturday"), _l("Sunday")]
# The admin's milestone template starts with the usual approval chain of a project.
DEFAULT_TEMPLATE = ("立项", "用地", "环评", "施工许可", "开工", "竣工", "投产")

task_force_units = Table(
    "task_force_units", db.metadata,
    Column("task_force_id", ForeignKey("task_forces.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("units.id"), primary_key=True, index=True),
)
task_force_members = Table(
    "task_force_members", db.metadata,
    Column("task_force_id", ForeignKey("task_forces.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True, index=True),
)
task_force_enterprises = Table(
    "task_force_enterprises", db.metadata,
    Column("task_force_id", ForeignKey("task_forces.id", ondelete="CASCADE"), primary_key=True),
    Column("enterprise_id", ForeignKey("enterprises.id"), primary_key=True, index=True),
)
# Exactly one of the three targets is set (scope rows and inspections).
ONE_TARGET = ("(CASE WHEN task_force_id IS NULL THEN 0 ELSE 1 END"
              " + CASE WHEN project_id IS NULL THEN 0 ELSE 1 END"
              " + CASE WHEN unit_id IS NULL THEN 0 ELSE 1 END) = 1")

inspection_group_members = Table(
    "inspection_group_members", db.metadata,
    Column("group_id", ForeignKey("inspection_groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True, index=True),
)


class TaskForce(db.Model):
    """A 专班: led by a city leader (挂帅) with a deputy, a lead unit and member units and
    people, the enterprises and projects it covers, its meeting rhythm."""

    __tablename__ = "task_forces"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(10), default="work")
    leader_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    deputy_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    lead_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    description: Mapped[Optional[str]] = mapped_column(Text)
    start_date: Mapped[date]
    end_date: Mapped[Optional[date]]
    state: Mapped[str] = mapped_column(String(10), default="active", index=True)
    # The rhythm: each meeting kind on or off, with its weekday (0 = Monday).
    weekly_on: Mapped[bool] = mapped_column(default=True)
    weekly_day: Mapped[int] = mapped_column(default=0)
    fortnightly_on: Mapped[bool] = mapped_column(default=False)
    fortnightly_day: Mapped[int] = mapped_column(default=2)
    monthly_on: Mapped[bool] = mapped_column(default=False)
    monthly_day: Mapped[int] = mapped_column(default=4)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    leader = relationship("User", foreign_keys=[leader_id], lazy="raise_on_sql")
    deputy = relationship("User", foreign_keys=[deputy_id], lazy="raise_on_sql")
    lead_unit = relationship("Unit", lazy="raise_on_sql")
    units = relationship("Unit", secondary=task_force_units, lazy="raise_on_sql",
                         order_by="Unit.id")
    members = relationship("User", secondary=task_force_members, lazy="raise_on_sql",
                           order_by="User.id")
    enterprises = relationship("Enterprise", secondary=task_force_enterprises,
                               lazy="raise_on_sql", order_by="Enterprise.id")
    projects: Mapped[list["Project"]] = relationship(back_populates="task_force",
                                                     lazy="raise_on_sql", order_by="Project.id")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("kind IN ('work', 'project')", name="kind"),
        CheckConstraint("state IN ('active', 'closed')", name="state"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="period"),
        CheckConstraint("weekly_day BETWEEN 0 AND 6 AND fortnightly_day BETWEEN 0 AND 6 "
                        "AND monthly_day BETWEEN 0 AND 6", name="weekdays"),
    )


class Project(db.Model):
    """A key project (重点项目) of a task force, owned by an enterprise of the registry
    or by none (a government project)."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    enterprise_id: Mapped[Optional[int]] = mapped_column(ForeignKey("enterprises.id"), index=True)
    investment: Mapped[Optional[Decimal]] = mapped_column(Numeric(10, 2))  # 亿元
    location: Mapped[Optional[str]] = mapped_column(String(120))
    task_force_id: Mapped[int] = mapped_column(ForeignKey("task_forces.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    task_force: Mapped[TaskForce] = relationship(back_populates="projects", lazy="raise_on_sql")
    enterprise = relationship("Enterprise", lazy="raise_on_sql")
    milestones: Mapped[list["Milestone"]] = relationship(
        back_populates="project", lazy="raise_on_sql",
        order_by="(Milestone.position, Milestone.id)", cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint("investment IS NULL OR investment >= 0", name="investment"),
    )


class MilestoneKind(db.Model):
    """One step of the admin's milestone template (立项, 用地 … 投产), in order."""

    __tablename__ = "milestone_kinds"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)


class Milestone(db.Model):
    """A milestone (节点) of a project: from the template (``kind_id``) or free, with
    the unit responsible, the due day and how its countdown counts (working or calendar
    days). Open or done; the light (green/yellow/red) is derived from the due day and
    today, never stored. A late one can become a problem (``issue_id``)."""

    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"),
                                            index=True)
    kind_id: Mapped[Optional[int]] = mapped_column(ForeignKey("milestone_kinds.id"))
    name: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(default=0)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    due_date: Mapped[date] = mapped_column(index=True)
    count_mode: Mapped[str] = mapped_column(String(10), default="working")
    state: Mapped[str] = mapped_column(String(10), default="open", index=True)
    done_on: Mapped[Optional[date]]
    issue_id: Mapped[Optional[int]] = mapped_column(ForeignKey("issues.id"), unique=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    project: Mapped[Project] = relationship(back_populates="milestones", lazy="raise_on_sql")
    unit = relationship("Unit", lazy="raise_on_sql")
    issue = relationship("Issue", lazy="raise_on_sql")

    __table_args__ = (
        CheckConstraint("state IN ('open', 'done')", name="state"),
        CheckConstraint("count_mode IN ('working', 'calendar')", name="count_mode"),
        CheckConstraint("(state = 'done') = (done_on IS NOT NULL)", name="done_on"),
    )


class MilestoneNote(db.Model):
    """A leader's instruction (批示) or a progress note on a milestone."""

    __tablename__ = "milestone_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(
        ForeignKey("milestones.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12), default="instruction")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    text: Mapped[str] = mapped_column(Text)

    author = relationship("User", lazy="raise_on_sql")

    __table_args__ = (CheckConstraint("kind IN ('instruction', 'progress')", name="kind"),)


class RhythmMeeting(db.Model):
    """An occurrence of a task force's rhythm: the ``Meeting(kind=taskforce)`` held for
    it, which rhythm it belongs to and the working day it falls on."""

    __tablename__ = "rhythm_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_force_id: Mapped[int] = mapped_column(ForeignKey("task_forces.id"), index=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"),
                                            unique=True)
    rhythm: Mapped[str] = mapped_column(String(12))
    day: Mapped[date]

    task_force = relationship("TaskForce", lazy="raise_on_sql")
    meeting = relationship("Meeting", lazy="raise_on_sql")

    __table_args__ = (
        CheckConstraint("rhythm IN ('weekly', 'fortnightly', 'monthly')", name="rhythm"),
        UniqueConstraint("task_force_id", "day", name="uq_rhythm_meetings_task_force_day"),
    )


class InspectionGroup(db.Model):
    """A 专项督查组: people and a scope (task forces, projects or units)."""

    __tablename__ = "inspection_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    head_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    scope: Mapped[Optional[str]] = mapped_column(Text)  # what the group covers, in words
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    head = relationship("User", lazy="raise_on_sql")
    members = relationship("User", secondary=inspection_group_members, lazy="raise_on_sql",
                           order_by="User.id")
    targets: Mapped[list["InspectionScope"]] = relationship(
        lazy="raise_on_sql", cascade="all, delete-orphan", order_by="InspectionScope.id")


class InspectionScope(db.Model):
    """One thing in a group's scope: a task force, a project or a unit."""

    __tablename__ = "inspection_scopes"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("inspection_groups.id", ondelete="CASCADE"),
                                          index=True)
    task_force_id: Mapped[Optional[int]] = mapped_column(ForeignKey("task_forces.id"))
    project_id: Mapped[Optional[int]] = mapped_column(ForeignKey("projects.id"))
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("units.id"))

    __table_args__ = (
        CheckConstraint(ONE_TARGET, name="one_target"),
    )


class Inspection(db.Model):
    """One inspection by a group: its day, its target (a task force, a project or a
    unit) and what was found; each finding becomes a problem or a 督办 on one."""

    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("inspection_groups.id"), index=True)
    day: Mapped[date] = mapped_column(index=True)
    task_force_id: Mapped[Optional[int]] = mapped_column(ForeignKey("task_forces.id"))
    project_id: Mapped[Optional[int]] = mapped_column(ForeignKey("projects.id"))
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("units.id"))
    summary: Mapped[Optional[str]] = mapped_column(Text)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    group = relationship("InspectionGroup", lazy="raise_on_sql")
    task_force = relationship("TaskForce", lazy="raise_on_sql")
    project = relationship("Project", lazy="raise_on_sql")
    unit = relationship("Unit", lazy="raise_on_sql")
    findings: Mapped[list["Finding"]] = relationship(
        lazy="raise_on_sql", cascade="all, delete-orphan", order_by="Finding.id")

    __table_args__ = (CheckConstraint(ONE_TARGET, name="one_target"),)


class Finding(db.Model):
    """What an inspection found: a new problem (``kind`` problem) or a 督办 on an
    existing one (``kind`` supervise); fixed when that problem is resolved or closed."""

    __tablename__ = "inspection_findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"),
                                               index=True)
    kind: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id"), index=True)

    issue = relationship("Issue", lazy="raise_on_sql")

    __table_args__ = (CheckConstraint("kind IN ('problem', 'supervise')", name="kind"),)
