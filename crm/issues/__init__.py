"""Enterprises' problems (诉求): dispatch, deadlines, workflow, rating."""
