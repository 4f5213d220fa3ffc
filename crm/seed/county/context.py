"""The shared state of one demo run: the seeded random generator, the demo clock, the
holiday calendar and what the earlier steps made (units, people, enterprises, visits)."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from crm.auth.models import Unit, User
from crm.core.timeutil import local_midnight_utc, to_local
from crm.enterprises.models import Enterprise
from crm.issues.deadlines import (
    Clock,
    StageLimits,
    WorkCalendar,
    add_working_days,
    is_workday,
    start_clock,
)
from crm.issues.models import Category
from crm.seed.county.data import GIVEN, SURNAMES


@dataclass
class VisitRef:
    """A generated visit: its row (written in bulk), what it delivered, and the facts
    problems need (id once written, time, author, enterprise)."""

    index: int
    row: dict
    at: datetime
    author_id: int
    enterprise_id: int
    visit_date: date
    factors: list[tuple[str, str]]
    policy_ids: list[int]
    id: int | None = None



@dataclass
class Ctx:
    """Shared state of one ``populate`` run."""

    rng: random.Random
    today: date
    now: datetime
    window_start: date
    overrides: dict
    units: dict[str, Unit] = field(default_factory=dict)
    unit_names: dict[int, str] = field(default_factory=dict)
    users: list[User] = field(default_factory=list)
    towns: list[Unit] = field(default_factory=list)
    categories: dict[str, Category] = field(default_factory=dict)
    limits: dict[str, tuple] = field(default_factory=dict)
    demo: dict[str, User] = field(default_factory=dict)
    leaders: list[User] = field(default_factory=list)
    commissioners: list[User] = field(default_factory=list)
    coordinators: list[User] = field(default_factory=list)
    handlers: dict[int, list[User]] = field(default_factory=dict)
    enterprises: list[Enterprise] = field(default_factory=list)
    primary_contact: dict[int, str] = field(default_factory=dict)
    leader_a: dict[int, int] = field(default_factory=dict)
    commissioner_of: dict[int, int] = field(default_factory=dict)
    demo_enterprises: list[Enterprise] = field(default_factory=list)
    users_by_id: dict[int, User] = field(default_factory=dict)
    enterprise_by_id: dict[int, Enterprise] = field(default_factory=dict)
    active_commissions: list[tuple] = field(default_factory=list)
    visits: list[VisitRef] = field(default_factory=list)
    visits_by_day: dict[date, list[VisitRef]] = field(default_factory=dict)
    visit_uses: dict[int, int] = field(default_factory=dict)
    escalations: list[tuple] = field(default_factory=list)
    _stage_cache: dict = field(default_factory=dict)

    @property
    def work_calendar(self) -> WorkCalendar:
        """The workflow's calendar over this run's overrides."""
        return WorkCalendar(self.overrides)

    def local(self, day: date, hour: int, minute: int = 0) -> datetime:
        """Naive UTC for ``day`` at hour:minute Asia/Shanghai."""
        return local_midnight_utc(day) + timedelta(hours=hour, minutes=minute)

    def workday(self, day: date) -> bool:
        return is_workday(day, self.overrides)

    @property
    def last_visit_day(self) -> date:
        """Today when a visit (from 08:00, logged within half an hour) fits before the
        demo clock, else yesterday: a demo loaded at dawn has no visit today yet."""
        if self.now - timedelta(minutes=30) >= self.local(self.today, 8):
            return self.today
        return self.today - timedelta(days=1)

    def add_wd(self, day: date, n: int) -> date:
        return add_working_days(day, n, self.overrides)

    def sub_wd(self, day: date, n: int) -> date:
        """The working day ``n`` working days before ``day``."""
        while n > 0:
            day -= timedelta(days=1)
            n -= self.workday(day)
        return day

    def workdays(self, start: date, end: date) -> list[date]:
        return [start + timedelta(days=i) for i in range((end - start).days + 1)
                if self.workday(start + timedelta(days=i))]

    def daytime(self, t: datetime) -> datetime:
        """``t`` moved into office hours (08:40–17:40 local) of a working day, never earlier."""
        local = to_local(t)
        day, minutes = local.date(), local.hour * 60 + local.minute
        if minutes > 17 * 60 + 40 or not self.workday(day):
            return self.local(self.add_wd(day, 1), 8, 40 + self.rng.randint(0, 50))
        if minutes < 8 * 60 + 40:
            return self.local(day, 8, 40 + self.rng.randint(0, 50))
        return t

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def phone(self) -> str:
        return self.rng.choice(["13", "15", "17", "18", "19"]) + "".join(
            self.rng.choice("0123456789") for _ in range(9))

    def planned_clock(self, level: str, start: datetime) -> Clock:
        """The stage deadlines a dispatch at ``start`` will get, by the workflow's own
        rule (``crm.issues.deadlines.start_clock``): the stories pick their dispatch
        times with it so that a problem ends up with the light it should have. Only the
        workflow writes the problem's deadlines."""
        key = (level, to_local(start).date())
        if key not in self._stage_cache:
            sign, progress, resolve, calendar = self.limits[level]
            self._stage_cache[key] = start_clock(
                start, StageLimits(sign, progress, resolve, calendar), cal=self.work_calendar)
        return self._stage_cache[key]

    def light(self, due: datetime, warn: datetime) -> str:
        """The traffic light of a stage due at ``due`` (yellow from ``warn``) now."""
        return "red" if self.now > due else "yellow" if self.now >= warn else "green"

    def user(self, user_id: int) -> User:
        """The county's person with this id."""
        return self.users_by_id[user_id]

    def handler_for(self, unit_id: int) -> User:
        """A handler of the unit; the demo handler takes most of their unit's work."""
        people = self.handlers[unit_id]
        demo = self.demo["handler"]
        if demo in people and self.rng.random() < 0.6:
            return demo
        return self.rng.choice(people)
