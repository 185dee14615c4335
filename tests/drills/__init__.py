"""Helpers for the fault drills: real processes that are killed and restarted."""
