"""Who gets what on the testing-round pages (checked by tests/test_page_routes.py, which
explains the columns). The scene: community A's running PCR round (tube T0001 holding
于海涛's swab; a sampler, `sampler=`, at its table 2 with 夏明's home visit given to them) and a
running antigen round where 苏霞's household reported her result with a photo. The sampler
answers as the volunteer but where a row says: their station, boxes, follow-ups and own home
visits (200), the round's page (302, to the station)."""

from tests.test_page_routes import POST, Page

PAGES = {
    "screening_home": Page(lambda w: "/screening/", "302 404 404 200 404 200 200 200 200 200 200 200"),
    "screening_alert": Page(lambda w: f"/screening/alert/?place={w.community.id}", "302 404 404 404 404 404 404 404 200 404 200 200"),
    "screening_plan": Page(lambda w: "/screening/plan/", "302 404 404 404 404 404 404 404 404 404 404 404", method=POST),
    "screening_lab": Page(lambda w: "/screening/lab/", "302 404 404 404 404 200 404 404 404 404 404 404"),
    "screening_lab_template": Page(lambda w: "/screening/lab/template.xlsx", "302 404 404 404 404 200 404 404 404 404 404 404"),
    "screening_advisor": Page(lambda w: "/screening/advisor/", "302 404 404 404 404 200 200 200 200 200 200 200"),
    "screening_mine": Page(lambda w: "/screening/mine/", "302 404 302 404 404 404 404 404 404 404 404 404"),
    "screening_my_home_visits": Page(lambda w: "/screening/home-visits/mine/", "302 404 404 404 404 404 404 404 404 404 404 404", sampler=200),
    # no swab at the door: the sampler given 夏明's visit, and who runs him (an empty POST asks first)
    "screening_home_door": Page(lambda w: f"/screening/home-visits/{w.home_visit.id}/door/",
                                "302 404 404 404 404 404 404 200 200 404 404 404", method=POST, sampler=200),
    "screening_household": Page(lambda w: f"/screening/households/{w.hh101.id}/", "302 404 200 404 404 404 200 200 200 404 200 200"),
    "screening_round": Page(lambda w: f"/screening/rounds/{w.round.id}/", "302 404 404 404 404 404 200 200 200 404 200 200", sampler=302),
    "screening_status": Page(lambda w: f"/screening/rounds/{w.round.id}/status/", "302 404 404 404 404 404 404 404 302 404 403 403",
                             method=POST),
    "screening_emergency_team": Page(lambda w: f"/screening/rounds/{w.round.id}/emergency-team/",
                                     "302 404 404 404 404 404 404 404 302 404 403 403", method=POST),
    "screening_recount": Page(lambda w: f"/screening/rounds/{w.round.id}/recount/", "302 404 404 404 404 404 404 404 302 404 302 302",
                              method=POST),
    "screening_tube_seal": Page(lambda w: f"/screening/rounds/{w.round.id}/tubes/{w.round.tubes.get(barcode='T0001').id}/seal/",
                                "302 404 404 404 404 404 403 200 200 404 403 403", method=POST),
    "screening_station": Page(lambda w: f"/screening/rounds/{w.round.id}/station/", "302 404 404 404 404 404 403 200 200 404 403 403", sampler=200),
    "screening_missing": Page(lambda w: f"/screening/rounds/{w.round.id}/missing/", "302 404 404 404 404 404 200 200 200 404 200 200"),
    "screening_missing_export": Page(lambda w: f"/screening/rounds/{w.round.id}/missing.xlsx", "302 404 404 404 404 404 404 200 200 404 200 200"),
    "screening_missing_row": Page(lambda w: f"/screening/rounds/{w.round.id}/missing/{w.su.id}/",
                                  "302 404 404 404 404 404 404 302 302 404 403 403", method=POST),
    "screening_home_list": Page(lambda w: f"/screening/rounds/{w.round.id}/home/", "302 404 404 404 404 404 404 200 200 404 404 404"),
    "screening_home_add": Page(lambda w: f"/screening/rounds/{w.round.id}/home/{w.su.id}/", "302 404 404 404 404 404 404 302 302 404 403 403",
                               method=POST),
    "screening_exemptions": Page(lambda w: f"/screening/rounds/{w.round.id}/exemptions/", "302 404 404 404 404 404 404 200 200 404 404 404"),
    "screening_conflicts": Page(lambda w: f"/screening/rounds/{w.round.id}/conflicts/", "302 404 404 404 404 404 404 200 200 404 404 404"),
    "screening_boxes": Page(lambda w: f"/screening/rounds/{w.round.id}/boxes/", "302 404 404 404 404 200 403 200 200 404 403 403", sampler=200),
    "screening_points": Page(lambda w: f"/screening/rounds/{w.round.id}/points/", "302 404 404 404 404 404 403 200 200 404 403 403"),
    "screening_results": Page(lambda w: f"/screening/rounds/{w.round.id}/results/", "302 404 404 404 404 200 200 200 200 404 200 200"),
    "screening_followups": Page(lambda w: f"/screening/rounds/{w.round.id}/followups/", "302 404 404 404 404 404 404 200 200 404 404 404", sampler=200),
    "screening_antigen": Page(lambda w: f"/screening/rounds/{w.antigen.id}/antigen/", "302 404 404 404 404 404 200 200 200 404 200 200"),
    "screening_antigen_door": Page(lambda w: f"/screening/rounds/{w.antigen.id}/antigen/door/", "302 404 404 404 404 404 403 200 200 404 403 403"),
    "screening_antigen_remind": Page(lambda w: f"/screening/rounds/{w.antigen.id}/antigen/remind/", "302 404 404 404 404 404 404 200 200 404 403 403"),
    "screening_antigen_mine": Page(lambda w: "/screening/antigen/mine/", "302 404 200 404 404 404 404 404 404 404 404 404"),
    "screening_antigen_photo": Page(lambda w: f"/screening/antigen/photos/{w.photo.id}/", "302 404 200 404 404 404 200 200 200 404 200 200"),
    # the scene's result is negative, never corrected: no positive's photo to show anyone
    "screening_antigen_positive_photo": Page(lambda w: f"/screening/antigen/photos/{w.photo.id}/positive/",
                                             "302 404 404 404 404 404 404 404 404 404 404 404"),
    # correcting a positive: the community's staff (the scene's result is not positive: said
    # on the overview, 302); who sees the result but may not correct it, 403
    "screening_antigen_correct": Page(lambda w: f"/screening/rounds/{w.antigen.id}/antigen/results/{w.photo.id}/correct/",
                                      "302 404 404 404 404 404 403 403 302 404 403 403", method=POST),
}
