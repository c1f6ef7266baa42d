"""Agent runs: presets (data), prompt composition, process supervision, stream parsers per
dialect, run records, verification, trust and budgets. No textual, no rich."""
