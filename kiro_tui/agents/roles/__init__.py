"""The five agent roles: each module a pure `decide(snapshot, now, memory) -> list[Action]`."""
