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
from crm.financing.models import (  # noqa: F401
    BankResponse,
    FinancingEvent,
    FinancingNeed,
    MatchInvite,
    MatchOutcome,
    MatchSession,
    SupportCase,
)
from crm.liaisons.models import (  # noqa: F401
    Policy,
    Visit,
    VisitFactor,
    VisitPhoto,
    VisitPolicy,
)
from crm.meetings.models import AgendaItem, Briefing, Decision, Meeting, TypicalCase  # noqa: F401
from crm.taskforces.models import (  # noqa: F401
    Finding,
    Inspection,
    InspectionGroup,
    InspectionScope,
    Milestone,
    MilestoneKind,
    MilestoneNote,
    Project,
    RhythmMeeting,
    TaskForce,
)
from crm.channel.models import (  # noqa: F401,E402
    ChannelPhoto,
    ChannelSubmission,
    CodeRating,
    RetiredCode,
)
from crm.issues.appeals import Appeal, AppealFile  # noqa: F401,E402
from crm.issues.case_groups import CaseGroup, CaseGroupMember, CaseGroupUpdate  # noqa: F401,E402
from crm.issues.followups import FollowUp  # noqa: F401,E402
from crm.meetings.bulletin import BulletinNote  # noqa: F401,E402
