"""The 推荐清单 of a bank as .xlsx, through the one spreadsheet writer."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from crm.core import xlsx
from crm.core.timeutil import to_local
from crm.financing import queries
from crm.financing.models import OFFERS, PURPOSES, RESPONSE_STATES, URGENCIES


def recommendation_list(bank, user, today: date) -> bytes:
    """Every need pushed to ``bank`` that ``user`` may see: the enterprise, what it
    asks and offers, its tax credit, the bank's answer so far."""
    book = xlsx.new_book()
    headers = [_("Pushed on"), _("Enterprise"), _("Unified social credit code"), _("Town"),
               _("Amount (万元)"), _("Purpose"), _("Term (months)"), _("Urgency"),
               _("What it can offer"), _("Tax credit grade"), _("Tax paid last year (万元)"),
               _("Credit loan candidate"), _("State"), _("Granted (万元)"), _("Rate (%)"),
               _("Disbursed (万元)"), _("Disbursed on")]
    sheet = xlsx.add_sheet(book, _("Recommendation list"), headers,
                           (12, 30, 22, 12, 10, 12, 8, 8, 24, 8, 10, 8, 14, 10, 8, 10, 12))
    for resp, need, enterprise in queries.recommendation_rows(bank, user):
        xlsx.append(sheet, [
            to_local(resp.pushed_at).date(), enterprise.name, enterprise.credit_code,
            enterprise.town.name if enterprise.town else "", float(need.amount),
            str(PURPOSES[need.purpose]), need.term_months, str(URGENCIES[need.urgency]),
            "、".join(str(OFFERS[c]) for c in need.offer_codes), need.tax_grade or "",
            float(need.tax_paid) if need.tax_paid is not None else None,
            _("Yes") if need.credit_loan_flag else "", str(RESPONSE_STATES[resp.state]),
            float(resp.granted_amount) if resp.granted_amount is not None else None,
            float(resp.rate) if resp.rate is not None else None,
            float(resp.disbursed_amount) if resp.disbursed_amount is not None else None,
            resp.disbursed_on])
    return xlsx.to_bytes(book)
