"""Rules: sysconfig."""

from __future__ import annotations
