"""The deployment samples keep search terms and other query strings out of access logs."""

import re
import runpy
from pathlib import Path

from django.conf import settings

DEPLOY = Path(settings.BASE_DIR) / "deploy"


def test_gunicorn_access_log_has_no_query_string_or_referrer():
    config = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    fmt = config["access_log_format"]
    assert "%(U)s" in fmt  # the path alone
    for leaky in ("%(r)s", "%(q)s", "%(f)s", "%({referer}i)s"):
        assert leaky not in fmt


def test_nginx_access_log_uses_the_path_without_query_string():
    conf = (DEPLOY / "nginx.conf").read_text()
    formats = re.findall(r"log_format\s+\w+\s+([^;]+);", conf, re.S)
    assert formats
    for fmt in formats:
        for leaky in ("$request_uri", "$request ", "$args", "$query_string", "$http_referer"):
            assert leaky not in fmt
    for line in re.findall(r"^\s*access_log\s+([^;]+);", conf, re.M):
        assert line.strip() == "off" or "ehr_noquery" in line
