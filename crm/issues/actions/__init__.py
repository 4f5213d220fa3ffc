"""The workflow's actions, one object each (STYLE.md §15): ``ACTIONS`` in the order the
problem page offers them. ``crm.issues.workflow`` builds the transition table from them
and is the only code that runs them on a problem. Adding an action is adding its class
to one of these modules and its instance here.

This package never imports ``crm.issues.workflow``.
"""
from __future__ import annotations

from crm.issues.actions.base import Outcome, WorkflowAction
from crm.issues.actions.closing import RATING_LABELS, Close, Rate, Reopen, rating_label
from crm.issues.actions.dispatch import Dispatch, Redispatch, redispatch_due_day
from crm.issues.actions.followup import Redo
from crm.issues.actions.handling import (
    GrantExtension,
    Pause,
    Progress,
    RefuseExtension,
    RequestExtension,
    Resolve,
    Resume,
    Return,
    Sign,
)
from crm.issues.actions.oversight import Comment, Escalate, Instruct, Supervise

ACTIONS: tuple[WorkflowAction, ...] = (
    Dispatch(), Sign(), Return(), Redispatch(), Progress(), RequestExtension(),
    GrantExtension(), RefuseExtension(), Pause(), Resume(), Resolve(), Rate(), Reopen(),
    Redo(), Close(), Instruct(), Supervise(), Escalate(), Comment(),
)
BY_NAME: dict[str, WorkflowAction] = {a.name: a for a in ACTIONS}

__all__ = ["ACTIONS", "BY_NAME", "RATING_LABELS", "Outcome", "WorkflowAction", "rating_label",
           "redispatch_due_day"]
