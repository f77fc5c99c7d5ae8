"""The lab's pages: its work and the results upload (with the confirm step of a file that
changes results already recorded), and a round's tubes with the results saved for each.
Thin, as every page: reads through `queries`, writes through `actions.lab`."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from fangkong.accounts.roles import Perm
from fangkong.core.errors import Conflict, Invalid, NotFound
from fangkong.core.paging import paginate
from fangkong.core.text import join_words
from fangkong.core.views import actor_of, confirm_step, confirmed, page
from fangkong.registry.queries import place_labels

from . import checks, lab_template, labfile, queries
from .actions import lab as lab_actions
from .models import Result


@page
def lab(request):
    scope = request.scope
    if not scope.has(Perm.SCREENING_LAB):
        raise NotFound()
    ctx, status = {"summary": None, "errors": []}, 200
    if request.method == "POST" and request.POST.get("edit"):
        # "No, go back" from the confirm step: the file held for it is let go, nothing saved
        lab_actions.drop_held(actor_of(request), request.POST.get("upload", ""))
        messages.info(request, _("Nothing of the file was saved."))
        return redirect("screening_lab")
    if request.method == "POST":
        rows, confirm = None, False
        token = request.POST.get("upload", "") if confirmed(request) else ""
        try:
            if token:  # the changes were shown and confirmed: the file held for them
                rows, confirm = _held(request, token), request.POST.get("changes", "")
            else:
                rows = labfile.rows_of_upload(request.FILES.get("file"))
            ctx["summary"] = lab_actions.record_results(actor_of(request), rows, source="upload",
                                                        confirm_changes=confirm)
            lab_actions.drop_held(actor_of(request), token)
            if lab_actions.nothing_saved(ctx["summary"]):  # every row refused: 422, as the API
                ctx["nothing_saved"], status = True, 422
        except Conflict as e:
            if e.code != "confirm_changes":
                raise
            return _confirm_changes(request, rows, e, token)
        except Invalid as e:  # the file arrived but cannot be used: 422, as the API
            labels = labfile.column_labels()
            ctx["error"], status = e.message, 422
            ctx["errors"] = [dict(r, label=labels.get(r.get("column"), "")) for r in e.rows]
    ctx["time_examples"] = checks.time_examples()
    ctx["work"] = queries.lab_work(scope)  # after the upload: what is still waiting, not what was
    ctx["retests"] = sum(len(r.retests) for r in ctx["work"])
    return render(request, "screening/lab.html", ctx, status=status)


@page
def lab_template_file(request):
    """The results template (.xlsx), its rows the tubes this lab has received and not yet
    reported: the operator fills in the results and uploads it back above."""
    if not request.scope.has(Perm.SCREENING_LAB):
        raise NotFound()
    return lab_template.download(request.scope)


def _held(request, token) -> list[dict]:
    rows = queries.held_lab_file(actor_of(request), token)
    if rows is None:
        raise Invalid(_("This file is no longer held for confirmation (it is kept for 30 minutes): "
                        "upload it again."))
    return rows


def _confirm_changes(request, rows, e, token=""):  # nosec B107 -- the held file's key (a random id), not a password
    """The changes a file makes to results already recorded, one line each, before anything
    of it is saved; "yes" applies the file held for the lab (`actions.lab.hold_file`: in
    the database, whichever app server answers), for exactly these changes (their
    fingerprint: changed meanwhile, the lab is asked again); "no" lets the file go."""
    token = lab_actions.hold_file(actor_of(request), rows, token)
    lines = [e.message]
    for c in e.extra["changes"]:
        line = _("Row %(row)s · tube %(code)s (%(round)s): %(old)s → %(new)s.") % {
            "row": c["row"], "code": c["barcode"], "round": c["round"], "old": c["old_label"],
            "new": c["new_label"]}
        lines.append(_("%(line)s %(effect)s.") % {"line": line, "effect": c["effect"]} if c["effect"] else line)
    return confirm_step(
        request, title=_("This file changes results already recorded"), lines=lines,
        warn=_("Nothing of the file is saved until you confirm. Each change is kept in the tube's "
               "history and the community's staff are told of it."),
        yes=_("Apply the file and these changes"), back=reverse("screening_lab"), back_post=True,
        fields=[("upload", token), ("changes", e.extra["confirm"])])


@page
def tube_results(request, pk):
    """A round's tubes and what the lab saved for each (the lab reads back its uploads):
    single re-tests first, filtered by result."""
    rnd = queries.get_round_results(request.scope, pk)
    which = request.GET.get("result", "")
    which = which if which in queries.RESULT_FILTERS else ""
    rows = paginate(request, queries.tube_results(request.scope, rnd, which))
    filters = [("", _("All"))] + [(v, str(Result(v).label)) for v in Result.values] + [
        ("none", _("No result yet")), ("retest", _("Single re-tests"))]
    part = queries.results_part(request.scope, rnd)  # a part of the round: said whose tubes these are
    where = join_words(place_labels(part).values()) if part else ""
    return render(request, "screening/results.html", {"round": rnd, "rows": rows, "which": which,
                                                       "filters": filters, "part": where})
