"""Which kinds each kind's checks read, so checking a few files also checks what depends on them."""

from __future__ import annotations

from dfctl.model import kind_for_path

# kind -> the kinds its rules read. Keep in step with the rules: a rule that reads a kind not
# listed here would see it missing when only some files are validated.
KIND_DEPENDS: dict[str, frozenset[str]] = {
    "Environment": frozenset({"Environment", "Cluster", "Release", "ConfigItemSet", "Namespace"}),
    "ElementSet": frozenset({"ElementSet"}),
    "ConfigItemSet": frozenset({"ConfigItemSet", "Environment"}),
    "ControlRuleSet": frozenset({"ControlRuleSet", "ElementSet", "ConfigItemSet"}),
    "Release": frozenset({"Release", "Environment", "Namespace"}),
    "Cluster": frozenset({"Cluster", "Namespace", "Environment"}),
    "Namespace": frozenset({"Namespace", "Cluster", "Environment", "Release"}),
    "TdsqlInventory": frozenset({"TdsqlInventory", "Environment"}),
    "PortalSystem": frozenset({"PortalSystem", "Environment", "Namespace", "DatahubPeer"}),
    "AccessPolicy": frozenset(
        {
            "AccessPolicy",
            "PortalSystem",
            "DatahubPeer",
            "Namespace",
            "Environment",
            "ApprovalPolicy",
        }
    ),
    "DatahubPeer": frozenset({"DatahubPeer", "PortalSystem", "Environment"}),
    "DatahubInterface": frozenset(
        {
            "DatahubInterface",
            "PortalSystem",
            "DatahubPeer",
            "ElementSet",
            "AccessPolicy",
            "Environment",
        }
    ),
    "ApprovalPolicy": frozenset({"ApprovalPolicy", "Cluster"}),
}


# The kinds the rules compare with the base revision (DFP-EVO-*, DFP-LCK-*): only these are
# loaded at the base.
BASE_KINDS = frozenset({"ElementSet", "ConfigItemSet", "ControlRuleSet"})


def selection(changed: list[str], all_paths: list[str]) -> tuple[set[str], set[str]]:
    """(paths to load, paths to report) when only ``changed`` files are being validated.

    Reported: the changed files, and every file of a kind whose rules read a changed kind.
    Loaded: the reported files and every file of the kinds their rules read.
    """
    kinds_of = {path: kind_for_path(path) for path in all_paths}
    changed_set = set(changed)
    changed_kinds = {kinds_of.get(p) or kind_for_path(p) for p in changed_set}
    dependent_kinds = {kind for kind, reads in KIND_DEPENDS.items() if reads & changed_kinds}
    report = changed_set | {p for p, k in kinds_of.items() if k in dependent_kinds}
    report_kinds = {kinds_of.get(p) or kind_for_path(p) for p in report}
    load_kinds = set().union(*(KIND_DEPENDS.get(k or "", frozenset()) for k in report_kinds))
    load = report | {p for p, k in kinds_of.items() if k in load_kinds}
    return load, report
