"""包联 assignments, weekly visits and the policy catalogue."""
