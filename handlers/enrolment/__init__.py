"""Becoming and being a participant: the application, invitations, linked accounts, roles, one's own data."""
