"""The problem workflow's refusals, in a module of their own so that the workflow, its
action objects, the cooperating units' replies, the services and the views can all
raise and catch them without importing each other."""
from __future__ import annotations


class WorkflowError(Exception):
    """A refused action, with a message for the person."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


class NotAllowed(WorkflowError):
    """The action is not possible in this state, for this person, or on this record."""


class InvalidInput(WorkflowError):
    """The data given with the action is incomplete or wrong (``field`` names it)."""


class ConflictError(WorkflowError):
    """Someone else changed the problem since the person loaded it."""
