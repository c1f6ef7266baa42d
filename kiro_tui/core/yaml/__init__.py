"""YAML reading and writing: round-trip (ruamel) for writes, a fast loader for display, focused edits of one task."""
