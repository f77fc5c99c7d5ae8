"""The demo's accounts: one for every role, placed in the standard district, all with the
password `DEMO_PASSWORD` (the README and `manage.py demo_logins` print them)."""

from django.contrib.auth.hashers import make_password

from fangkong.accounts import actions as account_actions
from fangkong.accounts.models import User
from fangkong.accounts.roles import Role
from fangkong.registry.models import Household, Place, Relation

from .context import Demo

DEMO_PASSWORD = "fangkong-demo"  # demo data or a column name, not a secret  # nosec B105

# Demo accounts: (username, role, where, display name). "where" names a place by its path
# below the district ("" is the district); the resident's household is found in build().
DEMO_USERS = [
    ("command_yingze", Role.COMMAND, "", "王建华"),
    ("command_qiaodong", Role.COMMAND, "桥东街道", "李志刚"),
    ("staff_guangming", Role.STAFF, "桥东街道/光明社区", "赵静"),
    ("staff_shuangta", Role.STAFF, "桥东街道/双塔社区", "刘丽萍"),
    ("staff_huize", Role.STAFF, "迎泽街道/惠泽苑社区", "孙海燕"),
    ("staff_qingnian", Role.STAFF, "迎泽街道/青年路社区", "杨帆"),
    ("grid_guangming", Role.GRID, "桥东街道/光明社区/第一网格", "郭晓东"),
    ("grid_huize_1", Role.GRID, "迎泽街道/惠泽苑社区/第一网格", "张伟"),
    ("grid_huize_2", Role.GRID, "迎泽街道/惠泽苑社区/第二网格", "武丽娜"),
    ("grid_huize_3", Role.GRID, "迎泽街道/惠泽苑社区/第三网格", "贾鹏飞"),
    ("grid_huize_4", Role.GRID, "迎泽街道/惠泽苑社区/第四网格", "郝文静"),
    # 3号楼's building leader (楼栋长: orders for its doors, reads its services page); the
    # volunteer team 封控五组 is led by volunteer_demo (demo/volunteers.py) — demo_logins says so
    ("leader_guangming", Role.LEADER, "桥东街道/光明社区/第一网格/光明小区/3号楼", "梁建军"),
    ("volunteer_demo", Role.VOLUNTEER, "桥东街道/光明社区", "田晓燕"),
    ("lab_demo", Role.LAB, "", "韩磊"),
    ("supplier_demo", Role.SUPPLIER, "桥东街道/光明社区", "美特好超市"),  # serves 光明
    ("resident_demo", Role.RESIDENT, "桥东街道/光明社区/第一网格/光明小区/3号楼", ""),
]
DEMO_USERNAMES = [u[0] for u in DEMO_USERS]



def build(demo: Demo):
    """The accounts, once the district and its residents exist (the resident's account is
    the head of a household of the demo)."""
    demo.summary.users = _demo_users(demo.actor, demo.district)


def flush():
    """Delete the demo accounts."""
    User.objects.filter(username__in=DEMO_USERNAMES).delete()


def _find(district: Place, path: str) -> Place:
    place = district
    for name in filter(None, path.split("/")):
        place = Place.objects.get(parent=place, name=name)
    return place


def _demo_users(actor, district: Place) -> int:
    password_hash = make_password(DEMO_PASSWORD)  # once: Argon2 is slow on purpose
    created = []
    for n, (username, role, path, display) in enumerate(DEMO_USERS, 1):
        place = _find(district, path)
        household = None
        phone = f"1370351{n:04d}"
        if role == Role.RESIDENT:
            household, head = _resident_household(place)
            display, phone = head.name, head.phone or phone
        # No password here (hashing ~18 times would take seconds); the shared hash below.
        user = account_actions.create_user(actor, username, None, place=household or place,
                                           display_name=display,
                                           phone=phone, check_password=False)
        account_actions.grant(actor, user, role, place, household=household)
        created.append(user.pk)
    User.objects.filter(pk__in=created).update(password=password_hash)
    return len(created)


def _resident_household(building: Place):
    """The demo resident's home: the first household of at least two in the building whose
    head has a mobile phone."""
    for hh in Household.objects.filter(building_id=building.id).order_by("unit_id", "sort_key", "id"):
        people = list(hh.residents.order_by("id"))
        head = next((r for r in people if r.relation == Relation.HEAD), None)
        if len(people) >= 2 and head and head.phone.startswith("1"):
            return hh, head
    hh = Household.objects.filter(building_id=building.id).order_by("id").first()
    return hh, hh.residents.order_by("id").first()


def demo_accounts():
    """[(user, membership)] of the demo accounts that exist, in the order of DEMO_USERS."""
    users = {u.username: u for u in User.objects.filter(username__in=DEMO_USERNAMES)
             .prefetch_related("memberships__place")}
    out = []
    for username in DEMO_USERNAMES:
        user = users.get(username)
        if user is not None:
            m = next(iter(user.memberships.all()), None)
            out.append((user, m))
    return out
