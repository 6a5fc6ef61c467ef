"""Commands: policy_check (placeholder until its module lands)."""
