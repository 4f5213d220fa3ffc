"""A small county for the problem tests: two units, two enterprises, one person per role."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest

from crm.auth.models import Unit, User
from crm.enterprises.models import Enterprise
from crm.extensions import db
from crm.issues.models import Category, Issue
from tests import factories


@dataclass
class World:
    unit: Unit
    other_unit: Unit
    enterprise: Enterprise
    other_enterprise: Enterprise
    category: Category
    coordinator: User
    handler: User
    other_handler: User
    leader: User
    leader_b: User
    commissioner: User
    admin: User

    def issue(self, state: str = "new", **kw) -> Issue:
        """A problem of ``enterprise`` in ``state``, dispatched to ``unit`` when it is past new."""
        kw.setdefault("raised_by", self.commissioner)
        if state != "new":
            kw.setdefault("lead_unit_id", self.unit.id)
        return factories.issue(self.enterprise, state=state, **kw)


def make_world() -> World:
    unit = factories.unit("市人力资源和社会保障局")
    other = factories.unit("市自然资源局")
    ent = factories.enterprise("青石机械制造有限公司")
    other_ent = factories.enterprise("远山食品有限公司")
    factories.contact(ent, name="赵经理")
    w = World(
        unit=unit, other_unit=other, enterprise=ent, other_enterprise=other_ent,
        category=factories.category("用工招工", lead_unit=unit),
        coordinator=factories.user(["coordinator"], username="coord", display_name="周协调"),
        handler=factories.user(["handler"], username="hand", display_name="韩经办", unit=unit),
        other_handler=factories.user(["handler"], username="hand2", display_name="何经办",
                                     unit=other),
        leader=factories.user(["leader"], username="lead", display_name="李市长"),
        leader_b=factories.user(["leader"], username="leadb", display_name="白副市长"),
        commissioner=factories.user(["commissioner"], username="comm", display_name="陈特派"),
        admin=factories.user(["admin"], username="adm", display_name="安管理"),
    )
    factories.assignment(ent, w.leader, "leader_a")
    factories.assignment(ent, w.leader_b, "leader_b")
    factories.assignment(ent, w.commissioner, "commissioner")
    db.session.commit()
    return w


@pytest.fixture
def world(app) -> World:
    return make_world()


def utc(*args) -> datetime:
    """A naive-UTC instant (the form stored in the database)."""
    return datetime(*args)
