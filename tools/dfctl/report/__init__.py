"""Output formats for diagnostics, chosen by name."""
