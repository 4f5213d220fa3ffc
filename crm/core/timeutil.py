"""Time helpers. The database stores naive UTC; people see Asia/Shanghai."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """The current time as naive UTC, the form every ``*_at`` column stores."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def to_local(value: datetime) -> datetime:
    """Convert a stored naive-UTC datetime to an aware Asia/Shanghai one."""
    return value.replace(tzinfo=timezone.utc).astimezone(LOCAL_TZ)


def to_utc(value: datetime) -> datetime:
    """Convert a local wall-clock time (naive Asia/Shanghai, as a form sends it, or an
    aware datetime) to the naive UTC that ``*_at`` columns store."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def local_today() -> date:
    """Today's date in Asia/Shanghai (a visit logged at 07:30 local is 'today')."""
    return datetime.now(LOCAL_TZ).date()


def local_midnight_utc(day: date) -> datetime:
    """The naive-UTC instant at which ``day`` begins in Asia/Shanghai."""
    aware = datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ)
    return aware.astimezone(timezone.utc).replace(tzinfo=None)


def week_start(day: date) -> date:
    """Monday of the ISO week that contains ``day``."""
    return day - timedelta(days=day.weekday())
