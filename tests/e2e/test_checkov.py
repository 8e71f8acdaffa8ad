"""checkov over deploy/ (Terraform, the Lambda Dockerfile, and every file for secrets): each check
that fails is either fixed or accepted in deploy/checkov-baseline.yaml with a reason a reviewer
can check. A new finding fails, printing its entry ready to paste; so does an accepted finding
that checkov no longer reports, an entry without a real reason, and a file checkov cannot parse
(whose resources would otherwise go unchecked).

checkov lives in a virtualenv of its own (tools/install-checkov.sh; ./dev test passes its path in
CLICKTRAIL_CHECKOV). The test is skipped, saying so, only where it is not installed.

Run as a script, this file prints the baseline as it should be now — the entries that still
fail, with their reasons, and one per new finding with `reason: ...` to fill in:

    .venv/bin/python tests/e2e/test_checkov.py           # to stdout
    .venv/bin/python tests/e2e/test_checkov.py --write   # into deploy/checkov-baseline.yaml
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import yaml

from conftest import REPO_ROOT

DEPLOY_DIR = REPO_ROOT / "deploy"
BASELINE = DEPLOY_DIR / "checkov-baseline.yaml"
INSTALLER = REPO_ROOT / "tools" / "install-checkov.sh"
REQUIREMENTS = REPO_ROOT / "tools" / "checkov" / "requirements.txt"
REGENERATE = ".venv/bin/python tests/e2e/test_checkov.py --write"

# What deploy/ holds: Terraform, a Dockerfile, shell scripts, templates and systemd units, which
# the secrets scanner reads too. checkov's other frameworks (Kubernetes, CloudFormation, GitHub
# Actions, …) find nothing here, and its package and image scans need Prisma Cloud.
FRAMEWORKS = ("terraform", "dockerfile", "secrets")
# Those that must report something: a framework that scanned nothing would pass vacuously.
# (The secrets scanner reports only what it finds.)
FRAMEWORKS_WITH_RESOURCES = {"terraform", "dockerfile"}
# Offline: no Prisma Cloud guidelines (--skip-download), no PyPI version check.
CHECKOV_ENV = {"CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE"}

# A real finding that someone will fix soon; accepted until then.
TO_FIX = "TO FIX:"
# Shorter than this, a reason cannot say what the check protects and why it does not apply here.
MIN_REASON_CHARS = 40
PLACEHOLDERS = {"", "...", "…", "todo", "tbd", "fixme", "xxx", "reason", "n/a", "none", "-", "ok", "accepted",
                "by design", "false positive", "not applicable", "wontfix", "won't fix", "ignore"}
ENTRY_KEYS = {"check", "file", "resource", "reason"}


@dataclass(frozen=True, order=True)
class Finding:
    """One failed check: the check's id, the file relative to deploy/, and checkov's name for the
    resource (module.ingest.aws_lambda_function.this, or a file or secret for the other
    frameworks)."""
    check: str
    file: str
    resource: str


@dataclass
class Scan:
    version: str
    failed: dict[Finding, str]  # → the check's name
    passed: int
    skipped: list[str]  # checks skipped by a `checkov:skip` comment in deploy/, as "CHECK file"
    unparsed: list[str]  # files relative to deploy/
    frameworks: set[str]  # those that reported at least one resource

    def check_names(self) -> dict[str, str]:
        return {f.check: name for f, name in self.failed.items()}


@dataclass
class Accepted:
    """One baseline entry: a check that fails on one or more resources of a file, and why that is
    accepted."""
    check: str
    file: str
    resources: list[str]
    reason: str

    def findings(self) -> list[Finding]:
        return [Finding(self.check, self.file, r) for r in self.resources]


# ---- checkov ---------------------------------------------------------------------------------------

def pinned_version() -> str:
    match = re.search(r"^checkov==(\S+)$", REQUIREMENTS.read_text(), re.MULTILINE)
    assert match, f"{REQUIREMENTS.relative_to(REPO_ROOT)} pins no checkov==VERSION"
    return match.group(1)


def version_problem(checkov: str, scan: Scan) -> str | None:
    """Another checkov finds other things: the baseline holds for the pinned one only."""
    if scan.version == pinned_version():
        return None
    return (f"{checkov} is checkov {scan.version}, but tools/checkov/requirements.txt pins {pinned_version()}, "
            "for which the baseline was written; unset CLICKTRAIL_CHECKOV, or run tools/install-checkov.sh")


def installed_checkov() -> str | None:
    """checkov from CLICKTRAIL_CHECKOV (./dev test sets it), else the one tools/install-checkov.sh
    installed; None when there is neither. Never installs it: that takes a minute and PyPI."""
    path = os.environ.get("CLICKTRAIL_CHECKOV")
    if path:
        if not os.access(path, os.X_OK):
            pytest.fail(f"CLICKTRAIL_CHECKOV={path} is not an executable; unset it, or set it to what "
                        "tools/install-checkov.sh prints", pytrace=False)
        return path
    proc = subprocess.run([str(INSTALLER), "--installed"], capture_output=True, text=True, timeout=60)
    return proc.stdout.strip() if proc.returncode == 0 else None


def relative_to_deploy(result: dict) -> str:
    path = Path(result.get("file_abs_path") or DEPLOY_DIR / result["file_path"].lstrip("/"))
    return path.resolve().relative_to(DEPLOY_DIR).as_posix()


def run_checkov(checkov: str) -> Scan:
    proc = subprocess.run(
        [checkov, "--directory", str(DEPLOY_DIR), "--framework", *FRAMEWORKS, "--enable-secret-scan-all-files",
         "--output", "json", "--compact", "--skip-download",
         # Failed checks are judged here, against the baseline; any other exit is checkov failing.
         "--soft-fail"],
        capture_output=True, text=True, timeout=300, cwd=REPO_ROOT, env={**os.environ, **CHECKOV_ENV})
    assert proc.returncode == 0, f"checkov exited {proc.returncode}:\n{proc.stderr[-4000:]}"
    reports = json.loads(proc.stdout)
    # One report per framework that scanned something, as a list unless there is only one; a bare
    # summary when none did.
    reports = reports if isinstance(reports, list) else [reports]
    scan = Scan(version="", failed={}, passed=0, skipped=[], unparsed=[], frameworks=set())
    for report in reports:
        scan.version = report.get("summary", report).get("checkov_version", scan.version)
        if "check_type" not in report:
            continue
        results = report["results"]
        if report["summary"]["resource_count"] > 0 or results["failed_checks"]:
            scan.frameworks.add(report["check_type"])
        scan.passed += len(results["passed_checks"])
        for r in results["failed_checks"]:
            scan.failed[Finding(r["check_id"], relative_to_deploy(r), r["resource"])] = r["check_name"]
        scan.skipped += [f"{r['check_id']} {relative_to_deploy(r)}" for r in results["skipped_checks"]]
        scan.unparsed += [Path(p).resolve().relative_to(DEPLOY_DIR).as_posix() for p in results["parsing_errors"]]
    return scan


@pytest.fixture(scope="module")
def scan() -> Scan:
    checkov = installed_checkov()
    if checkov is None:
        pytest.skip("checkov is not installed: tools/install-checkov.sh installs it (./dev setup runs it), "
                    "or set CLICKTRAIL_CHECKOV to a checkov executable")
    result = run_checkov(checkov)
    problem = version_problem(checkov, result)
    assert not problem, problem
    return result


# ---- the baseline ----------------------------------------------------------------------------------

def load_baseline(path: Path = BASELINE) -> list[Accepted]:
    """The entries of the baseline, reasons unjudged (reason_problem judges them); fails naming
    the entry when one is malformed, as a typo would otherwise make a finding look new."""
    raw = yaml.safe_load(path.read_text()) or []
    name = path.relative_to(REPO_ROOT)
    assert isinstance(raw, list), f"{name} must be a YAML list of entries (check, file, resource, reason)"
    entries, problems, seen = [], [], {}
    for i, item in enumerate(raw, 1):
        where = f"{name}, entry {i}"
        if not isinstance(item, dict) or set(item) != ENTRY_KEYS:
            keys = sorted(item) if isinstance(item, dict) else item
            problems.append(f"{where}: has {keys}; an entry has exactly the keys check, file, resource, reason")
            continue
        resources = item["resource"] if isinstance(item["resource"], list) else [item["resource"]]
        if not resources or not all(isinstance(r, str) and r for r in [item["check"], item["file"], *resources]):
            problems.append(f"{where}: check, file and resource (one, or a list) must be non-empty strings")
            continue
        entry = Accepted(item["check"], item["file"], resources, " ".join(str(item["reason"] or "").split()))
        for finding in entry.findings():
            if finding in seen:
                problems.append(f"{where}: accepts {finding.check} on {finding.resource} again (entry {seen[finding]})")
            seen[finding] = i
        entries.append(entry)
    assert not problems, "\n".join(problems)
    return entries


def reason_problem(reason: str) -> str | None:
    """Why a reason is not one, or None when it is."""
    body = reason[len(TO_FIX):].strip() if reason.startswith(TO_FIX) else reason
    if body.lower().rstrip(".") in PLACEHOLDERS or re.match(r"(todo|tbd|fixme|xxx)\b", body, re.IGNORECASE):
        return "is a placeholder"
    if len(body) < MIN_REASON_CHARS:
        if reason.startswith(TO_FIX):
            return f"is too short to say which change fixes it (at least {MIN_REASON_CHARS} characters after {TO_FIX})"
        return (f"is too short to be checked (at least {MIN_REASON_CHARS} characters): say what the check protects "
                "and why that does not apply here, or what compensates")
    return None


def yaml_quoted(text: str) -> str:
    return text if re.fullmatch(r"[A-Za-z0-9_./-]+", text) else "'" + text.replace("'", "''") + "'"


def to_yaml(entries: list[Accepted], check_names: dict[str, str]) -> str:
    """The entries as the baseline writes them: a resource list only for more than one, the
    reason folded at 100 columns, the check's name as a comment."""
    lines = []
    for e in entries:
        name = check_names.get(e.check)
        lines.append(f"- check: {e.check}" + (f"  # {name}" if name else ""))
        lines.append(f"  file: {yaml_quoted(e.file)}")
        if len(e.resources) == 1:
            lines.append(f"  resource: {yaml_quoted(e.resources[0])}")
        else:
            lines += ["  resource:"] + [f"    - {yaml_quoted(r)}" for r in e.resources]
        if reason_problem(e.reason) == "is a placeholder":
            lines.append(f"  reason: {yaml_quoted(e.reason) if e.reason else '...'}")
        else:
            lines += ["  reason: >-"] + textwrap.wrap(e.reason, 100, initial_indent="    ", subsequent_indent="    ",
                                                     break_long_words=False, break_on_hyphens=False)
    text = "\n".join(lines) + "\n"
    assert [(a.check, a.file, a.resources, a.reason or "...") for a in entries] == [
        (b["check"], b["file"], b["resource"] if isinstance(b["resource"], list) else [b["resource"]], b["reason"])
        for b in yaml.safe_load(text)], "to_yaml wrote entries that do not read back as themselves"
    return text


def updated_baseline(scan: Scan, baseline: list[Accepted]) -> tuple[list[Accepted], list[Accepted]]:
    """(the baseline as it should be now, what it accepts that no longer fails): the entries'
    resources that still fail, and one new entry per check and file for findings it lacks."""
    kept, gone, accepted = [], [], set()
    for entry in baseline:
        failing = [r for r in entry.resources if Finding(entry.check, entry.file, r) in scan.failed]
        fixed = [r for r in entry.resources if r not in failing]
        if failing:
            kept.append(replace(entry, resources=failing))
        if fixed:
            gone.append(replace(entry, resources=fixed))
        accepted.update(entry.findings())
    new: dict[tuple[str, str], Accepted] = {}
    for f in sorted(set(scan.failed) - accepted):
        new.setdefault((f.check, f.file), Accepted(f.check, f.file, [], "...")).resources.append(f.resource)
    entries = sorted(kept + list(new.values()), key=lambda e: (e.file, e.check, e.resources))
    return entries, gone


def header(path: Path = BASELINE) -> str:
    """The baseline's opening comment, kept when it is rewritten."""
    lines = path.read_text().splitlines(keepends=True)
    return "".join(lines[:next((i for i, line in enumerate(lines) if line.strip() and not line.startswith("#")),
                               len(lines))])


@pytest.fixture(scope="module")
def baseline() -> list[Accepted]:
    return load_baseline()


# ---- the checks ------------------------------------------------------------------------------------

def test_checkov_parses_every_file_under_deploy(scan):
    assert not scan.unparsed, (
        "checkov could not parse " + ", ".join(f"deploy/{f}" for f in scan.unparsed) + ", so none of its "
        "resources were checked. `$CLICKTRAIL_CHECKOV -f FILE` (tools/install-checkov.sh prints the path) "
        "shows where; usually an HCL form its parser (bc-python-hcl2) lacks, such as quoted strings inside "
        "\"${...}\": write the same value another way (join(), format()) and check that `terraform validate` "
        "still passes.")
    missing = FRAMEWORKS_WITH_RESOURCES - scan.frameworks
    assert not missing, (f"checkov's {', '.join(sorted(missing))} scan found nothing under deploy/; "
                         "did a file move, or did checkov change how it finds them?")


def test_no_check_is_skipped_by_a_comment_in_deploy(scan):
    assert not scan.skipped, (
        "checks skipped by a `checkov:skip` comment: " + "; ".join(scan.skipped) + ". Accept a finding in "
        "deploy/checkov-baseline.yaml instead, where every accepted finding and its reason are in one place.")


def test_every_failed_check_is_fixed_or_in_the_baseline(scan, baseline):
    entries, _ = updated_baseline(scan, baseline)
    accepted = {f for e in baseline for f in e.findings()}
    new = [e for e in entries if any(f not in accepted for f in e.findings())]
    if new:
        count = sum(f not in accepted for f in scan.failed)
        pytest.fail(
            f"checkov {scan.version} reports {count} failed check{'s' if count > 1 else ''} that "
            "deploy/checkov-baseline.yaml does not accept. Fix them in deploy/, or accept each: paste its "
            f"entry below into the baseline (or run `{REGENERATE}`) and replace `...` with a reason a "
            "reviewer can check — what the check protects and why that does not apply here, or what "
            f"compensates — or with \"{TO_FIX} <the change>\" for a real finding to be fixed soon.\n\n"
            + to_yaml(new, scan.check_names()),
            pytrace=False)


def test_every_baseline_entry_still_fails(scan, baseline):
    _, gone = updated_baseline(scan, baseline)
    if gone:
        pytest.fail(
            "deploy/checkov-baseline.yaml accepts findings that checkov no longer reports (fixed, renamed or "
            f"removed); remove them, or run `{REGENERATE}`:\n"
            + "\n".join(f"  {f.check} {f.file} {f.resource}" for e in gone for f in e.findings()),
            pytrace=False)


def test_every_baseline_entry_gives_its_reason(baseline):
    problems = [f"{e.check} {e.file} {', '.join(e.resources)}: the reason {problem}"
                for e in baseline if (problem := reason_problem(e.reason))]
    assert not problems, (
        "deploy/checkov-baseline.yaml accepts findings without a real reason:\n  " + "\n  ".join(problems))


# ---- regenerating the baseline ---------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description="Print deploy/checkov-baseline.yaml as it should be now: the "
                                     "entries that still fail, and new findings with `reason: ...`.")
    parser.add_argument("--write", action="store_true", help="write it into deploy/checkov-baseline.yaml")
    args = parser.parse_args()
    checkov = installed_checkov()
    if checkov is None:
        print("checkov is not installed; run tools/install-checkov.sh first", file=sys.stderr)
        return 2
    scan = run_checkov(checkov)
    if problem := version_problem(checkov, scan):
        print(problem, file=sys.stderr)
        return 2
    entries, gone = updated_baseline(scan, load_baseline())
    text = header() + to_yaml(entries, scan.check_names())
    for e in gone:
        print(f"no longer fails, dropped: {e.check} {e.file} {', '.join(e.resources)} (reason was: {e.reason})",
              file=sys.stderr)
    unreasoned = sum(reason_problem(e.reason) is not None for e in entries)
    if args.write:
        BASELINE.write_text(text)
        print(f"wrote {BASELINE.relative_to(REPO_ROOT)}: {len(scan.failed)} findings in {len(entries)} entries"
              + (f"; {unreasoned} need a reason" if unreasoned else ""), file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
