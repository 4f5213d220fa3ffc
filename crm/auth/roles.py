"""The roles of DESIGN.md §1. A user may hold several."""
from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Role(StrEnum):
    COMMISSIONER = "commissioner"
    LEADER = "leader"
    HANDLER = "handler"
    COORDINATOR = "coordinator"
    ADMIN = "admin"
    BANK = "bank"


ROLE_LABELS = {
    Role.COMMISSIONER: _l("Commissioner"),
    Role.LEADER: _l("City leader"),
    Role.HANDLER: _l("Unit handler"),
    Role.COORDINATOR: _l("Coordinator"),
    Role.ADMIN: _l("Administrator"),
    Role.BANK: _l("Bank account manager"),
}

# Where each role lands after sign-in, most specific first: a coordinator who is
# also an admin lands on the coordinator's overview.
HOME_ORDER = [Role.COORDINATOR, Role.LEADER, Role.COMMISSIONER, Role.HANDLER, Role.ADMIN,
              Role.BANK]

# A bank account manager sees only the financing needs pushed to his bank (DESIGN.md
# §1): a user whose only role is this one may use no page but those marked for it
# (``crm.auth.permissions.bank_page``) and the plumbing every user has.
ISOLATED_ROLES = {Role.BANK}

# Roles that see every record (DESIGN.md §1).
ALL_SEEING = {Role.COORDINATOR, Role.ADMIN}
