"""The financing part of the permission matrix's small world (tests/security)."""
from __future__ import annotations

from datetime import date

from crm.financing import matching, services
from tests import factories
from tests.financing.helpers import need


def financing_world(e_own, e_other, bank_own, bank_other) -> tuple[dict, dict]:
    """A need of the own enterprise pushed to the own bank, one of the other enterprise
    pushed to the other bank; URL values for own and other."""
    coordinator = factories.user(roles=["coordinator"])
    n_own, n_other = need(e_own, coordinator), need(e_other, coordinator)
    [r_own] = services.push_need(n_own, [bank_own], coordinator)
    [r_other] = services.push_need(n_other, [bank_other], coordinator)
    session = matching.save_session(None, {"title": "政银企座谈会", "held_on": date(2026, 12, 1)},
                                    [bank_own, bank_other], coordinator)
    matching.invite(session, [n_own, n_other], coordinator)
    return ({"need_id": n_own.id, "response_id": r_own.id, "bank_id": bank_own.id,
             "session_id": session.id},
            {"need_id": n_other.id, "response_id": r_other.id, "bank_id": bank_other.id,
             "session_id": session.id})
