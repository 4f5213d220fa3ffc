"""Users, units, roles, sign-in and the permission helpers."""
