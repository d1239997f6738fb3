"""Rules: releases."""

from __future__ import annotations
