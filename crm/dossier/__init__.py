"""Pages that compose everything known about enterprises — the list with its problem
and visit facts, the enterprise page, a leader's portfolio — above the registry, the
problems, the visits and the policy catalogue they draw on."""
