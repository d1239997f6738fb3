"""Rules: access."""

from __future__ import annotations
