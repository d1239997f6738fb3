"""The file's codes form a tree of the set's structure (层码结构), and its own columns agree.

A code's length is a level of the structure; its parent (the prefix of the level above) is in
the file, or, for a set lower divisions extend, in the same set of a division above; and the
file's 上级编码, 级次 and 是否末级 columns, when present, say the same as the codes do.
"""

from __future__ import annotations

from dfctl.intake.table import Table


def _levels(structure: list[int]) -> dict[int, int]:
    """Code length -> level (1-based)."""
    found: dict[int, int] = {}
    total = 0
    for level, width in enumerate(structure, start=1):
        total += width
        found[total] = level
    return found


def hierarchy_problems(
    table: Table, structure: list[int], source: str, codes_above: set[str]
) -> list[str]:
    """Problems with the tree the file's codes make; ``codes_above`` are parents it may use."""
    levels = _levels(structure)
    lengths = sorted(levels)
    parent_length = {length: (lengths[i - 1] if i else 0) for i, length in enumerate(lengths)}
    codes = {row.code for row in table.rows}
    parents = {
        row.code[: parent_length[len(row.code)]]
        for row in table.rows
        if len(row.code) in levels and parent_length[len(row.code)]
    }
    problems: list[str] = []
    for row in table.rows:
        where = f"{source}: {row.place}"
        level = levels.get(len(row.code))
        if level is None:
            allowed = ", ".join(str(n) for n in lengths)
            problems.append(
                f"{where}: code {row.code} has {len(row.code)} digits; structure {structure} "
                f"allows {allowed}"
            )
            continue
        parent = row.code[: parent_length[len(row.code)]] or None
        if parent is not None and parent not in codes and parent not in codes_above:
            problems.append(f"{where}: the parent {parent} of code {row.code} is not in the file")
        if "parent" in table.columns and (row.parent or None) != parent:
            problems.append(
                f"{where}: 上级编码 is {row.parent or '(empty)'} but the parent of code "
                f"{row.code} is {parent or '(none: it is a first-level code)'}"
            )
        if "level" in table.columns and row.level is not None and row.level != level:
            problems.append(f"{where}: 级次 is {row.level} but code {row.code} is level {level}")
        if "is_leaf" in table.columns and row.is_leaf is not None:
            leaf = row.code not in parents
            if row.is_leaf != leaf:
                said = "是" if row.is_leaf else "否"
                actual = "has no children" if leaf else "has children"
                problems.append(f"{where}: 是否末级 is {said} but code {row.code} {actual}")
    return problems
