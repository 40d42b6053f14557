"""The storefront's catalog and text search: the grid, search as you type, filters with facet counts,
pages, URLs that survive a reload, empty states. Every expectation is read from the API itself."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.browser

PAGE_SIZE = 24


def test_home_lists_the_catalog_with_the_apis_facet_counts(browser: Any) -> None:
    from playwright.sync_api import expect

    listing = browser.shop.api("GET", "/products", params={"limit": PAGE_SIZE})
    browser.open()
    page = browser.page

    assert browser.card_ids() == [p["id"] for p in listing["data"]]
    expect(page.get_by_test_id("results-meta")).to_have_text(f"{listing['count']} products")
    first = listing["data"][0]
    card = page.locator(f"#grid [data-testid=product-card][data-id='{first['id']}']")
    expect(card.locator(".card-name")).to_have_text(first["name"])
    expect(card.get_by_test_id("card-price")).to_have_text(f"${first['price']:,.2f}")
    expect(card.locator(".card-colour")).to_have_text(first["base_colour"])
    # The photo is the API's.
    src = card.locator("img").get_attribute("src")
    assert src == f"/api/v1/products/{first['id']}/image"
    # Facet counts: one checkbox per gender, with the API's count beside it.
    for gender, count in listing["facets"]["gender"].items():
        option = page.locator(f"[data-testid=facet-gender][data-value='{gender}']").locator("xpath=..")
        expect(option.get_by_test_id("facet-count")).to_have_text(str(count))
    page.wait_for_function(
        "[...document.querySelectorAll('#grid img')].slice(0, 4).every(i => i.complete && i.naturalWidth > 0)"
    )
    browser.screenshot("home")
    assert browser.unexpected_errors() == []


def test_search_as_you_type_shows_the_apis_ranking_and_reasons(browser: Any) -> None:
    from playwright.sync_api import expect

    browser.open()
    page = browser.page
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/search/text" in r.url else None)

    # Typed key by key, no Enter: the debounced search starts once typing pauses.
    page.get_by_test_id("search-input").press_sequentially("striped shirt", delay=40)
    page.wait_for_url(re.compile(r"[?&]q=striped\+shirt"))
    browser.wait_results()
    expected = browser.shop.api("POST", "/search/text", json={"text": "striped shirt", "k": PAGE_SIZE})
    assert browser.card_ids() == [r["product"]["id"] for r in expected["data"]]
    # Debounced: far fewer searches than keystrokes.
    assert 1 <= len(requests) <= 4
    reasons = page.locator("#grid [data-testid=card-why]").all_inner_texts()
    assert reasons == [f"Why {r['reason']}" for r in expected["data"] if r["reason"]]
    expect(page.get_by_test_id("results-title")).to_have_text("Results for “striped shirt”")
    page.wait_for_function(
        "[...document.querySelectorAll('#grid img')].slice(0, 4).every(i => i.complete && i.naturalWidth > 0)"
    )
    browser.screenshot("search-results")

    # A reload restores the query and the same results.
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    browser.wait_results()
    expect(page.get_by_test_id("search-input")).to_have_value("striped shirt")
    assert browser.card_ids() == [r["product"]["id"] for r in expected["data"]]
    assert browser.unexpected_errors() == []


def test_filters_narrow_the_results_count_them_and_stay_in_the_url(browser: Any) -> None:
    from playwright.sync_api import expect

    browser.open()
    page = browser.page
    colours = browser.shop.api("GET", "/products", params={"limit": 1})["facets"]["base_colour"]
    colour, count = next(iter(colours.items()))  # the most common colour

    page.locator(f"[data-testid=facet-colour][data-value='{colour}']").check()
    page.wait_for_url(re.compile(rf"colour={re.escape(colour).replace(' ', '+')}"))
    browser.wait_results()
    expect(page.get_by_test_id("results-meta")).to_have_text(f"{count} products")
    card_colours = page.locator("#grid [data-testid=product-card]").evaluate_all(
        "cs => cs.map(c => c.dataset.colour)"
    )
    assert card_colours and set(card_colours) == {colour}
    # Other colours stay choosable with their own counts (each group is counted without itself).
    other, other_count = list(colours.items())[1]
    option = page.locator(f"[data-testid=facet-colour][data-value='{other}']").locator("xpath=..")
    expect(option.get_by_test_id("facet-count")).to_have_text(str(other_count))

    # A gender on top: the API's count for both filters, and both survive a reload.
    both = browser.shop.api(
        "GET", "/products", params={"base_colour": colour, "gender": "Women", "limit": PAGE_SIZE}
    )
    page.locator("[data-testid=facet-gender][data-value='Women']").check()
    page.wait_for_url(re.compile(r"gender=Women"))
    browser.wait_results()
    assert browser.card_ids() == [p["id"] for p in both["data"]]
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    browser.wait_results()
    expect(page.locator("[data-testid=facet-gender][data-value='Women']")).to_be_checked()
    expect(page.locator(f"[data-testid=facet-colour][data-value='{colour}']")).to_be_checked()
    assert browser.card_ids() == [p["id"] for p in both["data"]]
    expect(page.get_by_test_id("active-chips").get_by_test_id("filter-chip")).to_have_count(2)

    # A price bucket: every card's price inside it, and the API's count.
    bucket = browser.shop.api(
        "GET", "/products", params={"filter": ["price>=25", "price<50"], "limit": PAGE_SIZE}
    )
    page.get_by_test_id("clear-filters").click()
    browser.wait_results()
    page.locator("[data-testid=facet-price][data-value='25-50']").click()
    page.wait_for_url(re.compile(r"min=25&max=50"))
    browser.wait_results()
    expect(page.get_by_test_id("results-meta")).to_have_text(f"{bucket['count']} products")
    prices = [
        float(t.strip("$").replace(",", ""))
        for t in page.locator("#grid [data-testid=card-price]").all_inner_texts()
    ]
    assert prices and all(25 <= p < 50 for p in prices)
    browser.screenshot("filters")
    assert browser.unexpected_errors() == []


def test_pages_follow_the_api_and_the_url(browser: Any) -> None:
    from playwright.sync_api import expect

    second = browser.shop.api("GET", "/products", params={"limit": PAGE_SIZE, "offset": PAGE_SIZE})
    browser.open()
    page = browser.page
    page.get_by_test_id("pager-next").click()
    page.wait_for_url(re.compile(r"page=2"))
    browser.wait_results()
    assert browser.card_ids() == [p["id"] for p in second["data"]]
    expect(page.locator("[data-testid=pager-page][aria-current=page]")).to_have_text("2")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    browser.wait_results()
    assert browser.card_ids() == [p["id"] for p in second["data"]]
    assert browser.unexpected_errors() == []


def test_no_match_shows_an_empty_state_and_a_way_out(browser: Any) -> None:
    from playwright.sync_api import expect

    browser.open("min=100000")
    page = browser.page
    expect(page.get_by_test_id("empty")).to_be_visible()
    expect(page.get_by_test_id("empty")).to_contain_text("No products found")
    assert browser.card_ids() == []
    page.get_by_test_id("empty").get_by_role("button", name="Clear the filters").click()
    browser.wait_results()
    expect(page.get_by_test_id("empty")).to_be_hidden()
    assert len(browser.card_ids()) == PAGE_SIZE
    page.wait_for_url(lambda url: "min=" not in url)
    assert browser.unexpected_errors() == []
