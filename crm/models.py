"""Import every model so that Alembic and ``db.create_all`` see the whole schema."""
from crm.auth.models import Unit, User, UserRole  # noqa: F401
from crm.core.models import AuditLog, Counter, Notification, Setting  # noqa: F401
from crm.enterprises.models import (  # noqa: F401
    Assignment,
    Contact,
    Enterprise,
    ImportBatch,
    LeaderAbsence,
)
from crm.issues.models import (  # noqa: F401
    Category,
    DeadlineRule,
    HolidayArrangement,
    Issue,
    IssueEvent,
    IssueUnit,
    RatingToken,
    WorkdayOverride,
)
from crm.liaisons.models import (  # noqa: F401
    Policy,
    Visit,
    VisitFactor,
    VisitPhoto,
    VisitPolicy,
)
from crm.meetings.models import AgendaItem, Briefing, Decision, Meeting, TypicalCase  # noqa: F401
