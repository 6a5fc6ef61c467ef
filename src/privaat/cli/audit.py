"""Commands: audit (placeholder until its module lands)."""
