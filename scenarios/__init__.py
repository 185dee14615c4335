"""The internship as data: programme models, the loader, and the stage engine."""
