"""Rules the loader enforces while reading and modelling a file; documented here for `explain`."""

from __future__ import annotations

from dfctl.checks.registry import loader_rule
from dfctl.load import structure, yamlread

encoding = loader_rule(
    yamlread.RULE_ENCODING,
    """Files are UTF-8 (a byte-order mark is tolerated).

    Passing:
        name: 一般公共服务支出        # saved as UTF-8

    Failing:
        name: 一般公共服务支出        # saved as GBK or UTF-16
    """,
)
syntax = loader_rule(
    yamlread.RULE_SYNTAX,
    """The file is well-formed YAML.

    Passing:
        ports: [443, 8443]

    Failing:
        ports: [443, 8443           # the flow sequence is never closed
    """,
)
duplicate_key = loader_rule(
    yamlread.RULE_DUPLICATE_KEY,
    """A key appears once in a mapping; a second one would silently win.

    Passing:
        code: "201"
        name: 一般公共服务支出

    Failing:
        code: "201"
        code: "202"
    """,
)
tag = loader_rule(
    yamlread.RULE_TAG,
    """No custom tags: data is plain YAML that any reader understands the same way.

    Passing:
        value: "50000"

    Failing:
        value: !python/object:os.system "rm -rf /"
    """,
)
alias = loader_rule(
    yamlread.RULE_ALIAS,
    """Aliases may not expand to more than 10,000 nodes (no alias bombs).

    Passing:
        defaults: &limits {cpu: "2", memory: 4Gi}
        max: *limits

    Failing:
        a: &a [x, x, x, x, x, x, x, x, x, x]
        b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
        c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
        d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]     # a million nodes
    """,
)
size = loader_rule(
    yamlread.RULE_SIZE,
    """A file is at most 8 MiB; split larger code sets by fiscal year or division.

    Passing:
        a 600 KiB functional classification

    Failing:
        a 20 MiB export pasted into one file
    """,
)
tab = loader_rule(
    yamlread.RULE_TAB,
    """Indentation uses spaces; a tab in indentation is read differently by different tools.

    Passing:
        quota:
          pods: "200"

    Failing:
        quota:
        <TAB>pods: "200"
    """,
)
documents = loader_rule(
    yamlread.RULE_DOCUMENTS,
    """A file holds exactly one non-empty document.

    Passing:
        apiVersion: dfp.config/v1
        kind: Cluster

    Failing:
        apiVersion: dfp.config/v1
        kind: Cluster
        ---
        apiVersion: dfp.config/v1
        kind: Cluster
    """,
)
root = loader_rule(
    yamlread.RULE_ROOT,
    """The document is a mapping (with apiVersion and kind), not a list or a single value.

    Passing:
        apiVersion: dfp.config/v1
        kind: Release

    Failing:
        - apiVersion: dfp.config/v1
          kind: Release
    """,
)
key = loader_rule(
    yamlread.RULE_KEY,
    """Keys are plain strings: not numbers, not null, not lists or mappings.

    Passing:
        "201": 一般公共服务支出

    Failing:
        201: 一般公共服务支出
    """,
)
control = loader_rule(
    yamlread.RULE_CONTROL,
    """No control or invisible line-breaking characters: only tab, LF and CRLF line ends.

    Rejected: C0/C1 control characters (NUL, backspace …), a lone CR, U+2028/U+2029 (they shift
    line numbers between tools) and a byte-order mark anywhere but at the start.

    Passing:
        name: 行政运行

    Failing:
        name: "行政运行<U+0008>"      # a backspace pasted from a spreadsheet
    """,
)
depth = loader_rule(
    yamlread.RULE_DEPTH,
    """Nesting is at most 64 levels deep.

    Passing:
        limit_range: {max: {cpu: "4", memory: 8Gi}}

    Failing:
        a: [[[[[[[[ … 65 levels … ]]]]]]]]
    """,
)
envelope = loader_rule(
    structure.RULE_ENVELOPE,
    """Every data file starts with apiVersion: dfp.config/v1 and a known kind.

    Passing:
        apiVersion: dfp.config/v1
        kind: ElementSet

    Failing:
        apiVersion: v1
        kind: Elementset
    """,
)
schema = loader_rule(
    structure.RULE_SCHEMA,
    """Every value has the type its kind declares; required keys are present.

    Passing:
        replicas: 3

    Failing:
        replicas: three
    """,
)
unknown_key = loader_rule(
    structure.RULE_UNKNOWN_KEY,
    """Unknown keys are errors: a typo must not be silently ignored.

    Passing:
        end_date: 2026-12-31

    Failing:
        end_data: 2026-12-31        # did you mean 'end_date'?
    """,
)
number_for_string = loader_rule(
    structure.RULE_NUMBER_FOR_STRING,
    """Codes and identifiers are strings, never numbers: YAML would drop leading zeros.

    Passing:
        code: "2010101"

    Failing:
        code: 2010101
    """,
)
folder = loader_rule(
    structure.RULE_FOLDER,
    """A file's folder matches its kind (ElementSet in standards/elements/, …).

    Passing:
        standards/elements/exp_func.yaml  holding  kind: ElementSet

    Failing:
        cloud/clusters/exp_func.yaml  holding  kind: ElementSet
    """,
)

RULES = (
    encoding,
    syntax,
    duplicate_key,
    tag,
    alias,
    size,
    tab,
    documents,
    root,
    key,
    control,
    depth,
    envelope,
    schema,
    unknown_key,
    number_for_string,
    folder,
)
