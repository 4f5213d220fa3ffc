"""The county's registry: units, the workflow's reference data, people, enterprises with
their contacts, 包联 assignments and the policy catalogue. Rows are added to the session
(which flushes where ids are needed); nothing here has a workflow state."""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from pypinyin import Style, lazy_pinyin
from sqlalchemy import select

from crm.auth.models import Unit, User
from crm.enterprises.credit_code import CHARSET, make
from crm.enterprises.models import Assignment, Contact, Enterprise
from crm.extensions import db
from crm.issues import reference
from crm.issues.models import Category, DeadlineRule
from crm.issues.reference import CATEGORIES, DEFAULT_RULES
from crm.liaisons.models import Policy
from crm.seed.county.context import Ctx
from crm.seed.county.data import (
    BRANDS,
    CITY,
    CLUSTER_WEIGHTS,
    CONTACT_TITLES,
    DEMO_PASSWORD,
    DEMO_SIGNINS,
    DEMO_TOWN,
    DEPARTMENTS,
    GOV_OFFICE,
    HR_BUREAU,
    IIT_BUREAU,
    POLICIES,
    POLICY_SUMMARY,
    ROADS,
    TAGS,
    TOWNS,
    TRADES,
)


def _unit(name: str, kind: str = "department", created_at: datetime | None = None) -> Unit:
    """The unit called ``name``, created when missing."""
    unit = db.session.scalar(select(Unit).where(Unit.name == name))
    if unit is None:
        unit = Unit(name=name, kind=kind)
        if created_at is not None:
            unit.created_at = created_at
        db.session.add(unit)
        db.session.flush()
    return unit


def seed_reference_data() -> list[Category]:
    """The workflow's reference data (``crm.issues.reference``); returns the categories
    in display order."""
    reference.seed_reference_data()
    by_name = {c.name: c for c in db.session.scalars(select(Category))}
    return [by_name[name] for name, _unit_name, _level in CATEGORIES]


def _load_limits() -> dict[str, tuple]:
    rows = db.session.scalars(select(DeadlineRule).where(DeadlineRule.category_id.is_(None)))
    limits = dict(DEFAULT_RULES)
    limits.update({r.level: (r.sign_days, r.progress_days, r.resolve_days, r.resolve_calendar)
                   for r in rows})
    return limits


def _make_units(ctx: Ctx) -> list[Unit]:
    since = ctx.local(ctx.window_start, 9)
    units = ([_unit(n, "town", since) for n in TOWNS]
             + [_unit(n, "department", since) for n in DEPARTMENTS + [GOV_OFFICE]])
    ctx.units = {u.name: u for u in units}
    ctx.unit_names = {u.id: u.name for u in units}
    ctx.towns = units[:len(TOWNS)]
    return units


def _new_user(ctx: Ctx, taken: set, pw_hash: str, role: str, unit: Unit, title: str,
              username: str | None = None, name: str | None = None) -> User:
    name = name or ctx.person()
    if username is None:
        base = username = "".join(lazy_pinyin(name))
        n = 2
        while username in taken:
            username, n = f"{base}{n}", n + 1
    taken.add(username)
    user = User(username=username, display_name=name, phone=ctx.phone(), title=title,
                unit_id=unit.id, password_hash=pw_hash, created_at=ctx.local(ctx.window_start, 9))
    user.roles = [role]
    db.session.add(user)
    ctx.users.append(user)
    return user


def _make_users(ctx: Ctx) -> list[User]:
    """Five fixed sign-ins plus the rest of the county's cadres, sharing one hash."""
    taken = set(db.session.scalars(select(User.username)))
    clash = [u for u, _ in DEMO_SIGNINS if u in taken]
    if clash:
        raise ValueError(f"demo users exist already: {', '.join(clash)}")
    probe = User()
    probe.set_password(DEMO_PASSWORD)
    u, mk = ctx.units, partial(_new_user, ctx, taken, probe.password_hash)
    ctx.demo = {
        "admin": mk("admin", u[IIT_BUREAU], "信息中心工程师", "admin", "周文博"),
        "coordinator": mk("coordinator", u[IIT_BUREAU], "联席办副主任", "coordinator", "刘晓燕"),
        "leader": mk("leader", u[GOV_OFFICE], "副市长", "leader", "王建国"),
        "commissioner": mk("commissioner", u[DEMO_TOWN], "镇党委委员、副镇长", "commissioner", "李志强"),
        "handler": mk("handler", u[HR_BUREAU], "就业促进科科长", "handler", "张丽娟"),
    }
    titles = ["市委副书记、市长", "市委常委、常务副市长", "市委常委、副市长", "副市长", "副市长",
              "副市长", "市政府党组成员", "市政府党组成员", "市人大常委会副主任"]
    ctx.leaders = [ctx.demo["leader"]] + [mk("leader", u[GOV_OFFICE], t) for t in titles]
    home = ctx.towns + [u[n] for n in DEPARTMENTS]
    ctx.commissioners = [ctx.demo["commissioner"]]
    for i in range(29):   # cadres drawn from every town office and department
        unit = home[i % len(home)]
        titles = (["党委委员", "经济发展办主任", "党政办主任"] if unit.kind == "town"
                  else ["副局长", "科长", "四级调研员"])
        ctx.commissioners.append(mk("commissioner", unit, ctx.rng.choice(titles)))
    ctx.coordinators = [ctx.demo["coordinator"], mk("coordinator", u[IIT_BUREAU], "联席办科员")]
    for unit in home:   # 1–2 handlers per unit; the demo handler's busy bureau has three
        team = [ctx.demo["handler"]] if unit.name == HR_BUREAU else []
        want = 3 if team else 2 if unit.kind == "department" else ctx.rng.randint(1, 2)
        team += [mk("handler", unit, ctx.rng.choice(["科员", "科长", "副科长", "办公室主任"]))
                 for _ in range(want - len(team))]
        ctx.handlers[unit.id] = team
    db.session.flush()
    return ctx.users


def _credit_code(rng: random.Random, used: set) -> str:
    """A unique valid 统一社会信用代码: 91 + region 419926 + a 9-character organisation code."""
    while True:
        if rng.random() < 0.6:
            org = "MA" + "".join(rng.choice(CHARSET) for _ in range(7))
        else:
            org = "".join(rng.choice("0123456789") for _ in range(8)) + rng.choice(CHARSET)
        code = make("91419926" + org)
        if code not in used:
            used.add(code)
            return code


def _enterprise_name(rng: random.Random, trade: str, size: str, used: set) -> str:
    while True:
        brand = rng.choice(BRANDS)
        if rng.random() < 0.35:
            brand += rng.choice(BRANDS)
        suffix = ("集团有限公司" if size == "large" and rng.random() < 0.5 else
                  "股份有限公司" if rng.random() < 0.15 else "有限公司")
        name = brand + trade + suffix
        if name not in used and len(set(brand)) == len(brand):
            used.add(name)
            return name


def _size(employees: int, output: float) -> str:
    if employees >= 1000 and output >= 40000:
        return "large"
    if employees >= 300 and output >= 2000:
        return "medium"
    return "small" if employees >= 20 and output >= 300 else "micro"


def _make_enterprise(ctx: Ctx, town: Unit, chain: bool, names: set, codes: set) -> Enterprise:
    rng = ctx.rng
    cluster = rng.choices(list(CLUSTER_WEIGHTS), list(CLUSTER_WEIGHTS.values()))[0]
    trade, industry = rng.choice(TRADES[cluster])
    above = chain or rng.random() < 0.55
    if chain:
        employees, output = rng.randint(800, 3000), rng.uniform(50000, 300000)
    elif above:   # 规上: main business revenue of 20 million yuan (2000 万元) or more
        employees, output = rng.randint(60, 900), rng.uniform(2000, 60000)
    else:
        employees, output = rng.randint(6, 120), rng.uniform(80, 1990)
    size = _size(employees, output)
    name = _enterprise_name(rng, trade, size, names)
    park = ("经济技术开发区" if industry == "C" and rng.random() < 0.35 else
            "高新技术产业园" if rng.random() < 0.1 else None)
    place = park or town.name.replace("人民政府", "").replace("办事处", "")
    tags = rng.sample(TAGS, rng.choice([0, 0, 1, 1, 2, 3]))
    if chain:
        tags.insert(0, "链主企业")
    status = rng.choices(["normal", "reduced", "halted"], [88, 8, 4])[0]
    return Enterprise(
        name=name, credit_code=_credit_code(rng, codes), legal_rep=ctx.person(), industry=industry,
        cluster=cluster, is_chain_leader=chain, scale="above" if above else "below", size=size,
        ownership=rng.choices(["private", "state", "mixed", "foreign", "hmt"], [75, 8, 7, 5, 5])[0],
        town_id=town.id, park=park,
        address=f"{CITY}{place}{rng.choice(ROADS)}{rng.randint(1, 300)}号",
        employees=employees, annual_output=Decimal(f"{output:.2f}"), status=status,
        tags=",".join(tags) or None, name_pinyin="".join(lazy_pinyin(name)),
        name_initials="".join(lazy_pinyin(name, style=Style.FIRST_LETTER)),
        created_at=ctx.local(ctx.window_start, 9), updated_at=ctx.local(ctx.window_start, 9))


def _make_contacts(ctx: Ctx, ent: Enterprise) -> list[Contact]:
    rng = ctx.rng
    titles = [rng.choice(["董事长", "总经理"])] + rng.sample(CONTACT_TITLES, rng.randint(0, 2))
    contacts = []
    for i, title in enumerate(titles):   # the boss is often the legal representative
        name = ent.legal_rep if i == 0 and rng.random() < 0.4 else ctx.person()
        contacts.append(Contact(enterprise_id=ent.id, name=name, title=title, phone=ctx.phone(),
                                is_primary=i == 0))
    ctx.primary_contact[ent.id] = contacts[0].name
    return contacts


def _make_enterprises(ctx: Ctx) -> tuple[list[Enterprise], list[Contact]]:
    """120 enterprises; the first five are in the demo commissioner's town."""
    rng, names, codes = ctx.rng, set(db.session.scalars(select(Enterprise.name))), set()
    codes.update(db.session.scalars(select(Enterprise.credit_code)))
    chain = set(rng.sample(range(5, 120), 10))
    home = ctx.units[DEMO_TOWN]
    ents = [_make_enterprise(ctx, home if i < 7 else rng.choice(ctx.towns), i in chain,
                             names, codes) for i in range(120)]
    db.session.add_all(ents)
    db.session.flush()
    contacts = [c for e in ents for c in _make_contacts(ctx, e)]
    db.session.add_all(contacts)
    ctx.enterprises, ctx.demo_enterprises = ents, ents[:5]
    return ents, contacts


def _make_assignments(ctx: Ctx) -> list[Assignment]:
    """One active leader A per enterprise (12 each), mostly a leader B, 1–2 commissioners,
    and an ended commissioner on 15 enterprises."""
    rng, today, rows = ctx.rng, ctx.today, []
    demo_leader, demo_comm = ctx.demo["leader"], ctx.demo["commissioner"]

    def add(ent, user, role, start, end=None):
        rows.append(Assignment(enterprise_id=ent.id, user_id=user.id, role=role, start_date=start,
                               end_date=end, created_at=ctx.local(start, 9),
                               created_by_id=ctx.demo["coordinator"].id))

    pool = [demo_leader] * 7 + [lead for lead in ctx.leaders[1:] for _ in range(12)]
    rng.shuffle(pool)
    others = ctx.commissioners[1:]
    order = others[:]
    rng.shuffle(order)
    history = set(rng.sample(range(5, 120), 15))
    b_for_demo = 0
    for i, ent in enumerate(ctx.enterprises):
        start = today - timedelta(days=rng.randint(330, 420))
        leader_a = demo_leader if i < 5 else pool[i - 5]
        add(ent, leader_a, "leader_a", start)
        ctx.leader_a[ent.id] = leader_a.id
        if rng.random() < 0.85:
            choices = [lead for lead in ctx.leaders if lead is not leader_a
                       and (lead is not demo_leader or b_for_demo < 4)]
            leader_b = rng.choice(choices)
            b_for_demo += leader_b is demo_leader
            add(ent, leader_b, "leader_b", start)
        primary = demo_comm if i < 5 else order[(i - 5) % len(order)]
        c_start = start
        if i in history:   # handed over a few months ago: the history shows both
            past = rng.choice([c for c in others if c is not primary])
            end = today - timedelta(days=rng.randint(60, 150))
            p_start = start - timedelta(days=rng.randint(90, 200))
            add(ent, past, "commissioner", p_start, end)
            ctx.active_commissions.append((ent, past, p_start, end, 0.15))
            c_start = end + timedelta(days=1)
        add(ent, primary, "commissioner", c_start)
        ctx.commissioner_of[ent.id] = primary.id
        ctx.active_commissions.append((ent, primary, c_start, None, 0.1 if i < 5 else 0.15))
        if i >= 5 and rng.random() < 0.3:
            second = rng.choice([c for c in others if c is not primary])
            add(ent, second, "commissioner", start)
            ctx.active_commissions.append((ent, second, start, None, 0.6))
    db.session.add_all(rows)
    return rows


def _make_policies(ctx: Ctx) -> list[Policy]:
    """The catalogue: 50 policies, a few of them expired."""
    rng, rows = ctx.rng, []
    for category, issuer, title, elig in POLICIES:
        start = ctx.today - timedelta(days=rng.randint(200, 900))
        expired = rng.random() < 0.12
        if expired:
            end = ctx.today - timedelta(days=rng.randint(10, 150))
        elif rng.random() < 0.3:
            end = None   # open-ended
        else:
            end = max(start + timedelta(days=rng.choice([730, 1095, 1825])),
                      ctx.today + timedelta(days=rng.randint(30, 400)))
        rows.append(Policy(
            title=title, category=category, issuer=issuer, summary=POLICY_SUMMARY[category],
            industries=elig.get("industries", ""), scales=elig.get("scales", ""),
            ownerships=elig.get("ownerships", ""), clusters=elig.get("clusters", ""),
            valid_from=start, valid_to=end, created_at=ctx.local(start, 10),
            created_by_id=ctx.demo["coordinator"].id))
    db.session.add_all(rows)
    return rows


def populate_registry(ctx: Ctx) -> tuple[dict[str, int], list[Policy]]:
    """Units, reference data, people, enterprises, assignments and policies; returns
    the counts and the policies (the visits deliver them)."""
    units = _make_units(ctx)
    categories = seed_reference_data()
    ctx.categories, ctx.limits = {c.name: c for c in categories}, _load_limits()
    users = _make_users(ctx)
    enterprises, contacts = _make_enterprises(ctx)
    assignments = _make_assignments(ctx)
    policies = _make_policies(ctx)
    db.session.flush()
    ctx.users_by_id = {u.id: u for u in users}
    ctx.enterprise_by_id = {e.id: e for e in enterprises}
    return {"units": len(units), "users": len(users), "enterprises": len(enterprises),
            "contacts": len(contacts), "assignments": len(assignments),
            "policies": len(policies), "categories": len(categories)}, policies
