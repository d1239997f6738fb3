"""Rules: evolution."""

from __future__ import annotations
