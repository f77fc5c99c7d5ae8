"""A place's board counts one household and one resident in the singular in English (was
"1 households · 1 residents"); Chinese has one form (1 户 · 1 人)."""

import re

from django.urls import reverse


def test_a_place_with_one_household_and_one_resident_says_so_in_the_singular(login, world):
    c = login(world.users.staff)
    c.cookies["django_language"] = "en"
    page = c.get(reverse("place", args=[world.building.id])).content.decode()
    assert re.search(r"2单元 <small>1 household\b", page), page  # 2单元: one door, 201
    assert not re.search(r"\b1 (households|residents)\b", page), page
    page = c.get(reverse("place", args=[world.compound.id])).content.decode()
    assert "3 households · 4 residents" in page, page  # 1号楼 as a row of its compound
    c.cookies["django_language"] = "zh-hans"
    assert "3 户 · 4 人" in c.get(reverse("place", args=[world.compound.id])).content.decode()
