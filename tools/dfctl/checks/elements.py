"""Rules: elements."""

from __future__ import annotations
