"""政银企 in the demo county: six banks with their account managers (the demo sign-in
``bank`` manages the first), financing needs in every state — registered from visits
that found 资金紧张, by the coordinator, with and without consent, 银税互动 candidates,
pushed to one or two banks whose answers are green, yellow, red, accepted, under due
diligence, granted, disbursed (some needs met), declined, and closed — plus the 停减产
cards of the halted and reduced enterprises and two matchmaking sessions.

Everything goes through the product's own verbs (``crm.financing.services``,
``support``, ``matching``) at explicit instants before the demo clock, so the lights
follow from the deadlines the services compute: a push one working day old is green,
two or three days old yellow, older unanswered red.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from crm.auth.models import Unit, User
from crm.core.timeutil import to_local
from crm.extensions import db
from crm.financing import matching, services, support
from crm.financing.models import OFFERS, PURPOSES, STOPPED_STATUSES, SUPPORT_REASONS
from crm.seed.county.context import Ctx

BANKS = ("中国工商银行云岭支行", "中国农业银行云岭支行", "中国银行云岭支行",
         "中国建设银行云岭支行", "云岭农村商业银行", "中国邮政储蓄银行云岭支行")
# What happens to each need after it is registered: (banks, the banks' story, need end).
# Bank stories: "green"/"yellow"/"red" unanswered pushes of that light; "accepted",
# "diligence", "granted", "disbursed" (the full amount or part), "declined".
SCRIPTS = (
    ((), (), None),                                     # registered, not pushed yet
    ((), (), None),
    ((0,), ("green",), None),
    ((1,), ("yellow",), None),
    ((2,), ("red",), None),
    ((0, 4), ("yellow", "red"), None),
    ((0,), ("accepted",), None),
    ((3,), ("diligence",), None),
    ((0, 1), ("diligence", "declined"), None),
    ((0,), ("granted",), None),
    ((4,), ("granted",), None),
    ((0,), ("disbursed",), None),                      # met
    ((1, 5), ("disbursed_part", "disbursed_part"), None),   # two banks share it: met
    ((0, 2), ("disbursed_part", "declined"), None),    # part disbursed, still open
    ((5,), ("disbursed",), None),
    ((0,), ("declined",), "closed"),                   # declined, then closed
    ((3,), ("red",), "closed"),                        # the enterprise withdrew
    ((0,), ("accepted",), None),
    ((2,), ("green",), None),
    ((5,), ("granted",), None),
)
NO_CONSENT = 2          # the first two needs have no consent yet (they cannot be pushed)
AMOUNTS = (80, 120, 150, 200, 260, 300, 350, 500, 600, 800, 1000, 1500)


def _banks(ctx: Ctx) -> tuple[list[Unit], list[User]]:
    """Six bank units, each with one account manager (the first is the demo ``bank``)."""
    banks = [Unit(name=name, kind="bank") for name in BANKS]
    db.session.add_all(banks)
    db.session.flush()
    pw_hash = ctx.demo["admin"].password_hash
    managers = []
    for i, bank in enumerate(banks):
        name = "赵丽华" if i == 0 else ctx.person()
        user = User(username="bank" if i == 0 else f"bank{i + 1}", display_name=name,
                    phone=ctx.phone(), title="客户经理", unit_id=bank.id,
                    password_hash=pw_hash, created_at=ctx.local(ctx.window_start, 9))
        user.roles = ["bank"]
        user.unit = bank
        db.session.add(user)
        ctx.users.append(user)
        managers.append(user)
    db.session.flush()
    ctx.demo["bank"] = managers[0]
    return banks, managers


def _at(ctx: Ctx, day: date, hour: int = 10) -> datetime:
    """``day`` (moved to a working day) at ``hour`` local, never after the demo clock."""
    while not ctx.workday(day):
        day -= timedelta(days=1)
    return min(ctx.local(day, hour, ctx.rng.randint(0, 50)), ctx.now - timedelta(minutes=5))


def _push_day(ctx: Ctx, story: str) -> date:
    """The day a push must have been made for its unanswered light now (accept within 3
    working days, by 18:00; yellow from 18:00 of the second: on the due day at noon)."""
    today = to_local(ctx.now).date()
    back = {"green": 0, "yellow": 3, "red": 6}.get(story)
    if back is None:   # answers under way are recent (their next step still on time)
        low, high = {"accepted": (4, 6), "diligence": (6, 9), "granted": (7, 10)}.get(
            story, (25, 60))
        return ctx.sub_wd(today, ctx.rng.randint(low, high))
    return ctx.sub_wd(today, back) if back else today


def _play_bank(ctx: Ctx, resp, manager: User, story: str, pushed_at: datetime,
               amount: Decimal) -> None:
    """Move one bank's answer through its steps, each a few working days after the last."""
    if story in ("green", "yellow", "red"):
        return
    t = pushed_at
    steps = {"accepted": ["accept"], "diligence": ["accept", "diligence"],
             "granted": ["accept", "diligence", "grant"],
             "disbursed": ["accept", "diligence", "grant", "disburse"],
             "disbursed_part": ["accept", "grant", "disburse"],
             "declined": ["accept", "decline"]}[story]
    gap = (1, 2) if story in ("accepted", "diligence", "granted") else (1, 3)
    for step in steps:
        t = _at(ctx, ctx.add_wd(to_local(t).date(), ctx.rng.randint(*gap)), 15)
        granted = amount if story != "disbursed_part" else (amount / 2).quantize(Decimal(1))
        data = {"grant": {"amount": granted, "rate": Decimal(ctx.rng.choice(
                    ("3.10", "3.45", "3.65", "3.85", "4.20")))},
                "disburse": {"amount": granted, "on": to_local(t).date()},
                "decline": {"reason": ctx.rng.choice(("collateral", "operations", "debt")),
                            "note": "经审查暂不符合准入条件"}}.get(step, {})
        services.answer(resp, step, manager, data, now=t)


def populate_financing(ctx: Ctx) -> dict[str, int]:
    """Banks, needs with their answers, 停减产 cards and matchmaking sessions."""
    banks, managers = _banks(ctx)
    coordinator = ctx.demo["coordinator"]
    finance_visits = [v for v in ctx.visits if v.id and any(f == "finance" for f, _n in v.factors)]
    finance_visits.sort(key=lambda v: v.at)
    pool = [e for e in ctx.enterprises if e.status != "deregistered"]
    ctx.rng.shuffle(pool)
    today = to_local(ctx.now).date()
    needs = []
    for index, (bank_ix, stories, end) in enumerate(SCRIPTS):
        first = _push_day(ctx, stories[0]) if stories else ctx.sub_wd(today, ctx.rng.randint(1, 40))
        raised_day = ctx.sub_wd(first, ctx.rng.randint(1, 4)) if stories else first
        raised_at = _at(ctx, raised_day, 9)
        visit = next((v for v in finance_visits if v.at < raised_at
                      and v.enterprise_id not in {n.enterprise_id for n in needs}), None)
        ent = ctx.enterprise_by_id[visit.enterprise_id] if visit and index % 3 == 0 else pool[index]
        credit = index % 4 == 1
        data = {"amount": Decimal(ctx.rng.choice(AMOUNTS)),
                "purpose": ctx.rng.choice(list(PURPOSES)),
                "term_months": ctx.rng.choice((6, 12, 12, 24, 36)),
                "urgency": ctx.rng.choice(("normal", "soon", "urgent")),
                "offers": "credit" if credit else ",".join(sorted(ctx.rng.sample(
                    [o for o in OFFERS if o != "credit"], ctx.rng.randint(1, 2)))),
                "tax_grade": "A" if credit else ctx.rng.choice(("A", "B", "M", "B", "C")),
                "tax_paid": Decimal(ctx.rng.randint(5, 400)),
                "has_consent": index >= NO_CONSENT,
                "note": "企业自述：订单回款周期长，需补充流动资金" if index % 2 else None}
        from_visit = visit is not None and ent.id == visit.enterprise_id
        need = services.raise_need(
            ent, data, ctx.user(visit.author_id) if from_visit else coordinator,
            source="visit" if from_visit else "coordinator",
            visit_id=visit.id if from_visit else None, now=raised_at)
        needs.append(need)
        pushes = []
        for ix, story in zip(bank_ix, stories):   # every push first, then the answers
            pushed_at = _at(ctx, _push_day(ctx, story) if story in ("green", "yellow", "red")
                            else first, 11)
            pushed_at = max(pushed_at, raised_at + timedelta(minutes=30))
            [resp] = services.push_need(need, [banks[ix]], coordinator, now=pushed_at)
            pushes.append((resp, ix, story, pushed_at))
        for resp, ix, story, pushed_at in pushes:
            _play_bank(ctx, resp, managers[ix], story, pushed_at, need.amount)
        if end == "closed" and need.state == "open":
            services.close_need(need, "withdrawn" if "red" in stories else "not_eligible",
                                "企业已通过其他渠道解决", coordinator,
                                now=ctx.now - timedelta(hours=2))
    db.session.flush()
    cards = _support_cards(ctx, coordinator, today)
    sessions = _sessions(ctx, banks, needs, coordinator, today)
    return {"banks": len(banks), "financing_needs": len(needs), "support_cases": cards,
            "match_sessions": sessions}


def _support_cards(ctx: Ctx, coordinator: User, today: date) -> int:
    """A card for most halted and reduced enterprises (one left for the coordinator)."""
    stopped = [e for e in ctx.enterprises if e.status in STOPPED_STATUSES]
    made = 0
    for i, ent in enumerate(stopped[:-1] if len(stopped) > 1 else stopped):
        since = today - timedelta(days=ctx.rng.randint(10, 150))
        support.record_case(ent, {"since": since, "reason": ctx.rng.choice(list(SUPPORT_REASONS)),
                                  "reason_note": "订单减少，部分产线停产" if i % 2 else None},
                            coordinator)
        made += 1
    return made


def _sessions(ctx: Ctx, banks, needs, coordinator: User, today: date) -> int:
    """One session held two weeks ago with outcomes, one next week still being filled."""
    held = matching.save_session(None, {"title": "政银企融资对接座谈会（第一期）",
                                        "held_on": ctx.sub_wd(today, 10),
                                        "place": "市民服务中心三楼会议室"},
                                 banks[:4], coordinator)
    invited = [n for n in needs if n.has_consent][:6]
    matching.invite(held, invited, coordinator)
    for need in invited:
        for bank in banks[:2]:
            result = ctx.rng.choice(("intent", "follow_up", "no_match"))
            matching.record_outcome(held, need.id, bank.id, result,
                                    need.amount if result == "intent" else None, None,
                                    coordinator)
    coming = matching.save_session(None, {"title": "政银企融资对接座谈会（第二期）",
                                          "held_on": ctx.add_wd(today, 5),
                                          "place": "市工业和信息化局会议室"},
                                   banks, coordinator)
    matching.invite(coming, [n for n in needs if n.has_consent and n.state == "open"][:4],
                    coordinator)
    return 2
