"""The WSGI application for a server of your choice (gunicorn with threads, uWSGI...), set up
from the environment: ``POS_WEB_DB`` (the collector's database URL), ``POS_WEB_HOMES`` (posctl
homes separated by ``:``, default ``$POSCTL_HOME``), ``POS_WEB_HOSTS`` (allowed host names,
comma-separated), ``POS_WEB_TZ``, and ``POS_WEB_HTTPS_PROXY=1`` behind a TLS-terminating
proxy. The secret key is kept in the first home's ``web/``."""

from __future__ import annotations

import os
from pathlib import Path

from django.core.wsgi import get_wsgi_application

from provisioning.home import default_home
from provisioning.web.config import WebConfig, configure, secret_key_file

_homes = tuple(
    Path(p) for p in (os.environ.get("POS_WEB_HOMES") or str(default_home())).split(":") if p
)
configure(
    WebConfig(
        db_url=os.environ["POS_WEB_DB"],
        homes=_homes,
        secret_key=secret_key_file(_homes[0]),
        allowed_hosts=tuple((os.environ.get("POS_WEB_HOSTS") or "localhost").split(",")),
        tz=os.environ.get("POS_WEB_TZ") or None,
        behind_https_proxy=os.environ.get("POS_WEB_HTTPS_PROXY") == "1",
    )
)
application = get_wsgi_application()
