"""Judge the commits on main against approvals.yaml.

Every first-parent commit must be a merge whose ``Approved-by:`` trailers satisfy the rules for
what it changes: the path rules for its files (diffed against the first parent, plus whatever the
merge commit changes itself), and the content rules for what it does to the environments (the
review diff of both revisions, ``content``). The rules, the groups and the keys are read from the
parent revision, so a change cannot approve itself by editing approvals.yaml; a change to
approvals.yaml that weakens a group's requirement also needs that group's approval. Nobody
approves a change they authored: the authors of the merge request's commits, and the merger of a
merge commit that changes something itself. A ``Break-glass: <reason>`` trailer replaces the
rules by the policy's break-glass requirement (two operations leads), but may not change
approvals.yaml or any change window or freeze. A ``Supersedes: <commit>`` trailer names refused
commits this merge replaces: it is then judged over everything since the first of them, with the
rules from before it.

Which rules apply is the policy's own business (``ApprovalPolicy.needs_for``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from dfctl.adapters.git import GitRepository
from dfctl.diagnostics import Severity
from dfctl.errors import GitError, PolicyUnreadable
from dfctl.gitops import history
from dfctl.gitops.content import ContentChange, Contents
from dfctl.gitops.history import Commit, Person
from dfctl.gitops.signatures import prove_author, signature_problem
from dfctl.load.repo import load_repo
from dfctl.model import DATA_ROOTS
from dfctl.model.approvals import (
    ApprovalPolicy,
    Need,
    NeedsBuilder,
    Requirement,
    plural,
    weakenings,
)

POLICY_FILE = "approvals.yaml"
SELF_PROTECTION = "approvals.yaml protects itself"
_FULL_ID = re.compile(r"^[0-9a-f]{40}$")


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


@dataclass(frozen=True)
class Judgement:
    problems: tuple[str, ...]
    approvers: tuple[Person, ...]  # the approvals that count
    needs: tuple[Need, ...]


def judge(
    policy: ApprovalPolicy,
    policy_revision: str,
    approved_by: Sequence[str],
    authored: dict[str, str],
    needed: tuple[Sequence[Need], Sequence[str]],
    break_glass: bool = False,
    merge_policy: ApprovalPolicy | None = None,
) -> Judgement:
    """Do the approvals satisfy the needs (or, for break-glass, the break-glass rule)?

    ``needed`` is what the change needs and the paths no rule covers, as
    ``ApprovalPolicy.needs_for`` gives them.
    ``authored`` maps the email (lower case) of everyone who wrote part of the change to where
    they wrote it. ``merge_policy`` is approvals.yaml as the change leaves it, only to explain why
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
        if not policy.groups_of(person.email):
            hint = ""
            if merge_policy is not None and merge_policy.groups_of(person.email):
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
        members = [p for p in counted if rule.group in policy.groups_of(p.email)]
        if len(members) < rule.count:
            names = ", ".join(map(str, members))
            problems.append(
                f"break-glass needs {plural(rule.count, 'approval')} from {rule.group}; "
                f"has {len(members)}{f': {names}' if names else ''}"
            )
        return Judgement(tuple(problems), tuple(counted), ())
    needs, uncovered = needed
    for need in needs:
        if need.group not in policy.groups:
            problems.append(
                f"{POLICY_FILE} at {policy_revision[:12]} asks for group {need.group}, "
                "which it does not define"
            )
            continue
        members = [p for p in counted if need.group in policy.groups_of(p.email)]
        if len(members) < need.count:
            names = ", ".join(map(str, members))
            problems.append(
                f"needs {need.describe()}; has {len(members)}{f': {names}' if names else ''}"
            )
    problems.extend(f"no rule of {POLICY_FILE} covers {path}" for path in uncovered)
    return Judgement(tuple(problems), tuple(counted), tuple(needs))


@dataclass(frozen=True)
class Verdict:
    """Whether a first-parent commit of main is approved, and why not."""

    commit: Commit
    problems: tuple[str, ...]
    approvers: tuple[Person, ...] = ()
    needs: tuple[Need, ...] = ()
    authors: tuple[Person, ...] = ()
    changed: tuple[str, ...] = field(default=(), repr=False)
    merge_changes: tuple[str, ...] = ()  # what the merge commit changes itself
    notes: tuple[str, ...] = ()
    since: str | None = None  # the revision it was judged from (whose approvals.yaml applied)
    supersedes: tuple[str, ...] = ()  # the refused commits it replaces

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


@dataclass
class _Authorship:
    """Who wrote a change: email (lower case) → where, for the refusal; the people; why a
    commit's author could not be proven; what merge commits changed themselves."""

    authored: dict[str, str] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    merge_changes: set[str] = field(default_factory=set)

    def add(self, person: Person, where: str) -> None:
        self.authored.setdefault(person.key, where)
        self.people.setdefault(person.key, person)


class Approvals:
    """Verdicts on the first-parent commits of one repository."""

    def __init__(self, repo: GitRepository) -> None:
        self.repo = repo
        self.policies = Policies(repo)
        self.contents = Contents(repo.work_tree or repo.git_dir, repo)

    def verify(
        self,
        commit: Commit,
        since: str | None = None,
        span: Sequence[Commit] = (),
        supersedes: Sequence[str] = (),
    ) -> Verdict:
        """The verdict on ``commit``: judged from its first parent, or from ``since`` over the
        first-parent commits ``span`` (ending with ``commit``) when it supersedes some."""
        if commit.defects:
            return Verdict(commit, tuple(f"malformed commit: {d}" for d in commit.defects))
        if not commit.is_merge:
            return Verdict(commit, (DIRECT_COMMIT,))
        if len(commit.parents) > 2:
            return Verdict(
                commit,
                (
                    f"an octopus merge of {len(commit.parents)} parents: a merge request merges "
                    "one branch",
                ),
            )
        since = since or commit.parents[0]
        try:
            policy = self.policies.at(since)
        except PolicyUnreadable as exc:
            return Verdict(commit, (f"no rules to approve against: {exc}",))
        try:
            merge_policy: ApprovalPolicy | None = self.policies.at(commit.sha)
        except PolicyUnreadable:
            merge_policy = None
        try:
            return self._judged(
                commit, since, list(span) or [commit], supersedes, policy, merge_policy
            )
        except GitError as exc:
            return Verdict(commit, (f"git cannot read what it changes: {exc}",))

    def _judged(
        self,
        commit: Commit,
        since: str,
        span: list[Commit],
        supersedes: Sequence[str],
        policy: ApprovalPolicy,
        merge_policy: ApprovalPolicy | None,
    ) -> Verdict:
        changed_since = self.repo.changed_paths(since, commit.sha)
        authorship = self._authorship(policy, since, span, set(changed_since))
        changed = sorted(set(changed_since) | authorship.merge_changes)
        problems = list(authorship.problems)
        problems += [f"a path that is not UTF-8: {_escaped(p)}" for p in changed if _surrogates(p)]
        notes: list[str] = []
        if supersedes:
            notes.append(
                f"judged over everything since {since[:12]} with its {POLICY_FILE}, as it "
                f"supersedes {', '.join(s[:12] for s in supersedes)}"
            )
        builder = NeedsBuilder()
        uncovered: list[str] = []
        if commit.break_glass:
            problems += self._break_glass_limits(since, commit, changed)
        else:
            content = self._content(policy, since, commit, changed)
            uncovered = policy.collect(builder, changed, content.items)
            notes += content.notes
            if content.unknown is not None:
                for rule in policy.content_rules:
                    builder.add(rule.name, rule.require, change=content.unknown)
                notes.append(
                    f"what it changes cannot be told ({content.unknown}): every content rule "
                    "applies"
                )
            if POLICY_FILE in changed and merge_policy is not None:
                paths = set(self.repo.tree_blobs(since)) | set(self.repo.tree_blobs(commit.sha))
                for weakening in weakenings(policy, merge_policy, paths):
                    builder.add(
                        SELF_PROTECTION,
                        [Requirement(group=weakening.group, count=weakening.count)],
                        path=POLICY_FILE,
                    )
                    notes.append(f"{POLICY_FILE} weakens {weakening.group}: {weakening.what}")
        found = judge(
            policy,
            since,
            commit.approved_by,
            authorship.authored,
            (builder.needs(), uncovered),
            bool(commit.break_glass),
            merge_policy,
        )
        problems = [*found.problems, *problems]
        if policy.signatures is not None:
            unsigned = signature_problem(self.repo, commit.sha, policy.signatures)
            if unsigned is not None:
                problems.append(
                    f"merge commit {unsigned}; {POLICY_FILE} at {since[:12]} requires merge "
                    "commits signed by a key it lists"
                )
        return Verdict(
            commit,
            tuple(problems),
            found.approvers,
            found.needs,
            tuple(sorted(authorship.people.values())),
            tuple(changed),
            tuple(sorted(authorship.merge_changes)),
            tuple(notes),
            since,
            tuple(supersedes),
        )

    def _content(
        self, policy: ApprovalPolicy, since: str, commit: Commit, changed: list[str]
    ) -> ContentChange:
        if not policy.content_rules or not any(p.split("/", 1)[0] in DATA_ROOTS for p in changed):
            return ContentChange()
        return self.contents.change(since, commit, changed)

    def _authorship(
        self, policy: ApprovalPolicy, since: str, span: Sequence[Commit], surviving: set[str]
    ) -> _Authorship:
        """Who wrote the change from ``since`` through ``span``: the commits each merge brings
        in, what each merge commit changes itself (its merger's), and direct commits.

        With a signature policy, a commit's author is also the member whose key signed it; a
        commit that no listed key signed is a problem when a file it changed is still changed
        (its author cannot be told apart from the approvers)."""
        found = _Authorship()
        for first in span:
            written: list[tuple[Commit, str]] = []
            if first.is_merge:
                written += [(b, b.short) for b in history.brought_in(self.repo, first)]
                if len(first.parents) == 2:
                    own = history.merge_own_changes(self.repo, first)
                    if own:
                        found.merge_changes.update(own)
                        where = f"{first.short}, changes made in the merge commit itself"
                        for person in filter(None, (first.author, first.committer)):
                            found.add(person, where)
            else:
                written.append((first, first.short))
            for commit, where in written:
                people = [
                    commit.author,
                    *filter(None, map(history.parse_person, commit.co_authors)),
                ]
                for person in people:
                    found.add(person, where)
                if policy.signatures is None:
                    continue
                proof = prove_author(self.repo, commit.sha, policy)
                if proof.member is not None:
                    found.add(proof.member, f"{where}, signed with their key")
                elif proof.problem is not None and self._survives(commit, surviving):
                    found.problems.append(
                        f"{commit.short} ({commit.title}) {proof.problem}: {POLICY_FILE} at "
                        f"{since[:12]} requires each commit signed by its author's key"
                    )
        return found

    def _survives(self, commit: Commit, surviving: set[str]) -> bool:
        """Whether a file ``commit`` changed is still changed by the change being judged."""
        if not commit.parents:
            return True
        return bool(surviving & set(self.repo.changed_paths(commit.parents[0], commit.sha)))

    def _break_glass_limits(self, since: str, commit: Commit, changed: list[str]) -> list[str]:
        """Break-glass passes the rules, never the gate's own settings."""
        problems = []
        if POLICY_FILE in changed:
            problems.append(
                f"break-glass cannot change {POLICY_FILE} (its rules, groups, keys and signature "
                "policy need the ordinary approvals)"
            )
        if any(p.startswith("environments/") for p in changed):
            before = self.contents.environments(since)
            after = self.contents.environments(commit.sha)
            for name in sorted(before.keys() | after.keys()):
                old, new = before.get(name), after.get(name)
                if old is None or new is None:
                    continue
                windows = [e.model_dump(include={"change_windows", "freezes"}) for e in (old, new)]
                if windows[0] != windows[1]:
                    problems.append(
                        f"break-glass cannot change the change windows or freezes of {name}"
                    )
        return problems


def _surrogates(path: str) -> bool:
    return any("\udc80" <= c <= "\udcff" for c in path)


def _escaped(path: str) -> str:
    return path.encode("utf-8", "surrogateescape").decode("ascii", "backslashreplace")


def verify_commit(repo: GitRepository, commit: Commit, policies: Policies | None = None) -> Verdict:
    """The verdict on one commit, judged from its first parent."""
    approvals = Approvals(repo)
    if policies is not None:
        approvals.policies = policies
    return approvals.verify(commit)


def verify_range(repo: GitRepository, base: str | None, head: str) -> list[Verdict]:
    """A verdict for every first-parent commit after ``base`` up to ``head``, oldest first.

    A commit whose ``Supersedes:`` trailers name refused commits before it in the range is
    judged over everything since the first of them, with the rules from before it."""
    approvals = Approvals(repo)
    commits = history.first_parent_commits(repo, base, head)
    verdicts = [approvals.verify(c) for c in commits]
    position = {c.sha: i for i, c in enumerate(commits)}
    for index, commit in enumerate(commits):
        if not commit.supersedes or commit.defects:
            continue
        named: list[int] = []
        problems: list[str] = []
        for raw in commit.supersedes:
            sha = raw.strip().lower()
            earlier = position.get(sha, len(commits))
            if not _FULL_ID.match(sha):
                problems.append(f"{history.SUPERSEDES}: {raw!r} is not a full commit id")
            elif earlier < index and verdicts[earlier].approved:
                problems.append(
                    f"{history.SUPERSEDES}: {sha[:12]} is approved; only a refused commit is "
                    "superseded"
                )
            elif earlier < index:
                named.append(earlier)
            elif base is None or not repo.is_ancestor(sha, base):
                problems.append(
                    f"{history.SUPERSEDES}: {sha[:12]} is not a commit of main before "
                    f"{commit.short}"
                )
        verdict = verdicts[index]
        first = min(named, default=index)
        if named and commits[first].parents:
            verdict = approvals.verify(
                commit,
                commits[first].parents[0],
                commits[first : index + 1],
                [commits[i].sha for i in sorted(named)],
            )
        verdicts[index] = replace(verdict, problems=(*verdict.problems, *problems))
    return verdicts
