"""The financing pages cost the same number of SQL statements with few and with many
needs, banks' answers, towns and stopped enterprises — within the pages' budget."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from crm.extensions import db
from crm.financing import matching, services, support
from tests import factories
from tests.conftest import count_queries
from tests.financing.helpers import bank, need

BUDGET = 12


def _grow(n, banks, coordinator, session, stopped_town):
    """``n`` more needs in every state, on enterprises of several towns."""
    for i in range(n):
        town = factories.unit(kind="town")
        ent = factories.enterprise(town_id=town.id)
        nd = need(ent, coordinator, amount=str(100 + i), offers="credit" if i % 2 else "mortgage",
                  tax_grade="A")
        pushed = services.push_need(nd, [b for b, _m in banks], coordinator)
        for j, (resp, (_b, manager)) in enumerate(zip(pushed, banks)):
            services.answer(resp, "accept", manager)
            if j == 0:
                services.answer(resp, "grant", manager, {"amount": Decimal(50),
                                                         "rate": Decimal("3.5")})
                services.answer(resp, "disburse", manager, {"amount": Decimal(50),
                                                            "on": date(2026, 11, 25)})
            else:
                services.answer(resp, "decline", manager, {"reason": "debt"})
        matching.invite(session, [nd], coordinator)
        for b, _m in banks:
            matching.record_outcome(session, nd.id, b.id, "follow_up", None, None, coordinator)
        halted = factories.enterprise(status="halted", town_id=stopped_town.id)
        support.record_case(halted, {"since": date(2026, 10, 1), "reason": "orders"},
                            coordinator)
        factories.issue(halted, coordinator)
    db.session.commit()


def _cost(client, url) -> int:
    client.get(url)   # warm up
    with count_queries() as q:
        response = client.get(url)
    assert response.status_code == 200, url
    return q.count


def test_financing_pages_cost_the_same_at_two_sizes(app, client, login_as):
    coordinator = factories.user(roles=["coordinator"])
    banks = [bank("甲行"), bank("乙行"), bank("丙行")]
    session = matching.save_session(None, {"title": "座谈会", "held_on": date(2026, 12, 1)},
                                    [b for b, _m in banks], coordinator)
    stopped_town = factories.unit("停产镇", kind="town")
    subject_ent = factories.enterprise("被观察企业", status="halted", town_id=stopped_town.id)
    support.record_case(subject_ent, {"since": date(2026, 9, 1), "reason": "funds"}, coordinator)
    subject = need(subject_ent, coordinator)
    [resp, *_rest] = services.push_need(subject, [b for b, _m in banks], coordinator)
    db.session.commit()
    _grow(2, banks, coordinator, session, stopped_town)
    coordinator_pages = ["/financing/", "/financing/?state=all&stage=granted&bank="
                         f"{banks[0][0].id}", f"/financing/{subject.id}",
                         f"/financing/{subject.id}/push", f"/financing/sessions/{session.id}",
                         "/financing/sessions/", "/financing/support/", "/meetings/overview",
                         f"/financing/banks/{banks[0][0].id}/list.xlsx",
                         f"/enterprises/{subject_ent.id}"]
    bank_pages = ["/financing/bank/", "/financing/bank/?state=all", f"/financing/bank/{resp.id}"]

    def costs():
        login_as(coordinator)
        mine = {url: _cost(client, url) for url in coordinator_pages}
        client.post("/logout", data={"csrf_token": client.csrf_token()})
        login_as(banks[0][1])
        mine.update({url: _cost(client, url) for url in bank_pages})
        client.post("/logout", data={"csrf_token": client.csrf_token()})
        return mine

    small = costs()
    _grow(12, banks, coordinator, session, stopped_town)
    large = costs()
    print("\nFINANCING PAGE QUERIES", large)
    assert small == large, {u: (small[u], large[u]) for u in small if small[u] != large[u]}
    over = {u: c for u, c in large.items() if c > BUDGET and "/meetings/overview" not in u
            and "/enterprises/" not in u}
    assert not over, over


def _province_costs(client):
    from sqlalchemy import func, select

    from crm.financing.models import BankResponse
    from crm.auth.models import User
    bank_unit = db.session.scalar(select(User.unit_id).where(User.username == "bank"))
    resp = db.session.scalar(select(func.min(BankResponse.id)).where(
        BankResponse.bank_id == bank_unit))
    need_id = db.session.scalar(select(BankResponse.need_id).where(BankResponse.id == resp))
    pages = [("coordinator", "/financing/"), ("coordinator", f"/financing/{need_id}"),
             ("coordinator", "/financing/?state=all&stage=disbursed"),
             ("coordinator", "/financing/support/"),
             ("coordinator", f"/financing/banks/{bank_unit}/list.xlsx"),
             ("bank", "/financing/bank/"), ("bank", f"/financing/bank/{resp}")]
    out, who = {}, None
    for user, url in pages:
        if user != who:
            client.post("/logout", data={"csrf_token": client.csrf_token()})
            assert client.post_form("/login", {"username": user, "password": "crm-demo"}
                                    ).status_code == 302
            who = user
        out[url.split("/financing/")[1].split("?")[0] or url] = _cost(client, url)
    return out


def test_financing_pages_on_the_province_seed_at_two_sizes(app, client):
    from crm.seed.province import populate_province
    from tests.conftest import _clean

    populate_province(0.002, seed=3)
    small = _province_costs(client)
    _clean(app)
    populate_province(0.008, seed=3)
    large = _province_costs(client)
    print("\nPROVINCE FINANCING PAGE QUERIES", large)
    assert list(small.values()) == list(large.values()), (small, large)
    assert max(large.values()) <= BUDGET, large
