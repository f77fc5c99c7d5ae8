"""core.views: `act` (POST → action → message → redirect), `next_or`, `actor_of`."""

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.cache import SessionStore
from django.test import RequestFactory

from fangkong.core.actor import Actor, actor_of
from fangkong.core.errors import Invalid, NotFound
from fangkong.core.views import act, next_or


def _post(path="/x/", data=None, user=None):
    request = RequestFactory().post(path, data or {})
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request.user = user
    request.scope = "the scope"
    return request


def test_act_runs_the_action_with_the_requests_actor_and_redirects():
    request = _post()
    seen = []
    response = act(request, lambda actor: seen.append(actor) or 7, to=lambda n: f"/done/{n}/",
                   done=lambda n: f"done {n}")
    assert response.status_code == 302 and response["Location"] == "/done/7/"
    assert isinstance(seen[0], Actor) and seen[0].scope == "the scope" and seen[0].via == "web"
    assert [str(m) for m in get_messages(request)] == ["done 7"]


def test_act_turns_a_refusal_into_messages_and_goes_back():
    request = _post()

    def refuse(actor):
        raise Invalid(fields={"phone": ["Enter a mobile number."], "name": ["Too long."]})

    response = act(request, refuse, to="/ok/", refused="/form/", done="never")
    assert response["Location"] == "/form/"
    assert [str(m) for m in get_messages(request)] == ["Enter a mobile number.", "Too long."]
    with pytest.raises(NotFound):  # not caught: the page wrapper answers 404
        act(_post(), lambda actor: (_ for _ in ()).throw(NotFound()), to="/ok/")


def test_next_or_keeps_to_this_site():
    assert next_or(_post(data={"next": "/places/3/"}), "people") == "/places/3/"
    assert next_or(_post(data={"next": "https://evil.example/"}), "people") == "people"
    assert next_or(_post(), "people") == "people"


def test_actor_of_says_api_under_the_api():
    assert actor_of(_post("/api/v1/tokens")).via == "api"
    assert actor_of(_post("/people/")).via == "web"
    assert actor_of(_post("/people/"), via="import").via == "import"


@pytest.mark.django_db
def test_system_actor_through_the_settings(world):
    from fangkong.accounts.scope import Scope, SystemScope

    assert isinstance(Actor.system().scope, SystemScope)
    scope = Actor.system(world.users.staff).scope
    assert type(scope) is Scope and scope.allows("registry.edit", world.su)
