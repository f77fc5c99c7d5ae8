"""Hostile uploads through every route, in a process of their own: per route and file, the
answer, the time and the peak memory. Run by tests/hostile/test_hostile_uploads.py as
`python -m tests.hostile.probe SPEC.json`; prints one JSON line per file, then a summary per
route. The routes run one after the other in this one process (one Django start, not seven).

Peak memory: after a route's warm-up (the route run twice, so its code is loaded), the
process's resident size is that route's baseline. Before each file the kernel's high-water
mark is reset (/proc/self/clear_refs, "5"), so each file's peak is its own. Where that reset
is not allowed (`own_peak` false) the peak is `ru_maxrss`, the peak since the process
started: it can overstate a file's peak (an earlier route's counts), never hide one.
"""

import io
import json
import os
import resource
import sys
import time


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _upload(name: str, content: bytes):
    f = io.BytesIO(content)
    f.name = name
    return f


def _text(response) -> str:
    if response.get("Content-Type", "").startswith("application/json"):
        body = response.json()
        error = body.get("error", {})
        parts = [error.get("message", "")] + [m for v in error.get("fields", {}).values() for m in v]
        parts += [r.get("message", "") for r in error.get("rows", [])]
        return " | ".join(p for p in parts if p)
    import html
    import re

    page = response.content.decode()
    main = page[page.find("<main"):page.find("</main>")]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", main))).strip()


class Routes:
    def __init__(self, spec):
        from django.test import Client

        from fangkong.accounts.models import User

        self.spec = spec
        self.client = Client(HTTP_ACCEPT_LANGUAGE="en")
        user = User.objects.get(username=spec["user"])
        self.client.force_login(user)

    def roster_page(self, name, content):
        from django.urls import reverse

        r = self.client.post(reverse("import_start", args=[self.spec["place"]]),
                             {"file": _upload(name, content)})
        if r.status_code == 302:  # the rows were read: the job's report, rejected
            page = self.client.get(r["Location"])
            return r.status_code, _text(page)
        return r.status_code, _text(r)

    def roster_api(self, name, content):
        r = self.client.post("/api/v1/imports", {"place": self.spec["place"],
                                                 "file": _upload(name, content)})
        return r.status_code, _text(r)

    def roster_worker(self, name, content):
        """Queued for the task worker whatever its size; then the worker runs it."""
        from django.core.management import call_command

        from fangkong.registry.models import ImportJob

        r = self.client.post("/api/v1/imports", {"place": self.spec["place"],
                                                 "file": _upload(name, content)})
        if r.status_code != 202:  # refused in the request, before anything was queued
            return r.status_code, "request: " + _text(r)
        call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
        job = ImportJob.objects.get(pk=r.json()["id"])
        text = " | ".join([job.message] + [e["message"] for e in job.errors])
        return (422 if job.status == ImportJob.Status.REJECTED else 500), f"worker {job.status}: {text}"

    def lab_page(self, name, content):
        from django.urls import reverse

        r = self.client.post(reverse("screening_lab"), {"file": _upload(name, content)})
        return r.status_code, _text(r)

    def lab_parse(self, name, content):
        """The function the lab results file API calls, as the page does."""
        from django.utils import translation

        from fangkong.core.errors import FangkongError
        from fangkong.screening.labfile import parse_lab_file

        with translation.override("en"):
            try:
                rows = parse_lab_file(name, content)
            except FangkongError as e:
                return e.status, " | ".join([str(e.message)] + [r["message"] for r in e.rows])
        return 200, f"{len(rows)} rows"

    def photo_page(self, name, content):
        from django.urls import reverse

        r = self.client.post(reverse("screening_antigen_mine"), {
            "round": self.spec["round"], "household": self.spec["household"],
            "resident": self.spec["resident"], "result": "negative",
            "photo": _upload(name, content)})
        return r.status_code, _text(r)

    def photo_api(self, name, content):
        r = self.client.post(f"/api/v1/screening/rounds/{self.spec['round']}/antigen-results", {
            "resident": self.spec["resident"], "result": "negative",
            "photo": _upload(name, content)})
        return r.status_code, _text(r)


def probe_route(spec: dict) -> None:
    from django.conf import settings

    settings.FANGKONG_IMPORT_INLINE_ROWS = -1 if spec["route"] == "roster_worker" else 2000
    files = {}
    for case in spec["cases"]:
        with open(os.path.join(spec["dir"], case), "rb") as f:
            files[case] = f.read()
    routes = Routes(spec)
    route = getattr(routes, spec["route"])
    warm_name, warm_file = spec["warm_up"]
    with open(os.path.join(spec["dir"], warm_file), "rb") as f:
        warm = f.read()
    for _ in range(2):  # load the route's code: the baseline is the process ready to serve
        route(warm_name, warm)
    baseline_kb = _status_kb("VmRSS")
    maxrss_before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for case in spec["cases"]:
        name = spec["names"][case]
        reset = _reset_peak()
        t = time.perf_counter()
        status, text = route(name, files[case])
        seconds = time.perf_counter() - t
        peak_kb = _status_kb("VmHWM") if reset else resource.getrusage(
            resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({"route": spec["route"], "case": case, "status": status,
                          "text": text[-4000:], "seconds": round(seconds, 3),
                          "peak_mb": round((peak_kb - baseline_kb) / 1024, 1),
                          "own_peak": reset}, ensure_ascii=False), flush=True)
    print(json.dumps({"route": spec["route"], "summary": True, "baseline_mb": round(baseline_kb / 1024, 1),
                      "maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                      "maxrss_before_mb": round(maxrss_before_kb / 1024, 1)}), flush=True)


def main():
    """SPEC.json: {"database_url", "media", "routes": [one route's spec, …]}."""
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    os.environ["DATABASE_URL"] = spec["database_url"]
    os.environ["DJANGO_SETTINGS_MODULE"] = "fangkong.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.MEDIA_ROOT = spec["media"]
    for route in spec["routes"]:
        probe_route(route)


if __name__ == "__main__":
    main()
