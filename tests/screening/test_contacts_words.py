"""One close contact is said as one person in Chinese too ("为密接：请让其留在家中"), not
"均为密接：请让他们…" — Chinese has one plural form, so one has words of its own."""

from django.utils import translation

from fangkong.screening.actions.families import contacts_line


def test_one_close_contact_is_said_as_one_person():
    with translation.override("zh-hans"):
        one, two = contacts_line("邵艳", 1), contacts_line("邵艳", 2)
    assert one == "1 人与邵艳同住，为密接：请让其留在家中，不解除。"
    assert "均" not in one and "他们" not in one
    assert two == "2 人与邵艳同住，均为密接：请让他们留在家中，不解除。"
    with translation.override("en"):
        assert contacts_line("Shao Yan", 1).startswith("1 person lives with Shao Yan")
        assert contacts_line("Shao Yan", 3).startswith("3 people live with Shao Yan")
