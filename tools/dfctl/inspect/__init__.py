"""The inspection report (巡检报告): what ``dfctl inspect`` found in an environment, for people.

One module per job: ``findings`` is the data model the collector produces and the verdicts drawn
from it (order, counts, exit code); ``history`` keeps past inspections and says what changed since
the last one; ``report_json`` is the machine format (and the history store's file format),
``report_md`` the markdown report and ``report_html`` the self-contained HTML report, whose
charts ``charts`` draws as inline SVG. ``wording`` holds the report's fixed words in both
languages and ``amounts`` how numbers are shown. Nothing here reads a cluster.
"""
