"""Enterprise registry, 包联 assignments and the leader portfolio."""
