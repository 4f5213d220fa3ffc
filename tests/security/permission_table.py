"""The expected answer of every route for every role, own record and other record.

Derived from DESIGN.md §1 and the record-level rules in each package's permissions.py:

* ``roles``: who may use the route at all (``PUBLIC``: anyone, signed in or not;
  ``ANY``: any signed-in user); everybody else gets 403 (or 404 where the record itself
  is hidden first), and an anonymous visitor is sent to the sign-in page.
* ``scope``: the record in the URL. For a role that does not see everything, the
  "other" record (another town's enterprise, another commissioner's visit, a problem of
  another unit, another leader's packet) must answer 403/404; the "own" record is
  allowed when ``OWN`` says the role has one of that kind.

Where the record rule is finer than "can see it", ``writers`` narrows who may write.
"""
from __future__ import annotations

PUBLIC = "public"
ANY = "any"
ROLES = ("commissioner", "leader", "handler", "coordinator", "admin")
ALL_SEEING = {"coordinator", "admin"}
REGISTRY = {"coordinator", "admin"}
READERS = {"coordinator", "admin", "leader", "commissioner"}

# Kinds of record each role has its "own" example of (the others it cannot see).
OWN = {
    "commissioner": {"enterprise", "visit", "issue"},
    "leader": {"enterprise", "visit", "issue", "briefing"},
    "handler": {"enterprise", "issue"},
    "coordinator": {"enterprise", "visit", "issue", "briefing", "meeting"},
    "admin": {"enterprise", "visit", "issue", "briefing", "meeting"},
}

# endpoint: (roles, scope)
TABLE: dict[str, tuple] = {
    "static": (PUBLIC, None),
    "main.healthz": (PUBLIC, None),
    "main.index": (ANY, None),
    "main.set_language": (PUBLIC, None),
    "auth.login": (PUBLIC, None),
    "rating.rate": (PUBLIC, None),
    "auth.logout": (ANY, None),
    "main.no_role": (ANY, None),
    "main.notifications": (ANY, None),
    "main.notification_open": (ANY, "notification"),
    "main.notifications_read": (ANY, None),
    # administration
    "admin.users": ({"admin"}, None),
    "admin.user_new": ({"admin"}, None),
    "admin.user_edit": ({"admin"}, None),
    "admin.user_password": ({"admin"}, None),
    "admin.units": ({"admin"}, None),
    "admin.unit_form": ({"admin"}, None),
    "issues.categories": ({"admin"}, None),
    "issues.category_form": ({"admin"}, None),
    "issues.rules": ({"admin"}, None),
    "issues.rule_form": ({"admin"}, None),
    "issues.rule_delete": ({"admin"}, None),
    "issues.calendar": ({"admin"}, None),
    "issues.calendar_delete": ({"admin"}, None),
    "issues.calendar_notice": ({"admin"}, None),
    "issues.calendar_withdraw": ({"admin"}, None),
    "admin.audit": ({"admin"}, None),
    # registry
    "enterprises.index": (ANY, None),
    "enterprises.export": (ANY, None),
    "enterprises.people_lookup": (ANY, None),
    "enterprises.detail": (ANY, "enterprise"),
    "enterprises.qr": (ANY, "enterprise"),
    "enterprises.portfolio": ({"leader"}, None),
    "enterprises.create": (REGISTRY, None),
    "enterprises.edit": (REGISTRY, "enterprise"),
    "enterprises.delete": (REGISTRY, "enterprise"),
    "enterprises.contact_form": (REGISTRY, "enterprise"),
    "enterprises.contact_delete": (REGISTRY, "enterprise"),
    "enterprises.assign": (REGISTRY, "enterprise"),
    "enterprises.end_assignment": (REGISTRY, None),
    "enterprises.bulk_assign": (REGISTRY, None),
    "enterprises.away": ({"coordinator", "admin", "leader"}, "leader_self"),
    "enterprises.away_cancel": (REGISTRY | {"leader"}, "leader_self"),
    "enterprises.import_template": (REGISTRY, None),
    "enterprises.import_upload": (REGISTRY, None),
    "enterprises.import_preview": (REGISTRY, None),
    "enterprises.import_confirm": (REGISTRY, None),
    "enterprises.import_discard": (REGISTRY, None),
    # visits and policies
    "liaisons.my_week": ({"commissioner"}, None),
    # permissions.can_log: assigned commissioners and leaders; coordinators on paper's behalf.
    "liaisons.new_visit": ({"commissioner", "leader", "coordinator"}, "enterprise_assignee"),
    "liaisons.edit": ({"commissioner", "coordinator"}, "visit_author"),
    "liaisons.detail": (ANY, "visit"),
    "liaisons.photo": (ANY, "visit"),
    "liaisons.index": (READERS, None),
    "liaisons.export": (READERS, None),
    "liaisons.enterprise_visits": (ANY, "enterprise"),
    "liaisons.coverage_page": ({"coordinator", "admin", "leader"}, None),
    "liaisons.policies": (READERS, None),
    "liaisons.policy_detail": (READERS, None),
    "liaisons.policy_new": ({"coordinator"}, None),
    "liaisons.policy_edit": ({"coordinator"}, None),
    # problems
    "issues.index": (ANY, None),
    "issues.export": (ANY, None),
    "issues.detail": (ANY, "issue"),
    "issues.transition": (ANY, "issue_sign"),
    # 协办意见: only a handler of a cooperating unit of a problem it can see (403 otherwise).
    "issues.coop_reply": (ANY, "issue"),
    # can_raise_for: coordinators for any enterprise, commissioners for their own.
    "issues.new": ({"commissioner", "coordinator"}, "enterprise_raise"),
    "issues.rating_link": (ANY, "issue"),
    "issues.rating_link_new": (ANY, "issue_resolved"),
    "issues.inbox": ({"handler"}, None),
    "issues.triage": ({"coordinator"}, None),
    "issues.bulk_dispatch": ({"coordinator"}, None),
    "issues.leader": ({"leader"}, None),
    # meetings and packets
    "meetings.index": ({"coordinator", "leader"}, None),
    "meetings.overview": ({"coordinator"}, None),
    "meetings.definitions": (ANY, None),  # 指标说明: how every figure is counted
    "meetings.new": ({"coordinator"}, None),
    "meetings.detail": ({"coordinator", "leader"}, None),
    "meetings.agenda_add": ({"coordinator", "leader"}, None),
    "meetings.edit": ({"coordinator"}, None),
    "meetings.agenda_build": ({"coordinator"}, None),
    "meetings.agenda_item": ({"coordinator"}, None),
    "meetings.minutes": ({"coordinator"}, None),
    "meetings.case_add": ({"coordinator"}, None),
    "meetings.advance": ({"coordinator"}, None),
    "meetings.decision_add": ({"coordinator"}, None),
    "briefings.for_meeting": ({"coordinator"}, None),
    # A coordinator asks for a named leader's portfolio (leader_id); without one they
    # are sent back with a message (tests/security/test_portfolio_request.py).
    "briefings.for_portfolio": ({"leader", "coordinator"}, None),
    "briefings.detail": ({"coordinator", "admin", "leader"}, "briefing"),
    "briefings.download": ({"coordinator", "admin", "leader"}, "briefing"),
    "briefings.tables": ({"coordinator", "admin", "leader"}, "briefing"),
    "briefings.retry": ({"coordinator", "leader"}, "briefing"),
    "briefings.make_final": ({"coordinator"}, None),
}

# Scopes that boil down to "the role sees this kind of record" plus a finer rule.
SCOPE_KIND = {
    "enterprise": "enterprise", "visit": "visit", "issue": "issue", "briefing": "briefing",
    "enterprise_assignee": "enterprise", "visit_author": "visit",
    "enterprise_raise": "enterprise",
}


# Signed-in answers that are the same for every role.
FIXED = {
    "main.no_role": "deny",   # the page for a user without a role is itself a 403
    "auth.logout": "login",   # signing out lands on the sign-in page
    # The matrix's problems have no cooperating unit, so nobody may send a 协办意见 on
    # them (tests/issues/test_cooperation.py covers the cooperating handler).
    "issues.coop_reply": "deny",
}
# Who may ``sign`` the own problem (dispatched to the handler's unit): the handler only.
SIGNERS = {"handler"}


def expected(endpoint: str, role: str | None, which: str) -> str:
    """``"ok"``, ``"deny"`` or ``"login"`` for ``role`` (None: anonymous) on the ``which``
    ("own" or "other") record of ``endpoint``."""
    roles, scope = TABLE[endpoint]
    if roles == PUBLIC:
        return "ok"
    if role is None:
        return "login"
    if roles != ANY and role not in roles:
        return "deny"
    if endpoint in FIXED:
        return FIXED[endpoint]
    if scope == "issue_sign":
        # Visibility first (others' problems are hidden), then the workflow table.
        return "ok" if which == "own" and role in SIGNERS else "deny"
    if scope == "issue_resolved":
        return "deny"   # a rating link only for a resolved problem: the matrix's is open
    if scope is None or scope == "notification":
        return "ok" if (scope is None or which == "own") else "deny"
    if scope == "leader_self":
        return "ok" if (role in ALL_SEEING or which == "own") else "deny"
    kind = SCOPE_KIND[scope]
    if role in ALL_SEEING and role in (roles if roles != ANY else {role}):
        return "ok"
    if which == "other":
        return "deny"
    return "ok" if kind in OWN[role] else "deny"
