"""Signatures: who wrote a commit, proven by the key that signed it.

Two kinds of key are listed in approvals.yaml. **Signers** (``signatures.signers``, GitLab's
instance key) sign the merge commits on main: what a commit signed by one says (its
``Approved-by:`` trailers, its author) is that signer's statement, so nobody with push rights can
write approvals by hand. **Members' keys** (``public_key`` of a member) sign the commits a merge
request brings in: with a signature policy, the member whose key signed a commit is one of its
authors, whatever email the committer typed.

Verification is git's own (``git verify-commit``) against an allowed-signers file written from
the policy of the parent revision; the machine's own git and GnuPG settings are not consulted.
Each key's principal in that file is a name dfctl makes up (``signer-0``, ``member-3``), so no
text from approvals.yaml is parsed by ssh-keygen.
"""

from __future__ import annotations

from dataclasses import dataclass

from dfctl.adapters.git import GitRepository
from dfctl.gitops.history import Person
from dfctl.model.approvals import ApprovalPolicy, SignaturePolicy

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
    return "".join(
        f'signer-{i} namespaces="git" {s.public_key}\n' for i, s in enumerate(policy.signers)
    )


def _failure(status: str, key: str) -> str:
    reason = _STATUS.get(status, f"has a signature git does not accept ({status})")
    return f"{reason}{f' ({key})' if key else ''}"


def signature_problem(repo: GitRepository, sha: str, policy: SignaturePolicy) -> str | None:
    """Why ``sha`` fails the policy, or None when git verifies its signature by a listed key."""
    check = repo.verify_signature(sha, allowed_signers(policy))
    return None if check.valid else _failure(check.status, check.key)


@dataclass(frozen=True)
class Proof:
    """Who a commit's signature proves wrote it: a member (``member``), or a signer vouching for
    the author it recorded (``signer``); ``problem`` when neither."""

    member: Person | None = None
    signer: str | None = None
    problem: str | None = None


def prove_author(repo: GitRepository, sha: str, policy: ApprovalPolicy) -> Proof:
    """Whose key signed ``sha``: one of the members' keys, or a signer's key."""
    members: dict[str, Person] = {}
    seen: set[str] = set()
    lines = []
    for group in policy.groups.values():
        for member in group.members:
            if member.public_key is not None and member.email.lower() not in seen:
                seen.add(member.email.lower())
                principal = f"member-{len(members)}"
                members[principal] = Person(member.name, member.email)
                lines.append(f'{principal} namespaces="git" {member.public_key}\n')
    signers = policy.signatures.signers if policy.signatures else []
    for index, signer in enumerate(signers):
        lines.append(f'signer-{index} namespaces="git" {signer.public_key}\n')
    check = repo.verify_signature(sha, "".join(lines))
    if not check.valid:
        return Proof(problem=_failure(check.status, check.key))
    if check.principal in members:
        return Proof(member=members[check.principal])
    by_principal = {f"signer-{i}": s.name for i, s in enumerate(signers)}
    if check.principal in by_principal:
        return Proof(signer=by_principal[check.principal])
    return Proof(problem=f"is signed by a key git names {check.principal!r}")
