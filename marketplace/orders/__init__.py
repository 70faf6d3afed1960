"""Orders, per-producer parts, status rules, history and tracking."""
