"""The GitOps gate: what may reach an environment, proven from git history and applied records.

One module per job: ``history`` reads commits, ``approvals`` judges them against approvals.yaml,
``signatures`` verifies merge-commit signatures, ``windows`` and ``promotion`` decide whether an
environment may change now, ``mirror`` fetches the repository, ``lease`` elects one reconciler per
environment, ``evidence`` records what was applied, ``metrics`` exposes it, and ``loop`` runs it.
"""
