"""Rules: control_rules."""

from __future__ import annotations
