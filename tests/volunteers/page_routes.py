"""Who gets what on the volunteer pages (checked by tests/test_page_routes.py, which
explains the columns). The scene: community A's call (for everyone approved in A), an
approved volunteer lent to community B and assigned to the call, a pending one, a team and
the community's join link."""

from tests.test_page_routes import POST, PUBLIC, Page

PAGES = {
    "volunteers_home": Page(lambda w: "/volunteers/", "302 404 404 200 404 404 404 404 302 302 200 200"),
    "volunteers_me": Page(lambda w: "/volunteers/me/", "302 404 404 404 404 404 404 404 404 404 404 404"),
    "volunteers_me_statement": Page(lambda w: "/volunteers/me/hours.pdf", "302 404 404 404 404 404 404 404 404 404 404 404"),
    "volunteers_login": Page(lambda w: "/volunteers/login/", PUBLIC),
    "volunteers_community": Page(lambda w: f"/volunteers/c/{w.community.id}/", "302 404 404 404 404 404 404 404 200 404 200 200"),
    "volunteers_people": Page(lambda w: f"/volunteers/c/{w.community.id}/people/", "302 404 404 404 404 404 404 404 200 404 200 200"),
    "volunteers_teams": Page(lambda w: f"/volunteers/c/{w.community.id}/teams/", "302 404 404 404 404 404 404 404 200 404 200 200"),
    "volunteers_calls": Page(lambda w: f"/volunteers/c/{w.community.id}/calls/", "302 404 404 404 404 404 404 404 200 404 200 200"),
    "volunteers_call_new": Page(lambda w: f"/volunteers/c/{w.community.id}/calls/new/", "302 404 404 404 404 404 404 404 200 404 403 403"),
    "volunteers_honour": Page(lambda w: f"/volunteers/c/{w.community.id}/honour/", "302 404 404 404 404 404 404 404 200 404 200 200"),
    "volunteers_poster": Page(lambda w: f"/volunteers/c/{w.community.id}/poster/", "302 404 404 404 404 404 404 404 200 404 403 403"),
    "volunteers_export": Page(lambda w: f"/volunteers/c/{w.community.id}/hours-team.xlsx", "302 404 404 404 404 404 404 404 200 404 200 200"),
    "volunteers_person": Page(lambda w: f"/volunteers/people/{w.pending.id}/", "302 404 404 404 404 404 404 404 200 404 200 200"),
    "volunteers_person_statement": Page(lambda w: f"/volunteers/people/{w.pending.id}/hours.pdf",
                                        "302 404 404 404 404 404 404 404 200 404 200 200"),
    "volunteers_decide": Page(lambda w: f"/volunteers/people/{w.pending.id}/decide/", "302 404 404 404 404 404 404 404 302 404 403 403",
                              method=POST),
    "volunteers_lend": Page(lambda w: f"/volunteers/people/{w.approved.id}/lend/", "302 404 404 404 404 404 404 404 302 404 302 302",
                            method=POST),
    "volunteers_end_loan": Page(
        lambda w: f"/volunteers/people/{w.approved.id}/loans/{w.loan.id}/end/", "302 404 404 404 404 404 404 404 302 404 403 403", method=POST),
    "volunteers_team": Page(lambda w: f"/volunteers/teams/{w.team.id}/", "302 404 404 404 404 404 404 404 200 404 200 200"),
    "volunteers_call": Page(lambda w: f"/volunteers/calls/{w.call.id}/", "302 404 404 404 404 404 404 404 200 404 200 200"),
    "volunteers_call_sign_up": Page(lambda w: f"/volunteers/calls/{w.call.id}/sign-up/", "302 404 404 404 404 404 404 404 302 404 302 302",
                                    method=POST),
    "volunteers_call_cancel": Page(lambda w: f"/volunteers/calls/{w.call.id}/cancel/", "302 404 404 404 404 404 404 404 404 404 404 404",
                                   method=POST),
    "volunteers_call_assign": Page(lambda w: f"/volunteers/calls/{w.call.id}/assign/", "302 404 404 404 404 404 404 404 302 404 404 404",
                                   method=POST),
    "volunteers_call_slots": Page(lambda w: f"/volunteers/calls/{w.call.id}/slots/", "302 404 404 404 404 404 404 404 302 404 403 403",
                                  method=POST),
    "volunteers_call_close": Page(lambda w: f"/volunteers/calls/{w.call.id}/close/", "302 404 404 404 404 404 404 404 200 404 403 403",
                                  method=POST),
    # staff call a call off (asked first, with a reason: empty, the page says so), move it
    # (asked first; nothing changed: the page says so) or message its people (asked first; empty:
    # the page says so); command sees the call and may not (403)
    "volunteers_call_cancel_call": Page(lambda w: f"/volunteers/calls/{w.call.id}/cancel-call/",
                                        "302 404 404 404 404 404 404 404 302 404 403 403", method=POST),
    "volunteers_call_change": Page(lambda w: f"/volunteers/calls/{w.call.id}/change/",
                                   "302 404 404 404 404 404 404 404 302 404 403 403", method=POST),
    "volunteers_call_message": Page(lambda w: f"/volunteers/calls/{w.call.id}/message/",
                                    "302 404 404 404 404 404 404 404 302 404 403 403", method=POST),
    # staff call more people (补充召集: asked first; no number, the page says so); command sees
    # the call and may not (403)
    "volunteers_call_refill": Page(lambda w: f"/volunteers/calls/{w.call.id}/refill/",
                                   "302 404 404 404 404 404 404 404 302 404 403 403", method=POST),
    "volunteers_call_attendance": Page(lambda w: f"/volunteers/calls/{w.call.id}/attendance.xlsx", "302 404 404 404 404 404 404 404 200 404 200 200"),
    "volunteers_day_attendance": Page(lambda w: f"/volunteers/c/{w.community.id}/attendance.xlsx", "302 404 404 404 404 404 404 404 200 404 200 200"),
    "volunteers_call_qr": Page(lambda w: f"/volunteers/calls/{w.call.id}/qr/", "302 404 404 404 404 404 404 404 200 404 404 404"),
    "volunteers_assignment_cancel": Page(
        # staff: the confirm step ("把 … 从这次召集中移除？"): a removal is asked first
        lambda w: f"/volunteers/assignments/{w.assignment.id}/cancel/", "302 404 404 404 404 404 404 404 200 404 403 403", method=POST),
    "volunteers_attend": Page(lambda w: f"/volunteers/assignments/{w.assignment.id}/attend/",
                              "302 404 404 404 404 404 404 404 302 404 403 403", method=POST),
    # a check-in undone (none recorded: said on the call's page), a place settled after its
    # shift (not over yet: said on the list's page); command sees them and may not (403)
    "volunteers_undo_check_in": Page(lambda w: f"/volunteers/assignments/{w.assignment.id}/undo-check-in/",
                                     "302 404 404 404 404 404 404 404 302 404 403 403", method=POST),
    "volunteers_settle": Page(lambda w: f"/volunteers/assignments/{w.assignment.id}/settle/",
                              "302 404 404 404 404 404 404 404 302 404 403 403", method=POST),
    # the list to settle (待核定): staff, and command reading it (no forms)
    "volunteers_unsettled": Page(lambda w: f"/volunteers/c/{w.community.id}/unsettled/",
                                 "302 404 404 404 404 404 404 404 200 404 200 200"),
    # a volunteer's own check-out from the call's page: nobody here holds a place on it
    "volunteers_call_check_out": Page(lambda w: f"/volunteers/calls/{w.call.id}/check-out/",
                                      "302 404 404 404 404 404 404 404 404 404 404 404", method=POST),
    "volunteers_correct": Page(lambda w: f"/volunteers/assignments/{w.assignment.id}/correct/",
                               "302 404 404 404 404 404 404 404 302 404 403 403", method=POST),
    # as the call's page: those who may not see the call find no QR page either
    "volunteers_scan": Page(lambda w: f"/volunteers/scan/{w.call.token}/", "302 404 404 404 404 404 404 404 200 404 200 200"),
    "volunteers_join": Page(lambda w: f"/join/{w.link.token}/", PUBLIC),
    "volunteers_join_code": Page(lambda w: f"/join/{w.link.token}/code/", PUBLIC, method=POST),
    "volunteers_join_homes": Page(lambda w: f"/join/{w.link.token}/homes/?home_q=101", PUBLIC),
}
