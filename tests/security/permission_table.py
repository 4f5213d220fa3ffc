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
ROLES = ("commissioner", "leader", "handler", "coordinator", "admin", "bank")
ALL_SEEING = {"coordinator", "admin"}
REGISTRY = {"coordinator", "admin"}
READERS = {"coordinator", "admin", "leader", "commissioner"}
# Roles that see nothing of the product but their own pages (crm/auth/isolation.py): a
# route open to "any signed-in user" is closed to them unless it is plumbing (main.*,
# auth.*) — the bank's account manager has no enterprise list, no problems, no visits.
ISOLATED = {"bank"}

# Kinds of record each role has its "own" example of (the others it cannot see).
OWN = {
    "commissioner": {"enterprise", "visit", "issue"},
    "leader": {"enterprise", "visit", "issue", "briefing"},
    "handler": {"enterprise", "issue"},
    "coordinator": {"enterprise", "visit", "issue", "briefing", "meeting"},
    "admin": {"enterprise", "visit", "issue", "briefing", "meeting"},
    "bank": {"response", "bank"},
}
OWN["commissioner"] |= {"need"}
# 专班 (issue 16): the matrix's user is a member of the own task force and its inspection
# group (a leader also leads it; a handler's unit has its milestone).
for _role in ("commissioner", "leader", "handler", "coordinator", "admin"):
    OWN[_role] |= {"taskforce"}
OWN["leader"] |= {"need"}

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
    "admin.unit_webhook": ({"admin"}, None),
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
    "liaisons.shared_visits": ({"coordinator"}, None),
    "liaisons.set_cap": ({"coordinator"}, "enterprise"),
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
    "meetings.league": ({"coordinator"}, None),  # the overview league, every unit
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
    "meetings.attendance": ({"coordinator"}, None),
    "meetings.analysis": ({"coordinator"}, None),
    "meetings.minutes_word": ({"coordinator", "leader"}, None),
    "briefings.minutes_for_meeting": ({"coordinator"}, None),
    "briefings.for_meeting": ({"coordinator"}, None),
    # A coordinator asks for a named leader's portfolio (leader_id); without one they
    # are sent back with a message (tests/security/test_portfolio_request.py).
    "briefings.for_portfolio": ({"leader", "coordinator"}, None),
    "briefings.detail": ({"coordinator", "admin", "leader"}, "briefing"),
    "briefings.download": ({"coordinator", "admin", "leader"}, "briefing"),
    "briefings.tables": ({"coordinator", "admin", "leader"}, "briefing"),
    "briefings.retry": ({"coordinator", "leader"}, "briefing"),
    "briefings.make_final": ({"coordinator"}, None),
    # 政银企 financing (issue 17). Commissioners and leaders reach financing.new only with
    # an enterprise of theirs (tests/financing/test_pages.py); bare, it is the coordinator's.
    "financing.index": ({"coordinator", "admin"}, None),
    "financing.new": ({"coordinator"}, None),
    "financing.detail": (READERS, "need"),
    "financing.edit": ({"coordinator"}, "need"),
    "financing.push": ({"coordinator"}, "need"),
    "financing.close": ({"coordinator"}, "need"),
    "financing.export_list": ({"coordinator", "admin", "bank"}, "bank"),
    "financing.queue": ({"bank"}, None),
    "financing.response": ({"bank"}, "response"),
    # 停减产 support: the list is the coordinator's; the card, like raising a need, is for
    # coordinators and the enterprise's own commissioner or leader.
    "financing.support_list": ({"coordinator", "admin"}, None),
    "financing.support_card": ({"coordinator", "commissioner", "leader"}, "enterprise_raise"),
    "financing.support_resume": ({"coordinator"}, None),
    # 政银企座谈会 (matchmaking sessions) and their one-page list (packet kind "matching").
    "financing.sessions": ({"coordinator", "admin"}, None),
    "financing.session_form": ({"coordinator"}, None),
    "financing.session": ({"coordinator", "admin"}, None),
    "financing.session_invite": ({"coordinator"}, None),
    "financing.session_outcome": ({"coordinator"}, None),
    "meetings.matching_packet": ({"coordinator"}, None),
    # 专班 (issue 16): task forces, key projects and milestones, rhythm meetings,
    # inspection groups. Scope "taskforce": the task force (or group) of the URL's record.
    "taskforces.index": (ANY, None),
    "taskforces.projects": (ANY, None),
    "taskforces.groups": (ANY, None),
    "taskforces.new": ({"coordinator"}, None),
    "taskforces.group_new": ({"coordinator"}, None),
    "taskforces.template": ({"admin"}, None),
    "taskforces.unit_milestones": ({"handler", "coordinator"}, None),
    "taskforces.detail": (ANY, "taskforce"),
    "taskforces.sheet": (ANY, "taskforce"),
    "taskforces.project": (ANY, "taskforce"),
    "taskforces.meeting": (ANY, "taskforce"),
    "taskforces.group": (ANY, "taskforce"),
    "taskforces.edit": ({"coordinator"}, "taskforce"),
    "taskforces.project_new": ({"coordinator"}, "taskforce"),
    "taskforces.project_edit": ({"coordinator"}, "taskforce"),
    "taskforces.milestone_add": ({"coordinator"}, "taskforce"),
    "taskforces.milestone_edit": ({"coordinator"}, "taskforce"),
    "taskforces.milestone_reopen": ({"coordinator"}, "taskforce"),
    "taskforces.milestone_problem": ({"coordinator"}, "taskforce"),
    "taskforces.decision_add": ({"coordinator"}, "taskforce"),
    "taskforces.meeting_held": ({"coordinator"}, "taskforce"),
    "taskforces.inspection_add": ({"coordinator"}, "taskforce"),
    "taskforces.group_report": ({"coordinator"}, "taskforce"),
    # can_mark_done: coordinators, and handlers of the milestone's unit.
    "taskforces.milestone_done": ({"coordinator", "handler"}, "taskforce"),
    # can_instruct: the task force's leader or deputy, and coordinators.
    "taskforces.milestone_instruct": ({"leader", "coordinator"}, "taskforce"),
    # 企业码 (issue 18): the enterprise's own pages behind its code, and keeping the code.
    "channel.page": (PUBLIC, None),
    "channel.raise_problem": (PUBLIC, None),
    "channel.manage": (ANY, "enterprise"),
    "channel.card": (ANY, "enterprise"),
    "channel.rotate": ({"coordinator"}, "enterprise"),
    "channel.photo": (ANY, None),  # then the problem's own visibility (404)
    "channel.rate": (PUBLIC, None),  # the code's own resolved problems only
    # 回访, 申诉, 类案 (issue 18)
    "issues.followups_queue": ({"coordinator"}, None),
    "issues.followup_call": ({"coordinator"}, None),
    "issues.followup_settings": ({"admin"}, None),
    "issues.appeals": ({"coordinator"}, None),
    "issues.appeal_decide": ({"coordinator"}, None),
    # Files of an appeal's evidence: coordinators and the appealing unit's handlers (then
    # the appeal's own rule, 404: tests/issues/test_appeal_files.py).
    "issues.appeal_file": ({"coordinator", "handler"}, None),
    # Only the lead unit's handler, within 3 working days of a rating: the matrix's
    # problems are not rated, so every role is refused (tests/issues/test_appeals.py).
    "issues.appeal_new": ({"handler"}, "issue"),
    "issues.case_groups": ({"coordinator"}, None),
    "issues.case_group": ({"coordinator"}, None),
    "issues.case_group_update": ({"coordinator"}, None),
    "issues.case_group_members": ({"coordinator"}, None),
    # 考核 and 周通报 (issue 18)
    "meetings.scorecards_page": ({"coordinator", "leader", "admin"}, None),
    "meetings.scorecard_settings": ({"admin"}, None),
    "meetings.bulletins": ({"coordinator", "leader"}, None),
    "meetings.bulletin_remarks": ({"coordinator"}, None),
    "meetings.bulletin_make": ({"coordinator"}, None),
}

# Public pages opened with a token or code: any answer but a 5xx is right (the matrix's
# token and code are not real ones, so they answer 404 or 410).
PUBLIC_ANY_ANSWER = {"auth.login", "rating.rate", "main.set_language", "channel.page",
                     "channel.raise_problem", "channel.rate"}

# Scopes that boil down to "the role sees this kind of record" plus a finer rule.
SCOPE_KIND = {
    "enterprise": "enterprise", "visit": "visit", "issue": "issue", "briefing": "briefing",
    "enterprise_assignee": "enterprise", "visit_author": "visit",
    "enterprise_raise": "enterprise",
    "need": "need", "response": "response", "bank": "bank",
    "taskforce": "taskforce",
}


# Signed-in answers that are the same for every role.
FIXED = {
    "main.no_role": "deny",   # the page for a user without a role is itself a 403
    "auth.logout": "login",   # signing out lands on the sign-in page
    # The matrix's problems have no cooperating unit, so nobody may send a 协办意见 on
    # them (tests/issues/test_cooperation.py covers the cooperating handler).
    "issues.coop_reply": "deny",
    "issues.appeal_new": "deny",
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
    if role in ISOLATED and roles == ANY and endpoint.partition(".")[0] not in ("main", "auth"):
        return "deny"
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
