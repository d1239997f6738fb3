"""Rules: cloud."""

from __future__ import annotations
