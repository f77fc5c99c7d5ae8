"""The missing list's exemption step says only what the row offers (found on a re-walk: for
吕保国, a case, it said "如不在本地或住院，请返回并点“不在本地…”或“住院…”" though his row has no
不在本地… (`access.HELD_OUTCOMES`: a case is never away), and "备注（选“其他原因”时必填）" though
the only reason offered was 隔离中). Someone not held still hears both, and the note rule."""

from .test_missing_held import _case, _text


def _asked(client, rnd, world, who):
    return _text(client.post(f"/screening/rounds/{rnd.id}/missing/{who.id}/",
                             {"do": "exempt", "place": world.grid.id, "at": who.id}).content.decode())


def test_a_case_is_pointed_at_hospital_only_and_no_other_reason_note(world, system, rnd, client):
    _case(world, world.xia)
    client.force_login(world.users.grid)
    asked = _asked(client, rnd, world, world.xia)
    assert "如已住院，请返回并点“住院…”" in asked, asked
    assert "不在本地" not in asked and "其他原因" not in asked, asked
    assert "备注（选填）" in asked


def test_someone_not_held_is_pointed_at_both_and_told_the_note_rule(world, system, rnd, client):
    client.force_login(world.users.grid)
    asked = _asked(client, rnd, world, world.wang)
    assert "如不在本地或住院，请返回并点“不在本地…”或“住院…”" in asked, asked
    assert "备注（选“其他原因”时必填）" in asked
