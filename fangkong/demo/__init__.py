"""The demo builder: a realistic, deterministic district to try Fangkong on, and city-scale
data for benchmarks. `manage.py demo` builds it, `manage.py demo_logins` prints its accounts.

The standard demo is one district (迎泽区, 140106) with two street offices and four
communities, laid out after the April 2022 newspaper story in `docs/` and DOMAIN.md:

- 光明社区: one compound, 光明小区 (a power-plant staff compound), 308 households whose
  residents average over 70 — many living alone, bedridden, with limited mobility, on
  dialysis, without smartphones;
- 惠泽苑社区: 4 grids, 11 compounds, 962 households, 3,046 residents;
- 双塔社区 and 青年路社区: two smaller, ordinary communities;

plus one demo account for every role (password `accounts.DEMO_PASSWORD`), volunteers with
a team and calls, zones (光明小区 controlled from 05:00 yesterday by notice No. 17, its
3号楼 sealed by notice No. 18 from 05:00) and testing rounds in progress over them. `build(residents=N)` adds generated
communities of about 2,000 residents in further streets and districts until the total is
N (1,000,000 → about 500 communities), for benchmarks.

One part per app, run by `driver.build` in the order of `driver.PARTS`; each part is a module with
`build(demo: context.Demo)` and, if it leaves rows a reset must remove that the registry's
reset does not reach, `flush()`. A new app adds its module here and its place in `PARTS`.

Determinism: the same seed and the same reference date (`as_of`, by default 1 January of
the current year, so a build is the same all year) give the same rows, byte for byte,
except where the design forbids it: `id_enc` (Fernet encryption uses a random IV),
`id_hash` (keyed by the install's FANGKONG_HASH_KEY), the created/updated timestamps
(the build time) and primary keys (they continue the database's sequences).
`registry.digest()` summarises everything else.

People are fictional: names drawn with realistic surname frequencies (Shanxi-flavoured)
and era-typical given names; ID numbers are well formed (real region codes, the birth
date, a sequence whose parity is the sex, a valid check digit) but made up; mobile numbers
are distinct by construction.
"""
