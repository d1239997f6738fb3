"""Judge the commits on main against approvals.yaml.

Every first-parent commit must be a merge whose ``Approved-by:`` trailers satisfy the rules for
the files it changes (diffed against the first parent). The rules, the groups and the signing
keys are read from the parent revision, so a change cannot approve itself by editing
approvals.yaml. Nobody approves a change they authored. A ``Break-glass: <reason>`` trailer
replaces the path rules by the policy's break-glass requirement (two operations leads); such
commits may also pass change windows and are listed by ``dfctl audit`` for review afterwards.

Which rules apply to a file is the policy's own business (``ApprovalPolicy.needs_for``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from dfctl.adapters.git import GitRepository
from dfctl.diagnostics import Severity
from dfctl.errors import PolicyUnreadable
from dfctl.gitops import history
from dfctl.gitops.history import Commit, Person
from dfctl.gitops.signatures import signature_problem
from dfctl.load.repo import load_repo
from dfctl.model.approvals import ApprovalPolicy, Need, plural

POLICY_FILE = "approvals.yaml"


# --- reading the policy of a revision ----------------------------------------------------------


class _OneFile:
    def __init__(self, path: str, data: bytes) -> None:
        self.path = path
        self.data = data

    def data_paths(self) -> list[str]:
        return [self.path]

    def read(self, path: str) -> bytes:
        return self.data

    def content_id(self, path: str) -> str | None:
        return None


def parse_policy(data: bytes) -> ApprovalPolicy:
    """approvals.yaml through the repository's own loader; PolicyUnreadable with its first error."""
    loaded = load_repo(_OneFile(POLICY_FILE, data))
    errors = [d for d in loaded.diagnostics if d.severity is Severity.ERROR]
    policies = loaded.of(ApprovalPolicy)
    if errors or not policies:
        detail = str(errors[0]) if errors else "no policy"
        raise PolicyUnreadable(f"{POLICY_FILE} is invalid ({detail})")
    return policies[0]


class Policies:
    """approvals.yaml by revision, parsed once per distinct content."""

    def __init__(self, repo: GitRepository) -> None:
        self.repo = repo
        self._by_blob: dict[str, ApprovalPolicy | PolicyUnreadable] = {}

    def at(self, rev: str) -> ApprovalPolicy:
        found = self.repo.blob_at(rev, POLICY_FILE)
        if found is None:
            raise PolicyUnreadable(f"{POLICY_FILE} does not exist at {rev[:12]}")
        blob, data = found
        if blob not in self._by_blob:
            try:
                self._by_blob[blob] = parse_policy(data)
            except PolicyUnreadable as exc:
                self._by_blob[blob] = exc
        result = self._by_blob[blob]
        if isinstance(result, PolicyUnreadable):
            raise PolicyUnreadable(f"{result} at {rev[:12]}")
        return result


# --- judging one commit ------------------------------------------------------------------------


def _groups_of(policy: ApprovalPolicy, person: Person) -> set[str]:
    return {
        name
        for name, group in policy.groups.items()
        if any(m.email.lower() == person.key for m in group.members)
    }


@dataclass(frozen=True)
class Judgement:
    problems: tuple[str, ...]
    approvers: tuple[Person, ...]  # the approvals that count
    needs: tuple[Need, ...]


def judge(
    policy: ApprovalPolicy,
    policy_revision: str,
    changed: Sequence[str],
    approved_by: Sequence[str],
    authored: dict[str, str],
    break_glass: bool,
    merge_policy: ApprovalPolicy | None = None,
) -> Judgement:
    """Do the approvals satisfy ``policy`` for a change of ``changed``?

    ``authored`` maps the email (lower case) of everyone who wrote a commit of the change to one
    such commit. ``merge_policy`` is approvals.yaml as the change leaves it, only to explain why
    someone it adds to a group does not count.
    """
    problems: list[str] = []
    seen: set[str] = set()
    counted: list[Person] = []
    for raw in approved_by:
        person = history.parse_person(raw)
        if person is None:
            problems.append(f'{history.APPROVED_BY}: {raw!r} is not "Name <email>"')
            continue
        if person.key in seen:
            continue
        seen.add(person.key)
        if person.key in authored:
            problems.append(f"{person} approved a change they authored ({authored[person.key]})")
            continue
        if not _groups_of(policy, person):
            hint = ""
            if merge_policy is not None and _groups_of(merge_policy, person):
                hint = (
                    "; this change adds them to a group, but the rules are read from the parent "
                    "revision"
                )
            problems.append(
                f"{person} is in no group of {POLICY_FILE} at {policy_revision[:12]}{hint}"
            )
            continue
        counted.append(person)
    if not approved_by:
        problems.append(f"no {history.APPROVED_BY} trailer")
    if break_glass:
        rule = policy.break_glass
        members = [p for p in counted if rule.group in _groups_of(policy, p)]
        if len(members) < rule.count:
            names = ", ".join(map(str, members))
            problems.append(
                f"break-glass needs {plural(rule.count, 'approval')} from {rule.group}; "
                f"has {len(members)}{f': {names}' if names else ''}"
            )
        return Judgement(tuple(problems), tuple(counted), ())
    needs, uncovered = policy.needs_for(changed)
    for need in needs:
        if need.group not in policy.groups:
            problems.append(
                f"{POLICY_FILE} at {policy_revision[:12]} asks for group {need.group}, "
                "which it does not define"
            )
            continue
        members = [p for p in counted if need.group in _groups_of(policy, p)]
        if len(members) < need.count:
            names = ", ".join(map(str, members))
            problems.append(
                f"needs {need.describe()}; has {len(members)}{f': {names}' if names else ''}"
            )
    problems.extend(f"no rule of {POLICY_FILE} covers {path}" for path in uncovered)
    return Judgement(tuple(problems), tuple(counted), tuple(needs))


@dataclass(frozen=True)
class Verdict:
    """Whether a first-parent commit of main may be applied, and why not."""

    commit: Commit
    problems: tuple[str, ...]
    approvers: tuple[Person, ...] = ()
    needs: tuple[Need, ...] = ()
    authors: tuple[Person, ...] = ()
    changed: tuple[str, ...] = field(default=(), repr=False)

    @property
    def approved(self) -> bool:
        return not self.problems

    @property
    def break_glass(self) -> str | None:
        """The emergency's reason when the commit is a break-glass change."""
        return "; ".join(self.commit.break_glass) if self.commit.break_glass else None


DIRECT_COMMIT = (
    "direct commit on main: changes reach main only through merge requests "
    "(a merge commit with Approved-by trailers)"
)


def verify_commit(repo: GitRepository, commit: Commit, policies: Policies) -> Verdict:
    if commit.defects:
        return Verdict(commit, tuple(f"malformed commit: {d}" for d in commit.defects))
    if not commit.is_merge:
        return Verdict(commit, (DIRECT_COMMIT,))
    parent = commit.parents[0]
    try:
        policy = policies.at(parent)
    except PolicyUnreadable as exc:
        return Verdict(commit, (f"no rules to approve against: {exc}",))
    try:
        merge_policy: ApprovalPolicy | None = policies.at(commit.sha)
    except PolicyUnreadable:
        merge_policy = None
    authored: dict[str, str] = {}
    authors: dict[str, Person] = {}
    for brought in history.brought_in(repo, commit):
        people = [brought.author, *filter(None, map(history.parse_person, brought.co_authors))]
        for person in people:
            authored.setdefault(person.key, brought.short)
            authors.setdefault(person.key, person)
    changed = repo.changed_paths(parent, commit.sha)
    found = judge(
        policy,
        parent,
        changed,
        commit.approved_by,
        authored,
        bool(commit.break_glass),
        merge_policy,
    )
    problems = list(found.problems)
    if policy.signatures is not None:
        unsigned = signature_problem(repo, commit.sha, policy.signatures)
        if unsigned is not None:
            problems.append(
                f"merge commit {unsigned}; {POLICY_FILE} at {parent[:12]} requires merge commits "
                "signed by a key it lists"
            )
    return Verdict(
        commit,
        tuple(problems),
        found.approvers,
        found.needs,
        tuple(sorted(authors.values())),
        tuple(changed),
    )


def verify_range(repo: GitRepository, base: str | None, head: str) -> list[Verdict]:
    """A verdict for every first-parent commit after ``base`` up to ``head``, oldest first."""
    policies = Policies(repo)
    return [
        verify_commit(repo, c, policies) for c in history.first_parent_commits(repo, base, head)
    ]


def approved_prefix(verdicts: Sequence[Verdict]) -> tuple[list[Verdict], Verdict | None]:
    """The approved commits before the first refused one, and that refused one (or None)."""
    for index, verdict in enumerate(verdicts):
        if not verdict.approved:
            return list(verdicts[:index]), verdict
    return list(verdicts), None
