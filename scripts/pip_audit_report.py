"""Report known vulnerabilities of both environments with pip-audit (a CI report step).

`.venv` (the project's own code) and `.venv-rasa` (Rasa 3.6.21 and the versions it pins) are
audited separately. Findings are printed as a table and written to var/audit/pip-audit.json.
The step does not fail CI by default: `.venv-rasa`'s findings are in pins of the last
open-source Rasa release that we cannot upgrade, and pip-audit needs PyPI's vulnerability
API over the network. Set AUDIT_STRICT=1 to fail on findings in `.venv` (what to fix: bump
the pin in pyproject.toml to a fixed version).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = {
    ".venv": [],
    ".venv-rasa": ["--path", str(next((ROOT / ".venv-rasa/lib").glob("python3*/site-packages"),
                                      ROOT / ".venv-rasa"))],
}


def audit(name: str, extra: list[str]) -> dict:
    command = [str(ROOT / ".venv/bin/pip-audit"), "--progress-spinner", "off", "-f", "json",
               "--timeout", "30", *extra]
    if name == ".venv":
        command.append("--local")
    run = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        return {"error": (run.stderr or run.stdout).strip()[-500:], "dependencies": []}
    return report


def summarise(name: str, report: dict) -> tuple[list[dict], int, int]:
    deps = report.get("dependencies", [])
    skipped = sum(1 for dep in deps if "skip_reason" in dep)
    findings = [
        {"env": name, "package": dep["name"], "version": dep["version"], "id": vuln["id"],
         "fix": ", ".join(vuln.get("fix_versions") or []) or "none"}
        for dep in deps for vuln in dep.get("vulns", [])
    ]
    return findings, len(deps) - skipped, skipped


def main() -> int:
    results, strict_failures = {}, 0
    print(f"{'environment':<12} {'audited':>8} {'skipped':>8} {'findings':>9}")
    for name, extra in ENVIRONMENTS.items():
        report = audit(name, extra)
        findings, audited, skipped = summarise(name, report)
        results[name] = {"audited": audited, "skipped": skipped, "findings": findings,
                         "error": report.get("error")}
        print(f"{name:<12} {audited:>8} {skipped:>8} {len(findings):>9}")
        if report.get("error"):
            print(f"  pip-audit failed: {report['error']}")
        elif audited == 0:
            print("  NOT AUDITED: PyPI's vulnerability API did not answer for any package")
        for finding in findings:
            print(f"  {finding['package']} {finding['version']}: {finding['id']} "
                  f"(fixed in {finding['fix']})")
        if name == ".venv":
            strict_failures = len(findings)
    out = ROOT / "var" / "audit"
    out.mkdir(parents=True, exist_ok=True)
    (out / "pip-audit.json").write_text(json.dumps(results, indent=2))
    if strict_failures and os.environ.get("AUDIT_STRICT") == "1":
        print("AUDIT_STRICT=1: findings in .venv; bump the pins in pyproject.toml")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
