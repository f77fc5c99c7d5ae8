"""The WSGI application (granian or gunicorn: `fangkong.wsgi:application`)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
application = get_wsgi_application()

from fangkong.core.deploy import refuse_to_start  # noqa: E402 - needs the apps loaded

refuse_to_start()  # production without its keys does not serve (see core/deploy.py)

if os.environ.get("FANGKONG_GC_FREEZE", "1") == "1":
    # Everything loaded so far lives as long as the process: build the URLconf (and with it
    # the API's schemas) now, then move all of it out of the garbage collector's sight, so
    # the full collections that requests trigger scan only what requests made.
    from django.urls import get_resolver

    _ = get_resolver().url_patterns
    gc.collect()
    gc.freeze()
