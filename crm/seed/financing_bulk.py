"""政银企 at province scale: banks with account managers (the first one's is the demo
sign-in ``bank``), financing needs with their banks' answers and timelines, and the
停减产 cards of the halted and reduced enterprises — as bulk rows (COPY on PostgreSQL).

The rows follow the product's rules, not a copy of them: the deadlines come from
``crm.financing.deadlines.step_deadline`` on the generator's working-day calendar, each
answer walks the service's state machine (``crm.financing.services.ACTIONS``: sources →
target, the clock of the next step), a need is met exactly when its disbursed loans
cover it, and every step writes its timeline row.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from crm.auth.models import Unit, User, UserRole
from crm.core.timeutil import to_local
from crm.enterprises.models import Enterprise
from crm.extensions import db
from crm.financing.deadlines import step_deadline
from crm.financing.models import (
    OFFERS,
    PURPOSES,
    SUPPORT_REASONS,
    BankResponse,
    FinancingEvent,
    FinancingNeed,
    SupportCase,
)
from crm.financing.services import ACTIONS

SIZES = {"banks": 40, "needs": 6_000}
BANK_NAMES = ("工商银行", "农业银行", "中国银行", "建设银行", "交通银行", "邮储银行", "农商银行",
              "村镇银行", "兴业银行", "招商银行", "中信银行", "浦发银行", "民生银行", "光大银行")
# What becomes of a need (weights): its banks' stories.
STORIES = (("unpushed", 12), ("pushed", 14), ("accepted", 7), ("diligence", 8),
           ("granted", 10), ("disbursed", 27), ("declined", 14), ("closed", 8))
STEPS = {"pushed": [], "accepted": ["accept"], "diligence": ["accept", "diligence"],
         "granted": ["accept", "diligence", "grant"],
         "disbursed": ["accept", "diligence", "grant", "disburse"],
         "declined": ["accept", "decline"], "closed": []}
AMOUNTS = (50, 80, 100, 150, 200, 300, 500, 800, 1000, 2000, 3000)


def _put(row: dict, **values) -> None:
    """Set columns of a financing row (a need's or an answer's state among them: these
    rows are no problems, whose state only ``crm.issues.workflow`` writes)."""
    row.update(values)


def _n(key: str, factor: float, low: int) -> int:
    return max(low, round(SIZES[key] * factor))


def _banks(w, rng, ctx, factor, province: str, pw_hash: str):
    """Bank units (ORM, like the other units) and one manager each (bulk rows)."""
    n = _n("banks", factor, 3)
    names = [f"{province}{BANK_NAMES[i % len(BANK_NAMES)]}{'' if i < len(BANK_NAMES) else i}"
             f"支行" for i in range(n)]
    created = ctx.local(ctx.today - timedelta(days=400), 9)
    banks = [Unit(name=name, kind="bank", created_at=created) for name in names]
    db.session.add_all(banks)
    db.session.flush()
    base = (db.session.scalar(select(func.max(User.id))) or 0) + 1
    users, roles = [], []
    for i, bank in enumerate(banks):
        users.append(dict(id=base + i, username="bank" if i == 0 else f"bank{i + 1}",
                          display_name="赵丽华" if i == 0 else rng.choice("王李张刘陈") +
                          rng.choice(("伟", "芳", "娜", "敏", "静", "强", "磊")),
                          phone="139" + "".join(rng.choice("0123456789") for _ in range(8)),
                          title="客户经理", unit_id=bank.id, password_hash=pw_hash,
                          created_at=created))
        roles.append(dict(user_id=base + i, role="bank"))
    w.write(User.__table__, users)
    w.write(UserRole.__table__, roles)
    return [(b.id, base + i) for i, b in enumerate(banks)]


def populate_financing(w, rng, ctx, factor, ents, coordinator_id: int, province: str,
                       pw_hash: str) -> None:
    """Banks, needs with answers and timelines, 停减产 cards (see the module doc)."""
    banks = _banks(w, rng, ctx, factor, province, pw_hash)
    need_base = (db.session.scalar(select(func.max(FinancingNeed.id))) or 0) + 1
    resp_base = (db.session.scalar(select(func.max(BankResponse.id))) or 0) + 1
    event_base = (db.session.scalar(select(func.max(FinancingEvent.id))) or 0) + 1
    needs, responses, events = [], [], []
    names, weights = zip(*STORIES)
    offers = [o for o in OFFERS if o != "credit"]

    def event(need_id, at, action, actor, response_id=None, frm=None, to=None, text=None):
        events.append(dict(id=event_base + len(events), need_id=need_id,
                           response_id=response_id, actor_id=actor, at=at, action=action,
                           from_state=frm, to_state=to, text=text))

    def workday_at(day, hour):
        day = ctx.cal.roll(day)
        return ctx.local(day, hour, rng.randint(0, 50))

    today = to_local(ctx.now).date()
    for i in range(_n("needs", factor, 8)):
        # The first needs walk every story, so both sizes hold each kind of row.
        story = names[i] if i < len(names) else rng.choices(names, weights)[0]
        recent = story in ("pushed", "accepted", "diligence", "granted")
        back = rng.randint(1, 12) if recent else rng.randint(25, 300)
        raised_at = min(workday_at(today - timedelta(days=back), 9), ctx.now - timedelta(hours=3))
        eid, _town = ents[rng.randrange(len(ents))]
        credit = rng.random() < 0.2
        amount = Decimal(rng.choice(AMOUNTS))
        nid = need_base + i
        need = dict(id=nid, enterprise_id=eid, amount=amount, purpose=rng.choice(list(PURPOSES)),
                    term_months=rng.choice((6, 12, 24, 36)),
                    urgency=rng.choice(("normal", "soon", "urgent")),
                    offers="credit" if credit else ",".join(sorted(rng.sample(offers, 2))),
                    tax_grade="A" if credit else rng.choice("ABMBC"),
                    tax_paid=Decimal(rng.randint(5, 500)), has_consent=story != "unpushed"
                    or rng.random() < 0.5, note=None, source="coordinator", visit_id=None,
                    close_reason=None, close_note=None,
                    raised_by_id=coordinator_id, raised_at=raised_at, closed_at=None)
        _put(need, state="open")
        needs.append(need)
        event(nid, raised_at, "raise", coordinator_id, to="open")
        if story == "unpushed":
            continue
        chosen = rng.sample(banks, 2 if rng.random() < 0.25 else 1)
        pushed_at = min(raised_at + timedelta(hours=rng.randint(2, 30)), ctx.now - timedelta(hours=2))
        disbursed = Decimal(0)
        mine = []  # this need's answers (looked up here, not in all the answers: henan)
        for k, (bank_id, manager) in enumerate(chosen):
            rid = resp_base + len(responses)
            due, warn = step_deadline(pushed_at, "accept", ctx.cal)
            resp = dict(id=rid, need_id=nid, bank_id=bank_id, pushed_by_id=coordinator_id,
                        pushed_at=pushed_at, due_at=due, warn_at=warn, version=1)
            _put(resp, state="pushed")
            event(nid, pushed_at, "push", coordinator_id, rid, None, "pushed")
            t = pushed_at
            steps = STEPS[story] if k == 0 else (["accept", "decline"] if story != "pushed"
                                                 else [])
            for step in steps:
                nxt = t + timedelta(days=rng.randint(1, 4 if recent else 9))
                if nxt >= ctx.now:
                    break
                t, action = nxt, ACTIONS[step]
                assert resp["state"] in action.sources
                before = resp["state"]
                _put(resp, state=action.target)
                text = None
                if step == "accept":
                    resp["accepted_at"] = t
                elif step == "diligence":
                    resp["diligence_at"] = t
                elif step == "grant":
                    resp.update(granted_at=t, granted_amount=amount,
                                rate=Decimal(rng.choice(("3.10", "3.45", "3.85", "4.35"))))
                    text = f"{amount} 万元"
                elif step == "disburse":
                    resp.update(disbursed_at=t, disbursed_amount=amount,
                                disbursed_on=to_local(t).date())
                    disbursed += amount
                elif step == "decline":
                    resp.update(declined_at=t, decline_reason=rng.choice(
                        ("collateral", "operations", "debt", "credit_record")))
                if action.next_step is None:
                    resp["due_at"] = resp["warn_at"] = None
                elif action.next_step != "same":
                    resp["due_at"], resp["warn_at"] = step_deadline(t, action.next_step, ctx.cal)
                event(nid, t, step, manager, rid, before, action.target, text)
            responses.append(resp)
            mine.append(resp)
        if disbursed >= amount:
            met_at = max(r.get("disbursed_at") or pushed_at for r in mine)
            _put(need, state="met", closed_at=met_at)
            event(nid, met_at, "met", coordinator_id, None, "open", "met")
        elif story == "closed":
            closed_at = min(pushed_at + timedelta(days=rng.randint(5, 30)),
                            ctx.now - timedelta(hours=1))
            _put(need, state="closed", close_reason=rng.choice(("withdrawn", "self_funded")),
                 closed_at=closed_at)
            for r in mine:
                if r["state"] in ("pushed", "accepted", "diligence", "granted"):
                    event(nid, closed_at, "withdraw", coordinator_id, r["id"], r["state"],
                          "withdrawn")
                    _put(r, state="withdrawn", due_at=None, warn_at=None)
            event(nid, closed_at, "close", coordinator_id, None, "open", "closed")
    w.write(FinancingNeed.__table__, needs)
    w.write(BankResponse.__table__, responses)
    w.write(FinancingEvent.__table__, events)
    _support(w, rng, ctx, coordinator_id)


def _support(w, rng, ctx, coordinator_id: int) -> None:
    """A 停减产 card for four in five of the halted and reduced enterprises."""
    base = (db.session.scalar(select(func.max(SupportCase.id))) or 0) + 1
    stopped = db.session.execute(select(Enterprise.id, Enterprise.status).where(
        Enterprise.status.in_(("halted", "reduced"))).order_by(Enterprise.id)).all()
    rows = []
    for eid, status in stopped:
        if rng.random() < 0.2:
            continue
        rows.append(dict(id=base + len(rows), enterprise_id=eid, status=status,
                         since=ctx.today - timedelta(days=rng.randint(5, 200)),
                         reason=rng.choice(list(SUPPORT_REASONS)), reason_note=None,
                         resumed_on=None, created_by_id=coordinator_id, created_at=ctx.now))
    w.write(SupportCase.__table__, rows)
