"""Commands: policy_diff (placeholder until its module lands)."""
