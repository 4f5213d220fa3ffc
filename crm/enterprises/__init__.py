"""The enterprise registry: profiles, contacts, import and export."""
