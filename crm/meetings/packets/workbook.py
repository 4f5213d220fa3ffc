"""The packet's tables as an .xlsx workbook (the same data as the PDF)."""
from __future__ import annotations

from flask_babel import gettext as _

from crm.core import xlsx
from crm.core.timeutil import to_local
from crm.meetings import metrics


def _sheet(wb, title: str, header: list[str], rows: list[list]) -> None:
    widths = [min(60, max(8, 2 * max(len(str(v if v is not None else ""))
                                     for v in [h, *(r[i] for r in rows)])))
              for i, h in enumerate(header)]
    ws = xlsx.add_sheet(wb, title, header, widths)
    for row in rows:
        xlsx.append(ws, row)


def _figure_rows(f) -> list:
    return [f.label or _("No lead unit"), f.dispatched, f.resolved, f.pending,
            metrics.percent(f.resolution_rate), metrics.percent(f.on_time_rate),
            None if f.avg_days is None else round(f.avg_days, 1),
            metrics.percent(f.satisfaction_rate), metrics.percent(f.reopen_rate),
            f.supervised, f.overdue_now]


def packet_workbook(context: dict) -> bytes:
    """A workbook with one sheet per table of the packet described by ``context``
    (``crm.meetings.packets.context.packet_context``)."""
    wb = xlsx.new_book()
    unit_header = [_("Lead unit"), _("Received"), _("Resolved in the period"), _("Pending"),
                   _("Resolution rate"), _("On-time rate"), _("Average days"),
                   _("Satisfaction"), _("Reopen rate"), _("Problems supervised"),
                   _("Overdue now")]
    if context.get("glance"):
        o = context["glance"]["o"]
        rows = [[_("Visits"), o.visits.visits, o.previous_visits.visits]]
        for name, label in (("raised", _("Raised in the period")),
                            ("dispatched", _("Received in the period")),
                            ("resolved", _("Resolved in the period")), ("pending", _("Pending")),
                            ("supervised", _("Problems supervised")),
                            ("overdue_now", _("Overdue now"))):
            rows.append([label, getattr(o.current, name), getattr(o.previous, name)])
        for name, label in (("resolution_rate", _("Resolution rate")),
                            ("on_time_rate", _("On-time rate")),
                            ("satisfaction_rate", _("Satisfaction")),
                            ("reopen_rate", _("Reopen rate"))):
            rows.append([label, metrics.percent(getattr(o.current, name)),
                         metrics.percent(getattr(o.previous, name))])
        header = ([_("Figure"), _("This month so far"), _("Same days of last month")]
                  if o.running else [_("Figure"), _("This month"), _("Last month")])
        _sheet(wb, _("The period at a glance"), header, rows)
        _sheet(wb, _("Units"), unit_header, [_figure_rows(f) for f in context["glance"]["league"]])
    if "red_by_unit" in context:
        _sheet(wb, _("Overdue problems by unit"),
               [_("Lead unit"), _("Number"), _("Problem"), _("Enterprise"), _("Due"),
                _("Supervised")],
               [[unit.name if unit else "", i.number, i.title, e.name if e else "",
                 to_local(i.due_at).strftime("%Y-%m-%d") if i.due_at else "", i.supervise_count]
                for unit, items in context["red_by_unit"] for i, e in items])
    if "prev_decisions" in context:
        _sheet(wb, _("Progress of the last meeting’s decisions"),
               [_("Decision"), _("Responsible unit"), _("Due"), _("Progress")],
               [[d.text, d.unit.name, d.due_date.isoformat(),
                 str(context["issue_states"][d.issue.state]) if d.issue else ""]
                for d in context["prev_decisions"]])
    if "leaders" in context:
        _sheet(wb, _("Each leader’s enterprises"),
               [_("Leader"), _("Enterprise"), _("Role"), _("Visited"), _("Open problems"),
                _("Overdue")],
               [[s["leader"].display_name, r["name"], str(context["assignment_roles"][r["role"]]),
                 _("Yes") if r["visited"] else _("No"), r["open"], r["red"]]
                for s in context["leaders"] for r in s["rows"]])
    if "open_enterprises" in context:
        printed = {d["enterprise"].id for d in context["dossiers"]}
        _sheet(wb, _("Enterprises with open problems"),
               [_("Enterprise"), _("Credit code"), _("Open problems"), _("Overdue"),
                _("Most overdue due date"), _("On this meeting’s agenda"),
                _("Page in the printed appendix")],
               [[e.name, e.credit_code, e.open, e.red,
                 to_local(e.oldest_red_due).strftime("%Y-%m-%d") if e.oldest_red_due else "",
                 _("Yes") if e.on_agenda else _("No"), _("Yes") if e.id in printed else _("No")]
                for e in context["open_enterprises"]])
    if "units" in context:
        _sheet(wb, _("Units"), unit_header, [_figure_rows(f) for f in context["units"]])
    if "commissioners" in context:
        _sheet(wb, _("Commissioners"),
               [_("Commissioner"), _("Unit"), _("Visit coverage"), _("Visits"), _("Raised"),
                _("Resolved")],
               [[r["user"].display_name, r["user"].unit.name if r["user"].unit else "",
                 f"{r['coverage'].percent}%" if r["coverage"] and r["coverage"].percent is not None
                 else "", r["visits"], r["raised"], r["resolved"]]
                for r in context["commissioners"]])
    if "dossiers" in context and context.get("leader") is not None:
        _sheet(wb, _("Overview of the enterprises"),
               [_("Enterprise"), _("Last visit"), _("Open problems"), _("Overdue")],
               [[d["enterprise"].name,
                 d["visits"][0][0].visit_date.isoformat() if d["visits"] else "",
                 len(d["open_issues"]), d["red"]] for d in context["dossiers"]])
    if not wb.sheetnames:
        wb.create_sheet(_("Contents"))
    return xlsx.to_bytes(wb)
