"""bandit finds no medium or high severity issue in the shipped code."""

import json
import subprocess
import sys


def test_bandit_reports_no_medium_or_high_findings():
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-r", "finboard", "backends", "cli.py", "-ll", "-f", "json", "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(result.stdout)
    findings = [
        f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}"
        for r in report["results"]
        if r["issue_severity"] in ("MEDIUM", "HIGH")
    ]
    assert not findings, "\n".join(findings)
    assert report["metrics"]["_totals"]["loc"] > 1000  # it really scanned the code
