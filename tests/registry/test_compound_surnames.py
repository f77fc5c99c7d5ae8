"""A compound surname (欧阳, 司马, 万俟 …) is both its characters: 欧阳娜娜 is found by her
given name alone ("nana") and in the order of a passport ("Nana Ouyang"), as 吕保国 is by
"baoguo"; surnames read otherwise than their characters (万俟 "moqi") are found by their
reading. Residents stored before keep working: migration 0014 computes their keys again."""

import pytest
from django.db import connection

from fangkong.accounts.scope import Scope
from fangkong.core.text import given_key, name_keys
from fangkong.registry import actions as reg
from fangkong.registry import queries

from .test_migration_pinyin_given import _migrate, migrations  # noqa: F401 - the fixture


def test_keys_of_compound_surnames():
    assert given_key("欧阳娜娜") == "nanaouyang" and name_keys("欧阳娜娜") == ("ouyangnana", "oynn")
    assert given_key("司马光") == "guangsima"
    assert given_key("万俟卨") == "xiemoqi" and name_keys("万俟卨")[0] == "moqixie"
    assert given_key("单于大") == "dachanyu"
    # a two-character name is a surname and a given name; a single 单 is still "shan"
    assert given_key("欧阳") == "yangou" and given_key("吕保国") == "baoguolv"
    assert name_keys("单雄信")[0] == "shanxiongxin"


@pytest.mark.django_db
def test_found_by_given_name_and_passport_order(world, system):
    nana = reg.create_resident(system, world.hh102, {"name": "欧阳娜娜", "relation": "子女"})
    for typed in ("nana", "Nana Ouyang", "ouyang", "oynn", "欧阳娜娜"):
        _kind, rows = queries.search(Scope.for_user(world.users.staff), typed)
        assert nana.id in [r.id for r in rows], typed


@pytest.mark.django_db(transaction=True)
def test_the_migration_computes_stored_keys_again(migrations, world, system):  # noqa: F811
    nana = reg.create_resident(system, world.hh102, {"name": "欧阳娜娜", "relation": "子女"})
    with connection.cursor() as cur:  # as the code before stored her
        cur.execute("UPDATE registry_resident SET pinyin_given = 'yangnanaou' WHERE id = %s", [nana.pk])
    try:
        _migrate("0013_resident_pinyin_given_index")
        _migrate(None)
    finally:
        _migrate(None)
    with connection.cursor() as cur:
        cur.execute("SELECT pinyin_given FROM registry_resident WHERE id = %s", [nana.pk])
        assert cur.fetchone()[0] == "nanaouyang"
        cur.execute("SELECT pinyin_given FROM registry_resident WHERE id = %s", [world.su.pk])
        assert cur.fetchone()[0] == given_key("苏霞")  # others untouched
