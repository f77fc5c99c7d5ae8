"""Every write to volunteers, teams, calls and attendance, in modules by job. Pages and the
API call these; who may do what is decided in `volunteers.access`.

- `registration` — the registration link, phone codes, register/approve/reject, loans
- `teams` — teams and their members and leader
- `calls` — create and publish a call, assign someone, change its slots, call more people
  (`refill`), close it
- `answers` — a volunteer answers a call (`sign_up`) or gives up their place (`cancel`)
- `slots` — the call's counters, waitlist, clashes and promotion (used by the above)
- `attendance` — check-in/out by QR, attendance confirmed by a leader, minutes, hours export
- `notices` — the call's text and the notifications the actions send

Each action checks the actor's permission on the object (outside the actor's scope:
NotFound, exactly like a missing object), validates through `checks`, writes atomically
and leaves an audit event.
"""
