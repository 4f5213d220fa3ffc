"""Deterministic demo county (being written)."""
DEMO_PASSWORD = "crm-demo"
DEMO_SIGNINS = [("admin", "admin"), ("coordinator", "coordinator"), ("leader", "leader"),
                ("commissioner", "commissioner"), ("handler", "handler")]


def populate() -> dict:
    raise NotImplementedError
