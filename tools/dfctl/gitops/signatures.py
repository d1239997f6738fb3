"""The signature policy: a merge commit must carry a valid SSH signature by a key approvals.yaml
lists, so that nobody with push rights can write ``Approved-by:`` trailers by hand.

Verification is git's own (``git verify-commit``) against an allowed-signers file written from
the policy of the parent revision; the machine's own git and GnuPG settings are not consulted.
"""

from __future__ import annotations

from dfctl.adapters.git import GitRepository
from dfctl.model.approvals import SignaturePolicy

# what `%G?` says, for the message when verification fails
_STATUS = {
    "N": "is not signed",
    "B": "has a bad signature (the commit was altered after it was signed)",
    "U": "is signed by a key approvals.yaml does not list",
    "E": "is signed by a key approvals.yaml does not list",
    "X": "has an expired signature",
    "Y": "is signed by an expired key",
    "R": "is signed by a revoked key",
}


def allowed_signers(policy: SignaturePolicy) -> str:
    """The policy's keys in ssh-keygen's ALLOWED SIGNERS format."""
    return "".join(f'{s.email} namespaces="git" {s.public_key}\n' for s in policy.signers)


def signature_problem(repo: GitRepository, sha: str, policy: SignaturePolicy) -> str | None:
    """Why ``sha`` fails the policy, or None when git verifies its signature by a listed key."""
    check = repo.verify_signature(sha, allowed_signers(policy))
    if check.valid:
        return None
    reason = _STATUS.get(check.status, f"has a signature git does not accept ({check.status})")
    return f"{reason}{f' ({check.key})' if check.key else ''}"
