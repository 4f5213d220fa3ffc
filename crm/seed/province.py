"""The province-scale generator: a year of activity for 20,000 enterprises.

Everything comes from one ``random.Random(seed)`` and the clock is ``today`` 12:00
Asia/Shanghai (the present moment instead when the data of today is loaded in the
morning: nothing may have happened later than now), so the same seed, factor and day
give the same rows. Rows are built as plain dicts with explicit ids and written by
``BulkWriter`` (COPY on PostgreSQL, executemany on SQLite); the few reference rows
(units, categories, deadline rules) go through the ORM. ``factor`` scales every count
(1.0 = the province; the tests use a tiny factor).
"""
from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from pypinyin import Style, lazy_pinyin
from sqlalchemy import func, select, text

from crm.auth.models import Unit, User, UserRole
from crm.core.models import Counter
from crm.core.timeutil import local_midnight_utc, local_today, to_local, utcnow, week_start
from crm.enterprises.credit_code import CHARSET, make
from crm.enterprises.models import Assignment, Contact, Enterprise
from crm.extensions import db
from crm.financing.models import BankResponse, FinancingEvent, FinancingNeed, SupportCase
from crm.issues import reference
from crm.issues.deadlines import StageLimits, WorkCalendar, overrides_between, start_clock
from crm.issues.models import Category, DeadlineRule, Issue, IssueEvent
from crm.liaisons.models import Policy, Visit, VisitCap, VisitFlag, VisitPolicy
from crm.meetings.models import AgendaItem, Decision, Meeting
from crm.seed import province_taskforces
from crm.seed.bulk import BulkWriter
from crm.seed.financing_bulk import populate_financing
from crm.seed.verification_bulk import populate_followups
from crm.seed.county.data import (
    BRANDS,
    CLUSTER_WEIGHTS,
    CONTACT_TITLES,
    DEMO_PASSWORD,
    DEPARTMENTS,
    GIVEN,
    ROADS,
    SUMMARIES,
    SURNAMES,
    TRADES,
)
from crm.seed.problems import _Issues, _meetings

SIZES = {"enterprises": 20_000, "towns": 60, "departments": 90, "leaders": 300,
         "commissioners": 4_000, "handlers": 600, "policies": 1_000, "visits": 1_000_000,
         "issues": 150_000}
WEEKS = 52
PROVINCE = "豫中"
LEVELS = ("consult", "ordinary", "complex")
ISSUE_BATCH = 20_000  # problems written at a time, with their events
HENAN_CITIES = ("郑州市", "开封市", "洛阳市", "平顶山市", "安阳市", "鹤壁市", "新乡市", "焦作市",
                "濮阳市", "许昌市", "漯河市", "三门峡市", "南阳市", "商丘市", "信阳市", "周口市",
                "驻马店市", "济源市")
COUNTIES = ("东城区", "西城区", "南关区", "北郊区", "新城区", "安平县", "兴隆县", "永宁县", "宁安县",
            "长乐县", "富民县", "太平县")
TOWNS = ("城关镇", "新集镇", "柳河镇", "青石镇", "白沙镇", "龙泉镇", "桥头镇", "马庄镇", "清水镇",
         "石桥镇")
FLAGS = {"orders": 30, "labour": 20, "funding": 25, "power": 8, "relocating": 4, "cutting": 8,
         "expanding": 15}


@dataclass(frozen=True)
class Profile:
    """What a scale generates: the sizes at factor 1.0, the weeks of visits, the days of
    history before today (units, people and assignments exist that long), and how units
    are named. ``cities`` empty: the province's ten counties of ``PROVINCE``; otherwise
    towns and departments of those cities' districts and counties (unique names).
    ``finance`` scales the 政银企 records (their own sizes are the province's);
    ``extras`` adds health flags on visits and visit caps (无事不扰) on some enterprises."""

    sizes: dict = field(default_factory=lambda: dict(SIZES))
    weeks: int = WEEKS
    history_days: int = 400
    province: str = PROVINCE
    cities: tuple = ()
    finance: float = 1.0
    extras: bool = False

    def n(self, key: str, factor: float, low: int = 1) -> int:
        return max(low, round(self.sizes[key] * factor))


def _scaled(ratio: float, **sizes) -> dict:
    """The province's sizes times ``ratio``, with ``sizes`` given exactly."""
    return {k: sizes.get(k, max(1, round(v * ratio))) for k, v in SIZES.items()}


PROFILES = {
    # The province: exactly as it always was (same seed, same rows).
    "province": Profile(),
    # Henan's 万人助万企: 18 cities, 3,000 units, 76,000 cadres, 135,000 enterprises,
    # half a year of visits (3.5 million) and 300,000 problems.
    "henan": Profile(sizes={"enterprises": 135_000, "towns": 1_800, "departments": 1_200,
                            "leaders": 2_000, "commissioners": 70_000, "handlers": 4_000,
                            "policies": 6_750, "visits": 3_500_000, "issues": 300_000},
                     weeks=26, province="河南", cities=HENAN_CITIES, finance=6.75, extras=True),
    # A large county: 3,000 enterprises and two years of visits; the rest as the province
    # per enterprise (visits and problems per enterprise and year).
    "county-large": Profile(sizes=_scaled(0.15, visits=300_000, issues=45_000), weeks=104,
                            history_days=765, finance=0.15, extras=True),
}


@dataclass
class _Clock:
    today: date
    now: datetime
    cal: WorkCalendar
    limits: dict
    cache: dict
    profile: Profile = field(default_factory=Profile)

    def local(self, day: date, hour: int, minute: int = 0) -> datetime:
        return local_midnight_utc(day) + timedelta(hours=hour, minutes=minute)

    def stages(self, level: str, at: datetime) -> dict:
        """Stage deadlines of a clock started at ``at``, by the workflow's own rule."""
        key = (level, to_local(at).date())
        if key not in self.cache:
            c = start_clock(at, self.limits[level], cal=self.cal)
            self.cache[key] = dict(sign_due_at=c.sign_due_at, progress_due_at=c.progress_due_at,
                                   due_at=c.due_at, warn_at=c.warn_at)
        return self.cache[key]


def _person(rng) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _phone(rng) -> str:
    return "1" + rng.choice("35789") + "".join(rng.choice("0123456789") for _ in range(9))


def _units(ctx, factor):
    """Towns and departments (ORM: few rows); returns (towns, departments)."""
    prof = ctx.profile
    since = ctx.local(ctx.today - timedelta(days=prof.history_days), 9)
    n_towns, n_depts = prof.n("towns", factor, 3), prof.n("departments", factor, 3)
    if prof.cities:  # city + district/county + town: 郑州市东城区城关镇
        names = [f"{city}{c}{t}" for t in TOWNS for city in prof.cities for c in COUNTIES]
        wanted = list(DEPARTMENTS) + ["市政府办公室"]
        wanted += [f"{city}{d[1:]}" for city in prof.cities for d in DEPARTMENTS]
        wanted += [f"{city}{c}{d[1:]}" for c in COUNTIES for city in prof.cities
                   for d in DEPARTMENTS]
    else:
        names = [f"{PROVINCE}{c}县{t}" for c in "东南西北中安平兴永宁" for t in
                 ("城关镇", "新集镇", "柳河镇", "青石镇", "白沙镇", "龙泉镇")]
        wanted = list(DEPARTMENTS) + ["市政府办公室"]
        wanted += [f"{PROVINCE}{c}县{d[1:]}" for c in "东南西北中安平兴永宁" for d in DEPARTMENTS]
    if len(names) < n_towns or len(wanted) < n_depts:
        raise ValueError(f"the profile names {len(names)} towns and {len(wanted)} departments; "
                         f"{n_towns} and {n_depts} asked for")
    towns = [Unit(name=n, kind="town", created_at=since) for n in names[:n_towns]]
    depts = [Unit(name=n, kind="department", created_at=since) for n in wanted[:max(n_depts, 15)]]
    db.session.add_all(towns + depts)
    db.session.flush()
    reference.seed_reference_data()
    return towns, list(db.session.scalars(select(Unit).where(Unit.kind == "department")))


def _users(w, rng, ctx, factor, towns, depts, pw_hash):
    """Demo sign-ins, coordinators, leaders, commissioners and handlers (Core rows)."""
    gov = next(u for u in depts if u.name == "市政府办公室")
    iit = next(u for u in depts if u.name == "市工业和信息化局")
    hr = next(u for u in depts if u.name == "市人力资源和社会保障局")
    created = ctx.local(ctx.today - timedelta(days=ctx.profile.history_days), 9)
    users, roles, taken = [], [], set()
    base = (db.session.scalar(select(func.max(User.id))) or 0) + 1

    def add(role, unit, title, username=None, name=None):
        name = name or _person(rng)
        if username is None:
            stem = username = "".join(lazy_pinyin(name))
            k = 2
            while username in taken:
                username, k = f"{stem}{k}", k + 1
        taken.add(username)
        uid = base + len(users)
        users.append(dict(id=uid, username=username, display_name=name, phone=_phone(rng),
                          title=title, unit_id=unit.id, password_hash=pw_hash, created_at=created))
        roles.append(dict(user_id=uid, role=role))
        return uid

    demo = {"admin": add("admin", iit, "信息中心工程师", "admin", "周文博"),
            "coordinator": add("coordinator", iit, "联席办副主任", "coordinator", "刘晓燕"),
            "leader": add("leader", gov, "副市长", "leader", "王建国"),
            "commissioner": add("commissioner", towns[0], "副镇长", "commissioner", "李志强"),
            "handler": add("handler", hr, "就业促进科科长", "handler", "张丽娟")}
    coordinators = [demo["coordinator"]] + [add("coordinator", iit, "联席办科员")
                                            for _ in range(4)]
    leaders = [demo["leader"]] + [add("leader", gov, rng.choice(["副市长", "副县长", "县委常委"]))
                                  for _ in range(ctx.profile.n("leaders", factor, 2) - 1)]
    home = towns + depts
    commissioners = [demo["commissioner"]] + [
        add("commissioner", home[i % len(home)], rng.choice(["党委委员", "副局长", "科长"]))
        for i in range(ctx.profile.n("commissioners", factor, 2) - 1)]
    handlers = {hr.id: [demo["handler"]]}
    for i in range(ctx.profile.n("handlers", factor, len(depts))):
        unit = depts[i % len(depts)] if i < len(depts) * 4 else rng.choice(home)
        handlers.setdefault(unit.id, []).append(add("handler", unit, "科员"))
    w.write(User.__table__, users)
    w.write(UserRole.__table__, roles)
    return demo, coordinators, leaders, commissioners, handlers


def _credit(rng, used) -> str:
    while True:
        code = make("91" + f"{rng.randint(410000, 419999)}" +
                    "".join(rng.choice(CHARSET) for _ in range(9)))
        if code not in used:
            used.add(code)
            return code


def _enterprises(w, rng, ctx, factor, towns):
    """Enterprises with one primary contact each; returns [(id, town_id)]."""
    prof = ctx.profile
    n = prof.n("enterprises", factor, 5)
    if prof.cities:  # name prefix 郑州, place 城关, address from the city on
        where = {t.id: (next(c for c in prof.cities if t.name.startswith(c))[:-1],
                        t.name[-3:-1], t.name) for t in towns}
    else:
        where = {t.id: (PROVINCE, t.name[len(PROVINCE) + 2:len(PROVINCE) + 4],
                        t.name[len(PROVINCE):]) for t in towns}
    clusters = list(CLUSTER_WEIGHTS)
    weights = list(CLUSTER_WEIGHTS.values())
    pinyin_cache, used, names = {}, set(), set()
    ents, contacts, out = [], [], []
    base = (db.session.scalar(select(func.max(Enterprise.id))) or 0) + 1
    cbase = (db.session.scalar(select(func.max(Contact.id))) or 0) + 1
    created = ctx.local(ctx.today - timedelta(days=prof.history_days), 9)
    for i in range(n):
        cluster = rng.choices(clusters, weights)[0]
        trade, industry = rng.choice(TRADES[cluster])
        town = rng.choice(towns)
        prefix, place, address = where[town.id]
        name = f"{prefix}{rng.choice(BRANDS)}{trade}有限公司"
        if name in names:
            name = f"{prefix}{place}{rng.choice(BRANDS)}{trade}有限公司"
        k = 2
        while name in names:
            name = f"{prefix}{place}{rng.choice(BRANDS)}{trade}{k}号有限公司"
            k += 1
        names.add(name)
        if name not in pinyin_cache:
            pinyin_cache[name] = ("".join(lazy_pinyin(name)),
                                  "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)))
        py, ini = pinyin_cache[name]
        employees = int(rng.lognormvariate(4, 1.1)) + 5
        eid = base + i
        ents.append(dict(
            id=eid, name=name, credit_code=_credit(rng, used), legal_rep=_person(rng),
            industry=industry, cluster=cluster, is_chain_leader=rng.random() < 0.02,
            scale="above" if employees > 80 else "below",
            size="large" if employees > 1000 else "medium" if employees > 300 else
            "small" if employees > 20 else "micro",
            ownership=rng.choices(["private", "state", "foreign", "hmt", "mixed"],
                                  [80, 8, 4, 3, 5])[0],
            town_id=town.id, address=f"{address}{rng.choice(ROADS)}"
                                     f"{rng.randint(1, 999)}号",
            employees=employees, annual_output=round(employees * rng.uniform(20, 120), 2),
            status=rng.choices(["normal", "reduced", "halted"], [90, 8, 2])[0],
            tags=None, name_pinyin=py, name_initials=ini, created_at=created,
            updated_at=created, version=1))
        contacts.append(dict(id=cbase + i, enterprise_id=eid, name=_person(rng),
                             title=rng.choice(CONTACT_TITLES), phone=_phone(rng),
                             is_primary=True))
        out.append((eid, town.id))
    w.write(Enterprise.__table__, ents)
    w.write(Contact.__table__, contacts)
    return out


def _assignments(w, rng, ctx, ents, leaders, commissioners, coordinator):
    """leader_a, leader_b and one commissioner per enterprise (a few with history)."""
    start = ctx.today - timedelta(days=ctx.profile.history_days - 20)
    rows, commissioner_of, leader_a = [], {}, {}
    base = (db.session.scalar(select(func.max(Assignment.id))) or 0) + 1
    for i, (eid, _town) in enumerate(ents):
        a = leaders[i % len(leaders)]
        b = leaders[(i + 1 + rng.randrange(len(leaders) - 1)) % len(leaders)] \
            if len(leaders) > 1 else a
        c = commissioners[i % len(commissioners)]
        leader_a[eid], commissioner_of[eid] = a, c
        for uid, role in ((a, "leader_a"), (b, "leader_b"), (c, "commissioner")):
            rows.append(dict(id=base + len(rows), enterprise_id=eid, user_id=uid, role=role,
                             start_date=start, end_date=None, created_by_id=coordinator,
                             created_at=ctx.local(start, 10)))
    w.write(Assignment.__table__, rows)
    return commissioner_of, leader_a


def _policies(w, rng, ctx, factor, coordinator):
    """The catalogue: valid, expiring and expired policies across the six categories."""
    n = ctx.profile.n("policies", factor, 5)
    base = (db.session.scalar(select(func.max(Policy.id))) or 0) + 1
    cats = ["tax", "award", "subsidy", "talent", "finance", "other"]
    rows = []
    for i in range(n):
        start = ctx.today - timedelta(days=rng.randint(30, 700))
        end = None if rng.random() < 0.4 else start + timedelta(days=rng.randint(200, 1100))
        rows.append(dict(id=base + i, title=f"关于{rng.choice(BRANDS)}产业发展的支持政策（第{i + 1}号）",
                         category=rng.choice(cats), issuer=rng.choice(DEPARTMENTS),
                         summary="政策要点：符合条件的企业可按规定申报。",
                         industries=rng.choice(["", "", "C"]), scales=rng.choice(["", "", "above"]),
                         ownerships="", clusters="", valid_from=start, valid_to=end,
                         is_active=True, created_by_id=coordinator,
                         created_at=ctx.local(start, 9)))
    w.write(Policy.__table__, rows)
    return [r["id"] for r in rows]


def _visits(w, rng, ctx, factor, ents, commissioner_of, policy_ids):
    """About ``visits`` weekly visits over the profile's weeks (rows streamed, never held
    all at once); returns the visits that raise problems."""
    prof = ctx.profile
    WEEKS = prof.weeks  # noqa: N806 - the province's constant, per profile
    n_target = prof.n("visits", factor, 10)
    first_week = week_start(ctx.today) - timedelta(weeks=WEEKS - 1)
    per_week = max(1, round(n_target / WEEKS))
    vbase = (db.session.scalar(select(func.max(Visit.id))) or 0) + 1
    n_issues = prof.n("issues", factor, 5)
    raising = set(rng.sample(range(n_target), min(n_issues, n_target)))
    raised, counter = [], [0]
    policy_rows, flag_rows = [], []
    # Health flags come from a generator of their own (seeded by one draw), so they take
    # nothing from the visits' sequence.
    flagger = random.Random(rng.random()) if prof.extras else None
    flag_names, flag_weights = list(FLAGS), list(FLAGS.values())
    modes = ["onsite"] * 8 + ["phone", "video"]
    summaries = [s.replace("{contact}", "企业负责人").replace("{e}", "企业").replace("{p}", str(p))
                 for s in SUMMARIES for p in (70, 80, 85, 90, 95)]

    this_week = min(5, (ctx.today - (first_week + timedelta(weeks=WEEKS - 1))).days + 1)
    quotas = [0] * WEEKS
    quotas[-1] = min(n_target, per_week * this_week // 6)
    full, extra = divmod(n_target - quotas[-1], WEEKS - 1)
    for week in range(WEEKS - 1):
        quotas[week] = full + (1 if week < extra else 0)

    def rows():
        k = 0
        for week in range(WEEKS):
            monday = first_week + timedelta(weeks=week)
            last = (ctx.today - monday).days if week == WEEKS - 1 else 6
            start = (week * per_week) % len(ents)
            # The current week is under way: only the days so far have their visits; the
            # full weeks share the rest so the year holds exactly ``n_target`` visits.
            quota = quotas[week]
            for j in range(quota):
                if k >= n_target:
                    return
                eid = ents[(start + j) % len(ents)][0]
                day = monday + timedelta(days=rng.randint(0, max(0, min(4, last))))
                vid = vbase + k
                at = ctx.local(day, rng.randint(1, 9), rng.randint(0, 59))
                if day == ctx.today:  # written up before now, on the day of the visit
                    at = max(min(at, ctx.now - timedelta(minutes=30)), local_midnight_utc(day))
                author = commissioner_of[eid]
                if k in raising:
                    raised.append((vid, eid, author, at))
                if rng.random() < 0.1:
                    policy_rows.append(dict(visit_id=vid, policy_id=rng.choice(policy_ids)))
                if flagger and flagger.random() < 0.06:  # 经营风险标记 on one visit in 16
                    for flag in dict.fromkeys(flagger.choices(
                            flag_names, flag_weights, k=flagger.choice((1, 1, 1, 2)))):
                        flag_rows.append(dict(visit_id=vid, flag=flag))
                k += 1
                yield dict(id=vid, client_uuid=str(uuid.UUID(int=rng.getrandbits(128),
                                                             version=4)),
                           enterprise_id=eid, author_id=author, visit_date=day,
                           mode=rng.choice(modes), summary=rng.choice(summaries),
                           created_at=at, updated_at=at)
        counter[0] = k

    w.write(Visit.__table__, rows())
    w.write(VisitPolicy.__table__, policy_rows)
    if prof.extras:
        w.write(VisitFlag.__table__, flag_rows)
    return raised


def _caps(w, ctx, ents, coordinator):
    """无事不扰: a visit cap on one enterprise in fifty (at most one visit a week, unless
    a problem of it is open; the generator visits each enterprise at most weekly)."""
    at = ctx.local(ctx.today - timedelta(days=90), 10)
    w.write(VisitCap.__table__, (dict(enterprise_id=eid, per_week=1, unless_problem=True,
                                      set_by_id=coordinator, set_at=at)
                                 for k, (eid, _town) in enumerate(ents) if k % 50 == 7))


def populate_province(factor: float = 1.0, seed: int = 20261127,
                      today: date | None = None, echo=None,
                      profile: Profile | str = "province") -> dict[str, int]:
    """Bulk-load the ``profile`` (``PROFILES``: the province by default; ``factor`` 1.0
    = its full size) into an empty database; commits itself.

    Returns the row count per table. ``echo(msg)`` receives progress lines.
    """
    prof = PROFILES[profile] if isinstance(profile, str) else profile
    echo = echo or (lambda msg: None)
    t0 = time.perf_counter()
    if db.session.scalar(select(func.count()).select_from(Enterprise)):
        raise ValueError("the database already has enterprises; seed an empty database")
    rng = random.Random(seed)
    today = today or local_today()
    overrides = overrides_between(today - timedelta(days=max(460, prof.history_days + 60)),
                                  today + timedelta(days=150))
    limits = {}
    rules = {r.level: r for r in db.session.scalars(
        select(DeadlineRule).where(DeadlineRule.category_id.is_(None)))}
    now = local_midnight_utc(today) + timedelta(hours=12)
    if today == local_today():
        now = min(now, utcnow().replace(second=0, microsecond=0))
    ctx = _Clock(today=today, now=now, cal=WorkCalendar(overrides), limits=limits, cache={},
                 profile=prof)
    w = BulkWriter()
    towns, depts = _units(ctx, factor)
    rules = {r.level: r for r in db.session.scalars(
        select(DeadlineRule).where(DeadlineRule.category_id.is_(None)))}
    for level in LEVELS:
        r = rules.get(level)
        limits[level] = (StageLimits(r.sign_days, r.progress_days, r.resolve_days,
                                     r.resolve_calendar) if r else
                         StageLimits(*reference.DEFAULT_RULES[level]))
    probe = User()
    probe.set_password(DEMO_PASSWORD)
    demo, coordinators, leaders, commissioners, handlers = _users(
        w, rng, ctx, factor, towns, depts, probe.password_hash)
    echo(f"  people {time.perf_counter() - t0:6.1f}s")
    ents = _enterprises(w, rng, ctx, factor, towns)
    commissioner_of, leader_a = _assignments(w, rng, ctx, ents, leaders, commissioners,
                                             demo["coordinator"])
    policy_ids = _policies(w, rng, ctx, factor, demo["coordinator"])
    echo(f"  enterprises {time.perf_counter() - t0:6.1f}s")
    raised = _visits(w, rng, ctx, factor, ents, commissioner_of, policy_ids)
    if prof.extras:
        _caps(w, ctx, ents, demo["coordinator"])
    echo(f"  visits {time.perf_counter() - t0:6.1f}s")
    cats = [(c.name, c.id, c.lead_unit_id, c.default_level)
            for c in db.session.scalars(select(Category).order_by(Category.position))]
    maker = _Issues(rng, ctx, cats, handlers, coordinators, leader_a,
                    {u.id: u for u in towns + depts})
    for vid, eid, author, at in raised:
        maker.build(vid, eid, author, at)
        if len(maker.issues) >= ISSUE_BATCH:
            maker.flush(w)
    del raised
    meetings, agenda, decisions = _meetings(w, rng, ctx, maker, demo["coordinator"], depts, ents)
    maker.flush(w)
    w.write(Meeting.__table__, meetings)
    w.write(AgendaItem.__table__, agenda)
    w.write(Decision.__table__, decisions)
    for year, value in maker.numbers.items():
        db.session.merge(Counter(key=f"issue:{year}", value=value))
    echo(f"  problems {time.perf_counter() - t0:6.1f}s")
    # 专班: task forces, key projects, a year of rhythm meetings, inspection groups.
    province_taskforces.populate(w, rng, ctx, factor, leaders, coordinators, commissioners,
                                 depts, ents)
    echo(f"  task forces {time.perf_counter() - t0:6.1f}s")
    populate_financing(w, rng, ctx, factor * prof.finance, ents, demo["coordinator"],
                       prof.province, probe.password_hash)   # 政银企 (issue 17): banks, needs, 停减产
    echo(f"  financing {time.perf_counter() - t0:6.1f}s")
    populate_followups(w, ctx)   # 回访 queue of the low ratings (issue 18)
    w.fix_sequences([User.__table__, Enterprise.__table__, Contact.__table__,
                     Assignment.__table__, Policy.__table__, Visit.__table__, Issue.__table__,
                     IssueEvent.__table__, Meeting.__table__, AgendaItem.__table__,
                     Decision.__table__, FinancingNeed.__table__, BankResponse.__table__,
                     FinancingEvent.__table__, SupportCase.__table__])
    db.session.commit()
    echo(f"  committed {time.perf_counter() - t0:6.1f}s")
    # Fresh statistics: the planners otherwise guess on tables that grew from empty. On
    # PostgreSQL also VACUUM, which sets the visibility map that index-only scans (the
    # monthly counts) need; autovacuum would get there later on its own.
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    echo(f"  analysed {time.perf_counter() - t0:6.1f}s")
    return dict(w.counts)
