"""The packets' written analysis: the period's figures said in sentences (本月共收集企业
诉求48件，办结20件……), and the drafts of the 存在问题 and 下步工作 paragraphs that the
coordinator edits on the meeting page before a packet can be made final.

Every number in a sentence is one of ``crm.meetings.metrics``' figures, so the words
and the tables of a packet never disagree."""
from __future__ import annotations

from flask_babel import gettext as _

from crm.core.timeutil import to_local
from crm.meetings.metrics import Figures, percent

ORDINALS = "一二三四五六七八九十"


def _count_change(change) -> str:
    if change is None:
        return "—"
    if change > 0:
        return _("rose by %(n)d", n=change)
    if change < 0:
        return _("fell by %(n)d", n=-change)
    return _("held level")


def _rate_change(change) -> str:
    if change is None:
        return _("cannot be compared")
    points = round(change * 100, 1)
    if points > 0:
        return _("rose by %(n)s points", n=f"{points:.1f}")
    if points < 0:
        return _("fell by %(n)s points", n=f"{-points:.1f}")
    return _("held level")


def _unit_count(red_unit) -> str:
    return _("%(unit)s (%(n)d)", unit=red_unit.label or _("not yet dispatched"),
             n=red_unit.count)


def _days(value) -> str:
    return "—" if value is None else f"{value:.1f}"


def figures_sentences(cur: Figures, *, visits=None, coverage=None) -> str:
    """The period's figures in two sentences."""
    parts = []
    if visits is not None:
        parts.append(_("Commissioners made %(visits)d visits to %(ents)d enterprises "
                       "(visit coverage %(cov)s)", visits=visits.visits,
                       ents=visits.enterprises_visited,
                       cov=f"{coverage.percent}%" if coverage is not None
                       and coverage.percent is not None else "—"))
    parts.append(_("%(raised)d problems were collected from enterprises, %(dispatched)d "
                   "dispatched and %(resolved)d resolved, %(pending)d are being handled",
                   raised=cur.raised, dispatched=cur.dispatched, resolved=cur.resolved,
                   pending=cur.pending))
    text = _("; ").join(parts) + _(". ")
    text += _("The resolution rate was %(res)s, the on-time rate %(on_time)s, satisfaction "
              "%(sat)s, and a problem took %(days)s working days on average.",
              res=percent(cur.resolution_rate), on_time=percent(cur.on_time_rate),
              sat=percent(cur.satisfaction_rate), days=_days(cur.avg_days))
    return text


def month_summary(glance: dict) -> list[str]:
    """The month at a glance in paragraphs (from ``context.month_glance``)."""
    o = glance["o"]
    cur = o.current
    opening = (_("So far this month, ") if o.running else _("This month, "))
    paragraphs = [opening + figures_sentences(cur, visits=o.visits,
                                              coverage=glance["coverage"])]
    base = _("the same days of last month") if o.running else _("last month")
    paragraphs.append(_(
        "Compared with %(base)s, problems collected %(raised)s, resolved %(resolved)s, "
        "the on-time rate %(on_time)s and satisfaction %(sat)s.",
        base=base, raised=_count_change(o.change("raised")),
        resolved=_count_change(o.change("resolved")),
        on_time=_rate_change(o.change("on_time_rate")),
        sat=_rate_change(o.change("satisfaction_rate"))))
    red = glance.get("red_units") or []
    if cur.overdue_now:
        units = "、".join(_unit_count(u) for u in red[:3])
        paragraphs.append(_("At %(at)s, %(n)d problems are overdue, most of them at "
                            "%(units)s.", at=to_local(o.now).strftime("%m-%d %H:%M"),
                            n=cur.overdue_now, units=units or "—"))
    else:
        paragraphs.append(_("No problem is overdue."))
    return paragraphs


def quarter_summary(quarter: Figures, previous: Figures, last_year: Figures, *,
                    visits=None, coverage=None) -> list[str]:
    """The quarter in sentences, against the previous quarter and the same quarter of
    last year."""
    return [
        _("This quarter, ") + figures_sentences(quarter, visits=visits, coverage=coverage),
        _("Compared with the previous quarter, problems collected %(raised)s, resolved "
          "%(resolved)s and the on-time rate %(on_time)s; compared with the same quarter "
          "last year, problems collected %(raised_y)s, resolved %(resolved_y)s and the "
          "on-time rate %(on_time_y)s.",
          raised=_count_change(quarter.raised - previous.raised),
          resolved=_count_change(quarter.resolved - previous.resolved),
          on_time=_rate_change(_diff(quarter.on_time_rate, previous.on_time_rate)),
          raised_y=_count_change(quarter.raised - last_year.raised),
          resolved_y=_count_change(quarter.resolved - last_year.resolved),
          on_time_y=_rate_change(_diff(quarter.on_time_rate, last_year.on_time_rate))),
    ]


def _diff(a, b):
    return None if a is None or b is None else a - b


def _numbered(points: list[str]) -> str:
    return "\n".join(_("%(n)s, %(text)s", n=ORDINALS[i] if i < len(ORDINALS) else i + 1,
                       text=p) for i, p in enumerate(points))


def draft_problems(total: Figures, units: list[Figures], red_units, open_decisions: int
                   ) -> str:
    """A draft of the 存在问题 paragraph from the figures (the coordinator edits it)."""
    points = []
    if total.overdue_now:
        named = "、".join(_unit_count(u) for u in red_units[:3])
        points.append(_("some problems are overdue: %(n)d in all (%(units)s).",
                        n=total.overdue_now, units=named))
    slow = [u for u in units if u.key is not None and u.resolved >= 3
            and u.on_time_rate is not None and total.on_time_rate is not None
            and u.on_time_rate < total.on_time_rate]
    if slow:
        points.append(_("the pace differs between units: the on-time rate of %(units)s is "
                        "below the average of %(avg)s.",
                        units="、".join(u.label for u in slow[:3]),
                        avg=percent(total.on_time_rate)))
    if total.redone:
        points.append(_("%(n)d resolutions came only after the problem was reopened.",
                        n=total.redone))
    if open_decisions:
        points.append(_("%(n)d decisions of the last meeting are not done yet.",
                        n=open_decisions))
    if not points:
        points.append(_("no particular problem stands out in the figures."))
    return _numbered(points)


def draft_next_steps(total: Figures, red_units, agenda_items: int) -> str:
    """A draft of the 下步工作 paragraph (the coordinator edits it)."""
    points = []
    if total.overdue_now:
        points.append(_("supervise the %(n)d overdue problems one by one and have the lead "
                        "units report progress every week.", n=total.overdue_now))
    if agenda_items:
        points.append(_("carry out the decisions on the %(n)d items of this meeting, with "
                        "the responsible unit and due day of each.", n=agenda_items))
    points.append(_("keep up the commissioners' visits so that every enterprise is "
                    "visited in the month."))
    points.append(_("report the progress of this meeting's decisions at the next meeting."))
    return _numbered(points)
