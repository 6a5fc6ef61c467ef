"""Commands: policy_render (placeholder until its module lands)."""
