"""The API docs page (Swagger UI) under the site's strict Content-Security-Policy: no
inline style or script, its scripts carry the nonce the header names, and the page has a
language and a main landmark. The browser test (tests/browser/test_layout_and_accessibility)
renders it and runs axe."""

import re

from django.urls import reverse


def test_the_api_docs_page_has_no_inline_style_and_its_scripts_carry_the_nonce(signed_in, doctor):
    response = signed_in(doctor).get(reverse("api:docs"))
    assert response.status_code == 200
    html = response.content.decode()
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)

    assert "<style" not in html and " style=" not in html
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert len(scripts) == 3
    assert all(f'nonce="{nonce}"' in tag and " src=" in tag for tag in scripts)
    assert "unsafe-inline" not in policy
    assert re.search(r'<html lang="[a-z-]+">', html) and '<main id="swagger-ui">' in html
    assert "api-docs.css" in html
