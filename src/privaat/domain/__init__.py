"""Pure decisions: the guard, consent state, deadlines, retention arithmetic. No I/O."""
