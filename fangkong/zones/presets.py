"""The three policies shipped as data (DOMAIN.md "Risk zones"): an administrator picks one
and edits its rows; nothing here is read at run time except by `actions.policy.install`.

Lifting rules: `clean` days without a new case, counted from the last case inside the zone
(or its start); `round`: an all-negative round held on or after that day of the count.
"""

SEALED_MOVE = ("足不出户，服务上门", "Nobody leaves home; everything comes to the door")
CONTROLLED_MOVE = ("人不出区，严禁聚集；每户每2天可派1人在指定地点错峰取物",
                   "Nobody leaves the area, no gatherings; one person per household every 2 days "
                   "may collect goods at the set place")
PRECAUTION_MOVE = ("强化社会面管控，严格限制人员聚集", "Public places tightly controlled; gatherings strictly limited")


def _type(code, kind, zh, en, severity, colour, move, cadence, pcr, antigen, pool, **kw):
    return dict(code=code, kind=kind, name_zh=zh, name_en=en, severity=severity, colour=colour,
                movement_zh=move[0], movement_en=move[1], cadence_zh=cadence[0],
                cadence_en=cadence[1], pcr_per_week=pcr, antigen_per_week=antigen,
                pool_size=pool, **kw)


# lifting or stepping down a sealed area needs the approval of the street's command (a field
# later than migration 0002, which installs these: `install` leaves out what its model lacks)
SEALED = dict(door_services=True, home_sampling=True, may_leave_home=False, may_leave_area=False,
              called_out=False, lift_approval=True)
CONTROLLED = dict(may_leave_area=False, collect_every_days=2)

PRESETS = [
    {
        "code": "national-2022-early", "name_zh": "全国（2022年初）", "name_en": "National (early 2022)",
        "basis": "新冠肺炎疫情社区防控工作指南（2022年初）",
        "types": [
            _type("sealed", "sealed", "封控区", "Sealed area", 30, "#c0392b", SEALED_MOVE,
                  ("每日1次核酸", "PCR every day"), 7, 0, 1, **SEALED),
            _type("controlled", "controlled", "管控区", "Controlled area", 20, "#e67e22",
                  CONTROLLED_MOVE, ("每2天1次核酸", "PCR every 2 days"), 4, 0, 10,
                  escalate_to="sealed", **CONTROLLED),
            _type("precaution", "precaution", "防范区", "Precaution area", 10, "#f1c40f",
                  PRECAUTION_MOVE, ("每周2次核酸", "PCR twice a week"), 2, 0, 20,
                  escalate_to="sealed"),
        ],
        "lift": [
            dict(zone="sealed", clean=14, round=13, outcome="lift",
                 note=("连续14天无新增感染者，且最后2天全员核酸阴性", "14 days without a new case and an all-negative round in the last 2 days")),
            dict(zone="controlled", clean=14, round=13, outcome="lift",
                 note=("连续14天无新增感染者，且最后2天全员核酸阴性", "14 days without a new case and an all-negative round in the last 2 days")),
            dict(zone="precaution", clean=14, round=None, outcome="lift",
                 note=("连续14天无新增感染者", "14 days without a new case")),
        ],
    },
    {
        "code": "shanghai-2022-04", "name_zh": "上海（2022年4月）", "name_en": "Shanghai (April 2022)",
        "basis": "上海市新冠肺炎疫情防控“三区”划分及管控（2022年4月）",
        "types": [
            _type("sealed", "sealed", "封控区", "Sealed area", 30, "#c0392b", SEALED_MOVE,
                  ("每日1次核酸", "PCR every day"), 7, 0, 1, escalate_to="sealed", **SEALED),
            _type("controlled", "controlled", "管控区", "Controlled area", 20, "#e67e22",
                  CONTROLLED_MOVE, ("每周3次核酸+4次抗原", "3 PCR + 4 antigen tests a week"), 3, 4,
                  10, escalate_to="sealed", **CONTROLLED),
            _type("precaution", "precaution", "防范区", "Precaution area", 10, "#f1c40f",
                  PRECAUTION_MOVE, ("每周1次核酸+6次抗原", "1 PCR + 6 antigen tests a week"), 1, 6,
                  20, escalate_to="sealed"),
        ],
        "lift": [
            dict(zone="sealed", clean=14, round=13, outcome="lift",
                 note=("7天封闭管理+7天居家健康监测，第13天全员核酸阴性后解封（新增病例的楼栋单独封控）",
                       "Sealed 7 days + 7 days home monitoring; lifted after an all-negative round on day 13 "
                       "(a new case keeps only its own building sealed)")),
            dict(zone="controlled", clean=7, round=6, outcome="lift",
                 note=("7天无新增，第6天全员核酸阴性后解除", "7 days without a new case; lifted after an all-negative round on day 6")),
        ],
    },
    {
        "code": "nhc-2022-06-9th", "name_zh": "第九版防控方案（2022年6月）",
        "name_en": "9th edition (June 2022)", "basis": "新型冠状病毒肺炎防控方案（第九版）",
        "types": [
            _type("high", "sealed", "高风险区", "High-risk area", 30, "#c0392b",
                  ("足不出户，上门服务", "Nobody leaves home; services come to the door"),
                  ("前3天每天1次核酸，之后根据结果确定", "PCR every day for the first 3 days, then as results show"),
                  7, 0, 1, escalate_to="high", **SEALED),
            _type("medium", "controlled", "中风险区", "Medium-risk area", 20, "#e67e22",
                  ("人不出区，错峰取物", "Nobody leaves the area; goods collected at staggered times"),
                  ("前3天每天1次核酸，之后根据结果确定", "PCR every day for the first 3 days, then as results show"),
                  3, 0, 10, escalate_to="high", **CONTROLLED),
            _type("low", "precaution", "低风险区", "Low-risk area", 10, "#f1c40f",
                  ("个人防护，避免聚集", "Personal protection; avoid gatherings"),
                  ("按需核酸", "PCR as required"), 1, 0, 20, escalate_to="high"),
        ],
        "lift": [
            dict(zone="high", clean=7, round=7, outcome="step_down", to="medium",
                 note=("连续7天无新增，第7天全员核酸阴性，降为中风险区", "7 days without a new case and an all-negative round on day 7: down to medium")),
            dict(zone="medium", after="high", clean=10, round=None, outcome="step_down", to="low",
                 note=("由高风险区降级后，再连续3天无新增，降为低风险区", "After stepping down from high, 3 more days without a new case: down to low")),
            dict(zone="medium", clean=7, round=7, outcome="step_down", to="low",
                 note=("连续7天无新增，第7天全员核酸阴性，降为低风险区", "7 days without a new case and an all-negative round on day 7: down to low")),
        ],
    },
]

DEFAULT = "shanghai-2022-04"


def install(Policy, ZoneType, LiftRule, activate=DEFAULT):  # noqa: N803 - model classes
    """Create the shipped policies that are missing (an edited one is never overwritten) and
    activate `activate` when none is active. Takes the model classes, so the migration can
    pass its historical ones."""
    for p in PRESETS:
        if Policy.objects.filter(code=p["code"]).exists():
            continue
        policy = Policy.objects.create(code=p["code"], name_zh=p["name_zh"], name_en=p["name_en"],
                                       basis=p["basis"])
        types = {}
        known = {f.name for f in ZoneType._meta.get_fields()}  # a migration's model may not have them all
        for t in p["types"]:
            types[t["code"]] = ZoneType.objects.create(
                policy=policy, **{k: v for k, v in t.items() if k != "escalate_to" and k in known})
        for t in p["types"]:
            if t.get("escalate_to"):
                ZoneType.objects.filter(pk=types[t["code"]].pk).update(
                    escalate_to=types[t["escalate_to"]])
        for r in p["lift"]:
            LiftRule.objects.create(
                zone_type=types[r["zone"]], after=types.get(r.get("after")), clean_days=r["clean"],
                round_day=r["round"], outcome=r["outcome"], to=types.get(r.get("to")),
                note_zh=r["note"][0], note_en=r["note"][1])
    if activate and not Policy.objects.filter(is_active=True).exists():
        Policy.objects.filter(code=activate).update(is_active=True)
