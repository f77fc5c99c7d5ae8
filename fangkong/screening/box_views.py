"""The transport boxes of a round (装箱 → 转运 → 实验室签收): packing sealed tubes into a
box at the point, the courier's and the lab's two-party signatures (each asked first: it
cannot be undone), and the tubes still in no box. Thin, as every page: reads through
`queries`, writes through `actions.lab`."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.core.errors import Invalid
from fangkong.core.text import join_words
from fangkong.core.views import actor_of, confirm_step, confirmed, flash_error, page

from . import access, queries
from .actions import lab as lab_actions
from .models import Box, Handover


@page
def boxes(request, pk):
    actor = actor_of(request)
    rnd = queries.get_round_boxes(actor, pk)
    packing = {}  # a refused packing: the box's scanned codes kept as typed, each error beside them
    if request.method == "POST":
        what = request.POST.get("do")
        try:
            if what == "create":
                lab_actions.create_box(actor, rnd, request.POST.get("code"), lab=request.POST.get("lab"))
            elif what == "send":  # the lab the box is sent to, named or changed before it arrives
                box = queries.get_box(actor, rnd, request.POST.get("box"))
                box = lab_actions.send_box(actor, box, request.POST.get("lab"))
                messages.success(request, _("Box %(code)s is sent to %(lab)s.") % {"code": box.code, "lab": box.lab})
            elif what == "pack":
                box = queries.get_box(actor, rnd, request.POST.get("box"))
                codes = request.POST.get("tubes", "").replace(",", "\n").split()
                n = lab_actions.pack_tubes(actor, box, codes)
                messages.success(request, ngettext("%(n)d tube packed.", "%(n)d tubes packed.", n) % {"n": n})
            elif what == "handover":
                box = queries.get_box(actor, rnd, request.POST.get("box"))
                signed = request.POST.get("given_by", "").strip() and request.POST.get("received_by", "").strip()
                if request.POST.get("stage") == Handover.Stage.LAB and signed and not confirmed(request):
                    access.require_handover(actor, rnd, Handover.Stage.LAB, box)  # asked only of the lab
                    return _confirm_receipt(request, rnd, box)
                if (request.POST.get("stage") == Handover.Stage.PICKUP and signed and box.state == Box.State.PACKING
                        and not confirmed(request) and box.tubes.exists()):  # an empty box: refused at once
                    access.require_handover(actor, rnd, Handover.Stage.PICKUP)  # asked only of who may sign
                    return _confirm_pickup(request, rnd, box)
                marks = _marks(request.POST)
                lab_actions.hand_over(actor, box, request.POST.get("stage"), request.POST.get("given_by"),
                                      request.POST.get("received_by"), **marks)
                n = box.tubes.count()
                messages.success(request, (
                    ngettext("Received box %(code)s, %(n)d tube.", "Received box %(code)s, %(n)d tubes.", n)
                    if box.state == Box.State.AT_LAB else
                    ngettext("Box %(code)s is with the courier, %(n)d tube.",
                             "Box %(code)s is with the courier, %(n)d tubes.", n)) % {"code": box.code, "n": n})
                lost = marks["missing"] + marks["damaged"]
                if lost and box.state == Box.State.AT_LAB:
                    messages.warning(request, ngettext(
                        "%(n)d tube marked missing or damaged (%(codes)s): recorded invalid, its people are "
                        "to be sampled again and the community is told.",
                        "%(n)d tubes marked missing or damaged (%(codes)s): recorded invalid, their people are "
                        "to be sampled again and the community is told.", len(lost))
                        % {"n": len(lost), "codes": join_words(lost)})
            return redirect("screening_boxes", pk=rnd.id)
        except Invalid as e:
            if what != "pack" or not e.rows:
                flash_error(request, e)
                return redirect("screening_boxes", pk=rnd.id)
            packing = {"box": box.id, "text": request.POST.get("tubes", ""), "message": str(e.message),
                       "errors": [str(r["message"]) for r in e.rows]}
    can_pack = access.can_sample(actor, rnd)  # a lab operator only receives boxes
    own = actor.user if queries.lab_only(request.scope, rnd) else None  # a lab: its own boxes
    rows = queries.boxes(rnd, lab=own)
    for b in rows:  # the lab's signature is offered only to the lab the box is sent to
        b.lab_signs = b.state == Box.State.IN_TRANSIT and access.is_lab_of(actor, b, rnd)
    return render(request, "screening/boxes.html", {
        "round": rnd, "boxes": rows, "stages": Handover.Stage.choices, "packing": packing,
        "can_pack": can_pack, "labs": access.lab_choices(rnd) if can_pack else [],
        "only_lab": access.only_lab_id(rnd),
        "State": Box.State, **_loose(rnd)})


def _confirm_receipt(request, rnd, box):
    """The lab signs for a box (双签收, not undone): the names said first, and the box's tubes
    listed, each to mark missing or damaged (`lab.hand_over`: recorded invalid, its people
    sampled again) — a tube lost on the way no longer vanishes without a trace."""
    tubes = list(box.tubes.order_by("-retest", "barcode").only("barcode", "retest"))
    n = len(tubes)
    fields = [(k, v) for k, vs in request.POST.lists() if k not in ("csrfmiddlewaretoken", "confirm")
              and not k.startswith("lost_") for v in vs]
    return render(request, "screening/box_receive.html", {
        "title": _("Receive box %(code)s at the lab?") % {"code": box.code},
        "lines": [ngettext("%(n)d tube in the box.", "%(n)d tubes in the box.", n) % {"n": n},
                  _("Handed over by %(given)s, received by %(received)s.") % {
                      "given": request.POST["given_by"].strip(), "received": request.POST["received_by"].strip()}],
        "warn": _("This signs the hand-over for both of you and cannot be undone: each tube counts "
                  "as at the lab from now on."),
        "tubes": tubes, "fields": fields, "yes": _("Receive the box"), "action": request.get_full_path(),
        "back": reverse("screening_boxes", args=[rnd.id])})


def _marks(post) -> dict:
    """The tubes the lab marked on its receipt (`lost_<barcode>`: missing or damaged)."""
    out = {"missing": [], "damaged": []}
    for key, value in post.items():
        if key.startswith("lost_") and value in out:
            out[value].append(key[len("lost_"):])
    return out


def _confirm_pickup(request, rnd, box):
    """The courier takes a box at the point (双签收, not undone: the box cannot be packed
    again): which box, from where, its tubes and both names said first."""
    tubes = list(box.tubes.order_by("barcode").values_list("barcode", flat=True))
    n = len(tubes)
    where = " · ".join(x for x in (rnd.name, str(box.point) if box.point_id else "") if x)
    return confirm_step(
        request, title=_("Hand box %(code)s to the courier?") % {"code": box.code},
        lines=[where, ngettext("%(n)d tube in the box.", "%(n)d tubes in the box.", n) % {"n": n},
               join_words(tubes[:20]) + ("…" if n > 20 else ""),
               _("Handed over by %(given)s, received by %(received)s.") % {
                   "given": request.POST["given_by"].strip(), "received": request.POST["received_by"].strip()}],
        warn=_("This signs the hand-over for both of you and cannot be undone: the box is closed, and "
               "its tubes count as with the courier from now on."),
        yes=_("Yes, the courier takes box %(code)s") % {"code": box.code},
        back=reverse("screening_boxes", args=[rnd.id]))


def _loose(rnd) -> dict:
    """Sealed tubes in no box, single re-tests (单采复核, urgent) first and counted apart."""
    loose = [t for t in queries.tubes_not_at_lab(rnd) if not t.box_id]
    return {"sealed_loose": [t for t in loose if not t.retest], "urgent": [t for t in loose if t.retest]}
