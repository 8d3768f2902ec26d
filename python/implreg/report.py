"""A JSON report (`implreg check --format json`) as plain Python objects.

    from implreg import report

    for claim in report.load("report.json"):
        print(claim.id, claim.verdict, "as expected" if claim.matches else "NOT as expected")
        for assertion in claim.assertions:
            print("  ", assertion.decision, assertion.that, f"{assertion.passed}/{len(assertion.seeds)}")

A sweep's or a searched claim's report keeps its own fields in `raw`; its `assertions` are those
across its points (a sweep) or empty (a search).
"""

import json
from dataclasses import dataclass, field
from typing import Any, Dict, List


@dataclass
class Assertion:
    """One assertion of a claim: what it says and how it was decided."""

    that: str
    decision: str
    passed: int
    seeds: List[int]
    raw: Dict[str, Any] = field(repr=False)


@dataclass
class Claim:
    """One claim's report: its verdict against the one it expects."""

    id: str
    title: str
    verdict: str
    expected: str
    matches: bool
    assertions: List[Assertion]
    raw: Dict[str, Any] = field(repr=False)


def _assertion(entry):
    per_seed = entry.get("per_seed", [])
    return Assertion(
        that=entry.get("that", ""),
        decision=entry.get("decision", ""),
        passed=int(entry.get("passed", sum(1 for s in per_seed if s.get("passed")))),
        seeds=[s.get("seed") for s in per_seed],
        raw=entry,
    )


def _claim(entry):
    return Claim(
        id=entry.get("id", ""),
        title=entry.get("title", ""),
        verdict=entry.get("verdict", ""),
        expected=entry.get("expected", ""),
        matches=bool(entry.get("matches", False)),
        assertions=[_assertion(a) for a in entry.get("assertions", [])],
        raw=entry,
    )


def loads(text):
    """The claims of a report's JSON text."""
    value = json.loads(text)
    entries = value if isinstance(value, list) else [value]
    return [_claim(entry) for entry in entries]


def load(path):
    """The claims of the report in the file at `path`."""
    with open(path) as handle:
        return loads(handle.read())
