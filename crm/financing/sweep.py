"""The banks' deadline sweep: due-soon and overdue notices, once per step.

Like the problems' sweep (``crm.issues.sweep``) it only sends notices; the light is
derived from ``due_at``/``warn_at``. The dedupe key holds the answer, the light and
the step's deadline, so a second run adds nothing while a new step gets its own notices.
Due soon → the bank's managers; overdue → the bank's managers and the coordinators.

Runs from ``flask crm sweep`` (with the problems' sweep) and as the periodic rq job
``periodic_sweep`` (``crm.scheduling.PERIODIC``).
"""
from __future__ import annotations

import logging
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from crm.core.notify import notify
from crm.core.timeutil import utcnow
from crm.enterprises.models import Enterprise
from crm.extensions import db
from crm.financing.models import CLOCK_STATES, BankResponse, FinancingNeed
from crm.financing.services import bank_manager_ids, coordinator_ids, wan
from crm.issues.notices import local_dt, zh
from crm.jobs import reschedule

log = logging.getLogger(__name__)

SWEEP_INTERVAL = 15 * 60
SWEEP_JOB = "crm.financing.sweep.periodic_sweep"


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Send the banks' due-soon and overdue notices due at ``now``. Safe to repeat.
    Returns {notice kind: notifications added}; flushes, the caller commits."""
    now = now or utcnow()
    rows = db.session.execute(
        select(BankResponse, FinancingNeed.amount, Enterprise.name)
        .join(FinancingNeed, FinancingNeed.id == BankResponse.need_id)
        .join(Enterprise, Enterprise.id == FinancingNeed.enterprise_id)
        .where(BankResponse.state.in_(CLOCK_STATES), BankResponse.warn_at <= now,
               FinancingNeed.state == "open")
        .order_by(BankResponse.id)).all()
    if not rows:
        return {}
    managers = bank_manager_ids(r.bank_id for r, _a, _n in rows)
    coordinators = None
    counts: dict[str, int] = {}
    for resp, amount, name in rows:
        light = resp.light(now)
        ref, due = f"{name} {wan(amount)} 万元", local_dt(resp.due_at)
        stamp = resp.due_at.strftime("%Y%m%d%H%M")
        if light == "red":
            if coordinators is None:
                coordinators = coordinator_ids()
            kind, users = "financing_overdue", managers[resp.bank_id] | coordinators
            text = _l("The bank's answer to the financing need %(ref)s is overdue: it was due "
                      "by %(due)s.", ref=ref, due=due)
        elif light == "yellow":
            kind, users = "financing_due_soon", managers[resp.bank_id]
            text = _l("The financing need %(ref)s is due soon: please answer by %(due)s.",
                      ref=ref, due=due)
        else:
            continue
        added = notify(users, kind, zh(text), link=f"/financing/bank/{resp.id}",
                       dedupe_key=f"fin:{resp.id}:{resp.state}:{light}:{stamp}")
        counts[kind] = counts.get(kind, 0) + added
    return counts


def periodic_sweep() -> dict[str, int]:
    """The rq job: run the sweep, commit, schedule the next run (one chain per interval)."""
    counts = sweep()
    db.session.commit()
    reschedule(SWEEP_JOB, SWEEP_INTERVAL)
    log.info("financing sweep: %s", counts)
    return counts
