#!/usr/bin/env python3
"""Reads Autobahn|Testsuite (wstest) reports strictly.

Usage: autobahn_check.py --expected-cases FILE [--summary FILE] [--agent NAME]
                         LABEL=path/to/index.json ...

Every case of the selection must have run: FILE lists the case ids the spec selects (one a
line, as wstest's own selection gives them), and a case missing from a report (its
connection never reached wstest, say) fails like a failing case, as does a case not
selected. A case passes only if both its `behavior` and its `behaviorClose` are OK or
INFORMATIONAL (UNIMPLEMENTED, NON-STRICT, WRONG CODE, UNCLEAN, FAILED and anything else fail,
permessage-deflate's 12.* and 13.* included). Prints one summary line per
mode (counts per behaviour) and every failing or missing case, with the behaviours and the
description, expectation and result from a failing case's own report (the JSON file next to
index.json); writes a short summary file if asked; exits 1 if any case fails or is missing,
or a report is missing.
"""

import argparse
import json
import os
import sys
from collections import Counter
from datetime import datetime, timezone

PASSING = {"OK", "INFORMATIONAL"}


def case_key(case_id):
    return tuple(int(part) if part.isdigit() else part for part in case_id.split("."))


def counts_text(counter):
    return ", ".join(f"{name} {count}" for name, count in sorted(counter.items(), key=lambda kv: -kv[1]))


def one_line(value, limit=600):
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def case_details(directory, entry):
    """The description, expectation and result texts of a case's own report."""
    name = entry.get("reportfile")
    if not name:
        return {}
    try:
        with open(os.path.join(directory, name), encoding="utf-8") as f:
            report = json.load(f)
    except (OSError, ValueError) as e:
        return {"report": f"unreadable ({e})"}
    details = {}
    for key in ("description", "expectation", "result", "resultClose"):
        if report.get(key):
            details[key] = one_line(str(report[key]).replace("<br>", " "))
    for key in ("localCloseCode", "remoteCloseCode", "wasClean", "droppedByMe", "wasNotCleanReason"):
        if key in report:
            details[key] = report[key]
    return details


def read_expected(path):
    """The selected case ids, in order; exits if there are none (nothing could be checked)."""
    try:
        with open(path, encoding="utf-8") as f:
            cases = [line.strip() for line in f if line.strip()]
    except OSError as e:
        sys.exit(f"autobahn: cannot read the expected cases: {e}")
    if not cases:
        sys.exit(f"autobahn: no expected cases in {path}")
    return cases


def check_mode(label, index_path, agent, expected):
    """Returns (summary lines, failures, ok)."""
    try:
        with open(index_path, encoding="utf-8") as f:
            index = json.load(f)
    except (OSError, ValueError) as e:
        print(f"{label}: no usable report at {index_path}: {e}")
        return [f"{label}: no report ({e})"], 1, False
    if agent is not None:
        if agent not in index:
            print(f"{label}: agent {agent!r} not in {index_path} (agents: {', '.join(index) or 'none'})")
            return [f"{label}: no results for agent {agent!r}"], 1, False
        agents = {agent: index[agent]}
    else:
        agents = index
    directory = os.path.dirname(index_path)
    lines, failures, ok = [], 0, True
    for name, cases in agents.items():
        if not cases:
            print(f"{label} [{name}]: no cases")
            lines.append(f"{label} [{name}]: no cases")
            ok = False
            failures += 1
            continue
        behavior, close = Counter(), Counter()
        failing = []
        for case_id in sorted(cases, key=case_key):
            entry = cases[case_id]
            b, c = entry.get("behavior", "MISSING"), entry.get("behaviorClose", "MISSING")
            behavior[b] += 1
            close[c] += 1
            if not (b in PASSING and c in PASSING):
                failing.append((case_id, entry))
        total = len(cases)
        missing = [case_id for case_id in expected if case_id not in cases]
        unexpected = sorted(set(cases) - set(expected), key=case_key)
        head = (
            f"{label} [{name}]: {total} of {len(expected)} cases ran, "
            f"{total - len(failing)} passed, {len(failing)} failed"
        )
        summary = f"{head}; behavior: {counts_text(behavior)}; behaviorClose: {counts_text(close)}"
        print(summary)
        lines.append(summary)
        for kind, ids in (("missing (never ran)", missing), ("not selected", unexpected)):
            if ids:
                ok = False
                failures += len(ids)
                lines.append(f"  {kind}: {' '.join(ids)}")
                print(f"  {kind.upper()}: {' '.join(ids)}")
        if failing:
            ok = False
            failures += len(failing)
            lines.append(f"  failed: {' '.join(case_id for case_id, _ in failing)}")
            for case_id, entry in failing:
                print(
                    f"  FAIL {case_id}: behavior={entry.get('behavior')} "
                    f"behaviorClose={entry.get('behaviorClose')} "
                    f"remoteCloseCode={entry.get('remoteCloseCode')}"
                )
                for key, value in case_details(directory, entry).items():
                    print(f"      {key}: {value}")
    return lines, failures, ok


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--summary", help="write a short summary (counts per mode) to this file")
    parser.add_argument("--agent", help="only this agent's results (default: every agent)")
    parser.add_argument(
        "--expected-cases",
        required=True,
        metavar="FILE",
        help="the case ids the spec selects, one a line: each must be in every report",
    )
    parser.add_argument("modes", nargs="+", metavar="LABEL=INDEX_JSON")
    args = parser.parse_args()

    expected = read_expected(args.expected_cases)
    all_lines, all_ok, failures = [], True, 0
    for spec in args.modes:
        label, sep, path = spec.rpartition("=")
        if not sep:
            label, path = path, spec
        lines, failed, ok = check_mode(label, path, args.agent, expected)
        all_lines.extend(lines)
        failures += failed
        all_ok = all_ok and ok

    verdict = "PASS" if all_ok else f"FAIL ({failures} failing or missing cases)"
    print(f"autobahn: {verdict}")
    if args.summary:
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        with open(args.summary, "w", encoding="utf-8") as f:
            f.write(
                f"Autobahn|Testsuite (wstest 25.10.1), every case (12.* and 13.*: permessage-deflate), {stamp}\n"
                "strict: a case passes only with OK or INFORMATIONAL in behavior and behaviorClose\n"
            )
            f.writelines(line + "\n" for line in all_lines)
            f.write(f"verdict: {verdict}\n")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
