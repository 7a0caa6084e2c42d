"""/docs and /redoc work on a machine without internet access: their pages reference no
other host, and every asset they reference is served by Relance itself."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

# Any absolute URL in the page, in attributes and inline scripts alike.
ABSOLUTE_URL = re.compile(r"(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\s'\"<>)]*")
# Swagger UI's inline script names the document it loads.
INLINE_URL = re.compile(r"""url:\s*['"]([^'"]+)['"]""")


class References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "spec-url") and value:
                self.urls.append(value)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_docs_reference_no_other_host_and_their_assets_are_served(client, page) -> None:
    response = await client.get(page)
    assert response.status_code == 200
    html = response.text
    assert ABSOLUTE_URL.findall(html) == []
    parser = References()
    parser.feed(html)
    urls = parser.urls + INLINE_URL.findall(html)
    assert any(u.endswith(".js") for u in urls), urls
    assert "/openapi.json" in urls
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, url
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert asset.content, url


async def test_the_assets_are_the_real_bundles(client) -> None:
    response = await client.get("/docs")
    scripts = re.findall(r'<script src="([^"]+)"', response.text)
    bundle = await client.get(scripts[0])
    assert "SwaggerUIBundle" in bundle.text
    assert bundle.headers["content-type"].startswith(("application/javascript", "text/javascript"))
