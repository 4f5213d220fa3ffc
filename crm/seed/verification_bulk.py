"""The province's 回访 queue in bulk (issue 18): every rating of 1–2 the generator gave
enters the queue as ``Rate.after`` would have queued it (the bulk path plays the action
objects on rows, without their ``after``), due 18:00 on the second working day; the
calls older than a week are made (reached, not satisfied: the low rating already sent
the problem back). Codes need nothing here: ``Enterprise.channel_code`` is a per-row
default the bulk writer fills."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from crm.issues.deadlines import end_of_day, local_date
from crm.issues.followups import FollowUp
from crm.issues.models import Issue


def populate_followups(w, ctx) -> int:
    """Write the follow-ups of the low ratings (``w``: the BulkWriter, ``ctx``: the
    generator's clock with ``now`` and ``cal``); returns how many."""
    rows, week_ago = [], ctx.now - timedelta(days=7)
    stmt = (select(Issue.id, Issue.rating, Issue.rating_channel, Issue.rated_at)
            .where(Issue.rating <= 2, Issue.rated_at.is_not(None)).order_by(Issue.id))
    for n, (issue_id, rating, channel, rated_at) in enumerate(w.conn.execute(stmt), 1):
        due = end_of_day(ctx.cal.add(local_date(rated_at), 2))
        done = rated_at < week_ago
        rows.append({"id": n, "issue_id": issue_id, "source": "low_rating", "rating": rating,
                     "rating_channel": channel, "rated_at": rated_at, "created_at": rated_at,
                     "due_at": due, "is_redone": False,
                     "done_at": rated_at + timedelta(days=1) if done else None,
                     "is_reached": True if done else None,
                     "verdict": "dissatisfied" if done else None,
                     "is_contradiction": False if done else None})
    w.write(FollowUp.__table__, rows)
    w.fix_sequences([FollowUp.__table__])
    return len(rows)
