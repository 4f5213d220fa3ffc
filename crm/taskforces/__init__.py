"""专班: task forces, key projects and their milestones, the rhythm meetings, inspection
groups (督查组). Above ``meetings`` (its rhythm meetings are ``Meeting(kind=taskforce)``
and its packets go through the meeting packet pipeline), below ``dossier``."""
