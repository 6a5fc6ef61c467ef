"""Commands: keys (placeholder until its module lands)."""
