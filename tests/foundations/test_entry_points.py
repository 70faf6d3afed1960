"""Every entry point is linked: seller sign-up, order tracking and the API documentation from
every page's footer, the admin portal from the navigation for admins (and only for them)."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests import factories


class Links(HTMLParser):
    """href -> link text, separately for the page's <nav> bar, its <footer> and the rest."""

    def __init__(self):
        super().__init__()
        self.where: list[str] = []
        self.links: dict[str, dict[str, str]] = {"nav": {}, "footer": {}, "main": {}}
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("footer", "main") or (tag == "nav" and "navbar" in (dict(attrs).get("class") or "")):
            self.where.append("nav" if tag == "nav" else tag)
        elif tag == "a":
            self._href, self._text = dict(attrs).get("href"), []

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            area = self.where[-1] if self.where else "main"
            self.links[area][self._href] = " ".join("".join(self._text).split())
            self._href = None
        elif tag in ("footer", "main") and self.where and self.where[-1] == tag:
            self.where.pop()
        elif tag == "nav" and self.where and self.where[-1] == "nav":
            self.where.pop()

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)


def links(response) -> dict[str, dict[str, str]]:
    parser = Links()
    parser.feed(response.get_data(as_text=True))
    return parser.links


FOOTER = {"/track": "Tra cứu đơn hàng", "/seller/join": "Bán hàng trên sàn OCOP Quảng Ninh",
          "/api/v1/docs/": "Tài liệu API"}


@pytest.mark.parametrize("path", ["/", "/products", "/login", "/cart", "/track", "/seller/join"])
def test_every_page_footer_links_tracking_seller_sign_up_and_the_api_docs(web, db, path):
    footer = links(web.get(path))["footer"]
    assert footer.items() >= FOOTER.items()  # beside the operator's particulars and the policies


def test_the_footer_links_lead_to_working_pages_in_both_languages(web, db):
    for href in FOOTER:
        assert web.get(href).status_code == 200, href
    english = links(web.get("/?lang=en"))["footer"]
    assert english.items() >= {"/track": "Track an order", "/seller/join": "Sell on OCOP Quang Ninh",
                               "/api/v1/docs/": "API documentation"}.items()


@pytest.mark.parametrize("role, portal", [("admin", "/admin/"), ("seller", "/seller/")])
def test_the_navigation_leads_admins_and_sellers_to_their_portal(web, db, role, portal):
    producer_id = factories.producer().id if role == "seller" else None
    factories.login_as(web, factories.user(role, producer_id=producer_id))
    nav = links(web.get("/"))["nav"]
    assert portal in nav
    assert web.get(portal).status_code == 200


@pytest.mark.parametrize("role", [None, "shopper", "seller"])
def test_no_one_else_is_shown_the_admin_portal(web, db, role):
    if role:
        producer_id = factories.producer().id if role == "seller" else None
        factories.login_as(web, factories.user(role, producer_id=producer_id))
    assert "/admin/" not in links(web.get("/"))["nav"]
