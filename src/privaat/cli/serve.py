"""Commands: serve, demo, db upgrade (placeholder until its module lands)."""
