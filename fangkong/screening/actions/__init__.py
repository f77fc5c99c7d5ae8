"""Every write of the screening app, in modules by job. Pages, the API, uploads and the
demo import the module of the job they do:

- `planning`: plan a round, its status, sampling points, samplers, emergency team,
  exemptions, counters;
- `station`: at the sampling table — open and seal tubes, the single online scan, the
  person registered on the spot, conflicts resolved by staff, health-code colours;
- `sync`: the station's offline batch, in steps (`sync_reads`, `sync_writes`); the
  station's events are read by `events`;
- `lab`: boxes to the lab (双签收) and results by tube;
- `followup`: positive pools, single re-tests, home visits.

Who may do what is `screening.access`; a round's area is `screening.areas`; what the
station says when it refuses a scan is `screening.refusals`. Antigen rounds' writes are in
`screening.antigen`.
"""
