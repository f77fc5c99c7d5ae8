"""Dependencies audited (pip-audit) and code scanned (bandit), as .ci/run runs them.

    .venv/bin/python .ci/audit.py

bandit scans fangkong/ (migrations aside); a finding fails the run. Accepted findings are
marked where they occur with the reason and `# nosec <test id>`.

pip-audit looks up every installed package of the project's .venv in PyPI's vulnerability
data; a known vulnerability fails the run unless it is listed in
.ci/accepted-vulnerabilities.txt (one ID a line, then why it is accepted). That data
needs the network: where pip-audit can look up no package at all, this says so plainly
and does not fail (CI must not fail for lack of a network); packages it could not look up
are counted in the summary.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def say(msg):
    print(f"[ci] {msg}", flush=True)


def bandit() -> bool:
    cmd = [str(BIN / "bandit"), "-r", "fangkong", "-x", "fangkong/*/migrations", "-q",
           "-f", "txt"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode == 0:
        say("bandit: no findings in fangkong/ (accepted ones are marked '# nosec' with a reason)")
        return True
    print(proc.stdout[-8000:])
    say("bandit: findings above; fix them, or mark an accepted one where it occurs "
        "with the reason and '# nosec <id>'")
    return False


def accepted() -> list[str]:
    path = ROOT / ".ci" / "accepted-vulnerabilities.txt"
    if not path.exists():
        return []
    return [line.split()[0] for line in path.read_text().splitlines()
            if line.strip() and not line.startswith("#")]


def pip_audit() -> bool:
    ignore = [arg for vid in accepted() for arg in ("--ignore-vuln", vid)]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "audit.json"
        cmd = [str(BIN / "pip-audit"), "--skip-editable", "--progress-spinner", "off",
               "-f", "json", "-o", str(out), *ignore]
        try:
            proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired:
            say("pip-audit: NOT RUN — the vulnerability data did not answer within 10 minutes "
                "(no network to it?); dependencies were not audited")
            return True
        if not out.exists():
            say("pip-audit: NOT RUN — " + (proc.stderr.strip().splitlines() or ["no output"])[-1]
                + "; dependencies were not audited")
            return True
        deps = json.loads(out.read_text()).get("dependencies", [])
    looked_up = [d for d in deps if "skip_reason" not in d]
    skipped = len(deps) - len(looked_up)
    if not looked_up:
        say(f"pip-audit: NOT AUDITED — PyPI's vulnerability data could not be reached from "
            f"this machine for any of the {len(deps)} installed packages (no network to it "
            f"here). Run .ci/audit.py where it can be reached.")
        return True
    found = [(d["name"], d["version"], v["id"], v.get("fix_versions", []))
             for d in looked_up for v in d.get("vulns", [])]
    for name, version, vid, fixes in found:
        say(f"pip-audit: {name} {version}: {vid} (fixed in {', '.join(fixes) or 'no release yet'})")
    note = f" ({skipped} could not be looked up)" if skipped else ""
    if found:
        say(f"pip-audit: {len(found)} known vulnerabilities in {len(looked_up)} packages{note}: "
            "upgrade, or accept one in .ci/accepted-vulnerabilities.txt with the reason")
        return False
    say(f"pip-audit: no known vulnerabilities in {len(looked_up)} packages{note}")
    return True


if __name__ == "__main__":
    ok = bandit()
    ok = pip_audit() and ok
    sys.exit(0 if ok else 1)
