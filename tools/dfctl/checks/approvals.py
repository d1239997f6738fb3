"""Rules for approvals.yaml: every rule can apply, names groups that exist, and is one kind of
rule; every member's signing key is their own.

A mistake here does not fail loudly at the gate: a rule naming a group nobody defined refuses
every change it covers, and a rule that matches nothing protects nothing. So they are errors
with a position, found when the policy is written, not when a change is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from dfctl.checks.registry import CheckContext, Finding, repo_rule
from dfctl.diagnostics import Severity
from dfctl.model import DATA_ROOTS, ROOT_FILES, ApprovalPolicy, Cluster
from dfctl.model.approvals import path_pattern
from dfctl.model.environment import CONFIG_SERVICE

_WILDCARD = re.compile(r"[*?]")


@repo_rule("DFP-APR-001", Severity.ERROR)
def groups_exist(ctx: CheckContext) -> Iterator[Finding]:
    """A rule, and break-glass, require groups that approvals.yaml defines.

    Passing:
        groups:
          security: {description: 安全管控组, members: [{name: 陈志刚, email: chen@x.example}]}
        rules:
          - name: 网络访问策略
            paths: [portal/access-policies/**]
            require: [{group: security}]

    Failing:
        rules:
          - name: 网络访问策略
            paths: [portal/access-policies/**]
            require: [{group: securty}]
    """
    for policy in ctx.repo.of(ApprovalPolicy):
        known = ", ".join(sorted(policy.groups))
        for rule in policy.rules:
            for requirement in rule.require:
                if requirement.group not in policy.groups:
                    yield Finding(
                        requirement,
                        "group",
                        f"rule {rule.name} requires group {requirement.group}, which is not "
                        f"defined (groups: {known})",
                    )
        if policy.break_glass.group not in policy.groups:
            yield Finding(
                policy.break_glass,
                "group",
                f"break-glass requires group {policy.break_glass.group}, which is not defined "
                f"(groups: {known})",
            )


@repo_rule("DFP-APR-002", Severity.ERROR)
def one_kind_of_rule(ctx: CheckContext) -> Iterator[Finding]:
    """A rule is either a path rule (``paths``) or a content rule (``changes``), not both.

    A content rule's ``changes`` names at least one environment, cluster or flag. Path rules
    decide file by file (the first match wins); content rules apply to what a change does
    wherever its files are (all matches apply). A rule mixing the two would be read either way,
    so it is refused.

    Passing:
        - name: 生产环境的对象
          changes: {environments: [production]}
          require: [{group: ops-lead}]

    Failing:
        - name: 生产环境
          paths: [environments/production/**]
          changes: {environments: [production]}
          require: [{group: ops-lead}]
    """
    for policy in ctx.repo.of(ApprovalPolicy):
        for rule in policy.rules:
            if rule.paths and rule.changes is not None:
                yield Finding(
                    rule,
                    "changes",
                    f"rule {rule.name} has both paths and changes; make it two rules",
                    at_key=True,
                )
            elif not rule.paths and rule.changes is None:
                yield Finding(rule, "name", f"rule {rule.name} has neither paths nor changes")
            elif rule.changes is not None and rule.changes.empty:
                yield Finding(
                    rule,
                    "changes",
                    f"rule {rule.name}: changes names no environment, cluster or flag",
                )


def _inside_data(pattern: str) -> bool:
    """Whether every path ``pattern`` can match lies in the data folders (or is a root data
    file), so the repository's data files show whether it matches anything."""
    literal = _WILDCARD.split(pattern, maxsplit=1)[0]
    if "/" not in literal:
        return pattern in ROOT_FILES
    return literal.split("/", 1)[0] in DATA_ROOTS


def _catch_all(pattern: str) -> bool:
    return pattern in ("**", "**/*")


@repo_rule("DFP-APR-003", Severity.ERROR)
def rules_can_apply(ctx: CheckContext) -> Iterator[Finding]:
    """Every rule of approvals.yaml can apply to something.

    No path rule after a catch-all, no pattern in the data folders that matches no file, no
    content rule naming a cluster that does not exist. Path patterns outside the data folders
    (``deploy/**``, ``tools/**``) are not compared with files: only the data files are known to
    the check.

    Passing:
        - name: 生产环境
          paths: [cloud/clusters/tke-prod-*.yaml]
        - name: 其他
          paths: ["**"]

    Failing:
        - name: 其他
          paths: ["**"]
        - name: 生产环境
          paths: [cloud/clusters/tke-prod-*.yaml]   # never reached
    """
    files = ctx.repo.source_paths
    clusters = {c.name for c in ctx.repo.of(Cluster)} | ctx.repo.unreadable.get("Cluster", set())
    for policy in ctx.repo.of(ApprovalPolicy):
        caught_by: str | None = None
        for rule in policy.rules:
            for index, pattern in enumerate(rule.paths):
                where = f"paths[{index}]"
                if caught_by is not None:
                    yield Finding(
                        rule,
                        where,
                        f"rule {rule.name}: pattern {pattern} is never reached: rule {caught_by} "
                        "before it matches every path",
                    )
                elif _inside_data(pattern) and not any(
                    path_pattern(pattern).match(f) for f in files
                ):
                    yield Finding(
                        rule, where, f"rule {rule.name}: pattern {pattern} matches no file"
                    )
            if caught_by is None and any(_catch_all(p) for p in rule.paths):
                caught_by = rule.name
            if rule.changes is not None and clusters:
                for index, cluster in enumerate(rule.changes.clusters):
                    if cluster != CONFIG_SERVICE and cluster not in clusters:
                        yield Finding(
                            rule.changes,
                            f"clusters[{index}]",
                            f"rule {rule.name}: there is no cluster {cluster} "
                            f"(clusters: {', '.join(sorted(clusters))}, {CONFIG_SERVICE})",
                        )


@repo_rule("DFP-APR-004", Severity.ERROR)
def keys_are_personal(ctx: CheckContext) -> Iterator[Finding]:
    """A public key belongs to one member or one signer.

    A key two people share proves neither of them. With a signature policy, who wrote a commit is
    the member whose key signed it; a key listed twice could stand for either.

    Passing:
        - name: 吴海燕
          email: wu.haiyan@xx.gov.example
          public_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFirst

    Failing:
        - name: 吴海燕
          email: wu.haiyan@xx.gov.example
          public_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIShared
        - name: 蒋晨阳
          email: jiang.chenyang@xx.gov.example
          public_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIShared
    """
    for policy in ctx.repo.of(ApprovalPolicy):
        owner: dict[str, str] = {}
        for group in policy.groups.values():
            for member in group.members:
                if member.public_key is None:
                    continue
                first = owner.setdefault(member.public_key, member.email.lower())
                if first != member.email.lower():
                    yield Finding(
                        member,
                        "public_key",
                        f"{member.name}'s public key is also {first}'s; each member signs with "
                        "a key of their own",
                    )
        signers = policy.signatures.signers if policy.signatures else []
        for signer in signers:
            shared = owner.get(signer.public_key)
            if shared is not None:
                yield Finding(
                    signer,
                    "public_key",
                    f"signer {signer.name}'s key is also member {shared}'s; a merge signed by it "
                    "could be either",
                )


RULES = (groups_exist, one_kind_of_rule, rules_can_apply, keys_are_personal)
