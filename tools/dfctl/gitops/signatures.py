"""The signature policy: a merge commit must carry a valid SSH signature by a key approvals.yaml
lists, so that nobody with push rights can write ``Approved-by:`` trailers by hand.

Verification is git's own (``git verify-commit``) against an allowed-signers file written from
the policy of the parent revision; the machine's own git and GnuPG settings are not consulted.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import git

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


def signature_problem(repo: git.Repo, sha: str, policy: SignaturePolicy) -> str | None:
    """Why ``sha`` fails the policy, or None when git verifies its signature by a listed key."""
    with tempfile.TemporaryDirectory(prefix="dfctl-signers-") as folder:
        signers = Path(folder) / "allowed_signers"
        signers.write_text(allowed_signers(policy), encoding="utf-8")
        gnupg = Path(folder) / "gnupg"  # an empty keyring: OpenPGP signatures never verify
        gnupg.mkdir(mode=0o700)
        options = ("-c", f"gpg.ssh.allowedSignersFile={signers}", "-c", "gpg.ssh.revocationFile=")
        env = {**os.environ, "GNUPGHOME": str(gnupg)}
        try:
            repo.git.execute(["git", *options, "verify-commit", sha], env=env)
        except git.GitCommandError:
            status = repo.git.execute(
                ["git", *options, "log", "-1", "--format=%G?%x1f%GK", sha], env=env
            )
            code, _, key = str(status).partition("\x1f")
            reason = _STATUS.get(code.strip(), f"has a signature git does not accept ({code})")
            return f"{reason}{f' ({key.strip()})' if key.strip() else ''}"
    return None
