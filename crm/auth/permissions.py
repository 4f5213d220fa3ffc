"""Who may see what: the coarse gate for views, and the one shape of every package's
record-level rules.

Each domain package keeps its rules in its own ``permissions.py`` (``enterprises``,
``issues``, ``liaisons``, ``meetings``), always with the same three functions for its
main record:

``visibility(user)``
    The rule as a SQL condition on the package's model (``true()`` for those who see
    everything). Queries that join or count use it inside their own ``WHERE`` or
    ``EXISTS``.
``visible(query, user)``
    ``query`` (a ``select()`` of the model) narrowed to what ``user`` may see: lists,
    counts and exports start here.
``can_view(user, record)``
    The same rule for one record, for detail pages and downloads. It asks the
    database through ``visibility`` (``matches``), so a list and a detail page can
    never disagree; a rule that reads nothing but the record's own columns may decide
    in Python, next to its SQL twin.

Finer rules sit next to them in the same module and say what they allow
(``can_edit``, ``can_log``, ``can_raise_for``…). Views stay coarse: ``role_required``
for the route, then one of these for the record.
"""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from crm.extensions import db


def role_required(*roles: str):
    """Allow the view only to signed-in users holding one of ``roles`` (403 otherwise)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def matches(model, record, condition) -> bool:
    """True when ``record`` (a row of ``model``) meets the SQL ``condition``: the
    record-level answer of a ``visibility`` rule, decided by the same SQL as the lists."""
    return (
        db.session.scalar(
            db.select(db.func.count()).select_from(model).where(
                model.id == record.id, condition
            )
        )
        > 0
    )
