"""Reconciling live systems with the desired state: plans, targets, apply, drift."""
