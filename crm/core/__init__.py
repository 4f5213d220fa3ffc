"""Cross-cutting pieces: time helpers, audit log, notifications, settings."""
