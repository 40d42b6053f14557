"""The storefront as a shopper uses it: photo search, text + photo, personas with their profile and
picks, the product page with its attributes, similar items and complete-the-look, the cart and
checkout (the picks change afterwards), the stylist chat, and the API's errors on screen. Every
expectation is read from the API itself."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

PAGE_SIZE = 24
PICKS = 8


def _photo(browser: Any, product_id: int) -> Path:
    path = browser.shop.catalog_dir / "images" / f"{product_id}.jpg"
    assert path.is_file(), f"the demo catalog has no photo {path}"
    return path


def _wait_images(page: Any, scope: str, n: int = 4) -> None:
    page.wait_for_function(
        "([scope, n]) => [...document.querySelectorAll(scope + ' img')].slice(0, n)"
        ".every(i => i.complete && i.naturalWidth > 0)",
        arg=[scope, n],
    )


def _wait_persona(page: Any) -> None:
    page.wait_for_selector("#persona-panel[data-state=ready]")


def test_photo_search_then_words_and_photo_together(browser: Any) -> None:
    from playwright.sync_api import expect

    listing = browser.shop.api("GET", "/products", params={"article_type": "Shirts", "limit": 1})
    anchor = listing["data"][0]
    photo = _photo(browser, anchor["id"])
    browser.open()
    page = browser.page

    page.get_by_test_id("photo-input").set_input_files(str(photo))
    expect(page.get_by_test_id("results-title")).to_have_text("Looks like your photo")
    browser.wait_results()
    expect(page.get_by_test_id("photo-chip")).to_be_visible()
    files = {"file": (photo.name, photo.read_bytes(), "image/jpeg")}
    by_photo = browser.shop.api("POST", "/search/image", files=files, data={"k": str(PAGE_SIZE)})
    assert browser.card_ids() == [r["product"]["id"] for r in by_photo["data"]]
    # The photo of the product itself finds the product first.
    assert browser.card_ids()[0] == anchor["id"]

    # Words with the photo: the hybrid search.
    page.get_by_test_id("search-input").fill("red")
    page.get_by_test_id("search-input").press("Enter")
    expect(page.get_by_test_id("results-title")).to_have_text("“red” + your photo")
    browser.wait_results()
    both = browser.shop.api("POST", "/search/hybrid", files=files, data={"text": "red", "k": str(PAGE_SIZE)})
    assert browser.card_ids() == [r["product"]["id"] for r in both["data"]]
    assert browser.card_ids() != [r["product"]["id"] for r in by_photo["data"]]

    # Removing the photo leaves the words.
    page.get_by_role("button", name="Remove the photo").click()
    expect(page.get_by_test_id("results-title")).to_have_text("Results for “red”")
    browser.wait_results()
    expect(page.get_by_test_id("photo-chip")).to_be_hidden()
    assert browser.unexpected_errors() == []


def test_a_photo_dropped_on_the_page_searches_by_it(browser: Any) -> None:
    from playwright.sync_api import expect

    product = browser.shop.api("GET", "/products", params={"article_type": "Watches", "limit": 1})["data"][0]
    photo = _photo(browser, product["id"])
    browser.open()
    page = browser.page
    # A real drag from the desktop cannot be scripted; the same events with a file in them can.
    page.evaluate(
        """async (url) => {
            const blob = await (await fetch(url)).blob();
            const data = new DataTransfer();
            data.items.add(new File([blob], "dropped.jpg", { type: "image/jpeg" }));
            document.body.dispatchEvent(new DragEvent("dragenter", { dataTransfer: data, bubbles: true }));
            window.__dropData = data;
        }""",
        product["image_url"],
    )
    expect(page.get_by_test_id("drop-overlay")).to_be_visible()
    page.evaluate(
        """() => document.body.dispatchEvent(
            new DragEvent("drop", { dataTransfer: window.__dropData, bubbles: true, cancelable: true }))"""
    )
    expect(page.get_by_test_id("drop-overlay")).to_be_hidden()
    expect(page.get_by_test_id("results-title")).to_have_text("Looks like your photo")
    browser.wait_results()
    files = {"file": ("dropped.jpg", photo.read_bytes(), "image/jpeg")}
    expected = browser.shop.api("POST", "/search/image", files=files, data={"k": str(PAGE_SIZE)})
    assert browser.card_ids() == [r["product"]["id"] for r in expected["data"]]
    assert browser.card_ids()[0] == product["id"]
    assert browser.unexpected_errors() == []


def test_the_apis_error_message_is_shown(browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    # The browser itself logs the failed request; that console line is the one expected here.
    browser.allow_error("415")
    fake = tmp_path / "not-a-photo.jpg"
    fake.write_bytes(b"these bytes are not an image")
    answer = browser.shop.client.post(
        "/api/v1/search/image", files={"file": (fake.name, fake.read_bytes(), "image/jpeg")}
    )
    assert answer.status_code == 415
    detail = answer.json()["detail"]
    assert detail

    browser.open()
    page = browser.page
    page.get_by_test_id("photo-input").set_input_files(str(fake))
    expect(page.get_by_test_id("error-banner")).to_be_visible()
    expect(page.get_by_test_id("error-banner")).to_contain_text(detail)
    expect(page.get_by_test_id("empty-detail")).to_have_text(detail)
    assert browser.card_ids() == []
    # Dismissed, and the photo removed: the catalog is back.
    page.get_by_role("button", name="Dismiss").click()
    expect(page.get_by_test_id("error-banner")).to_be_hidden()
    page.get_by_role("button", name="Remove the photo").click()
    browser.wait_results()
    assert len(browser.card_ids()) == PAGE_SIZE

    # A product link to a product that does not exist: the API's 404 message, in the product page.
    browser.allow_error("404")
    missing = browser.shop.client.get("/api/v1/products/999999")
    assert missing.status_code == 404
    browser.open("product=999999")
    expect(page.get_by_test_id("product-error")).to_contain_text(missing.json()["detail"])
    assert browser.unexpected_errors() == []


def test_switching_persona_shows_their_profile_and_picks(browser: Any) -> None:
    from playwright.sync_api import expect

    browser.open()
    page = browser.page
    expect(page.get_by_test_id("persona-panel")).to_be_hidden()
    shown: dict[int, list[int]] = {}
    for user_id in (1, 4):
        page.get_by_test_id("persona-select").select_option(str(user_id))
        page.wait_for_url(re.compile(rf"[?&]user={user_id}\b"))
        _wait_persona(page)
        user = browser.shop.api("GET", f"/users/{user_id}")
        profile = browser.shop.api("GET", f"/users/{user_id}/profile")
        recs = browser.shop.api("GET", f"/recommendations/{user_id}", params={"limit": PICKS})
        panel = page.get_by_test_id("persona-panel")
        expect(panel.get_by_test_id("persona-name")).to_contain_text(user["name"])
        favourites = panel.get_by_test_id("fav-categories").get_by_test_id("pref")
        expect(favourites).to_have_count(min(4, len(profile["article_types"])))
        names = favourites.evaluate_all("items => items.map(i => i.dataset.value)")
        assert names == [a["name"] for a in profile["article_types"][:4]]
        colours = panel.get_by_test_id("fav-colours").get_by_test_id("pref")
        assert colours.evaluate_all("items => items.map(i => i.dataset.value)") == [
            c["name"] for c in profile["colours"][:4]
        ]
        expect(panel.get_by_test_id("price-band")).to_contain_text(f"${profile['price']['p25']:,.2f}")
        shown[user_id] = browser.card_ids("[data-testid=recommendations]")
        assert shown[user_id] == [r["product"]["id"] for r in recs["data"]]
        reasons = panel.locator("[data-testid=recommendations] [data-testid=card-why]").all_inner_texts()
        assert reasons == [f"Why {r['reason']}" for r in recs["data"] if r["reason"]]
    assert shown[1] != shown[4]
    _wait_images(page, "[data-testid=recommendations]")
    browser.screenshot("persona")

    # Back to a guest: no panel, no user in the URL.
    page.get_by_test_id("persona-select").select_option("")
    expect(page.get_by_test_id("persona-panel")).to_be_hidden()
    page.wait_for_url(lambda url: "user=" not in url)
    assert browser.unexpected_errors() == []


def test_product_page_shows_attributes_similar_items_and_the_complete_look(browser: Any) -> None:
    from playwright.sync_api import expect

    browser.page.set_viewport_size({"width": 1360, "height": 1500})
    browser.open("q=checked+shirt")
    page = browser.page
    first = browser.card_ids()[0]
    product = browser.shop.api("GET", f"/products/{first}")
    assert product["attributes"], "the e2e catalog tags its apparel"
    page.locator(f"#grid [data-testid=product-card][data-id='{first}'] .card-open").click()

    dialog = page.get_by_test_id("product-dialog")
    expect(dialog).to_be_visible()
    page.wait_for_selector("#product-dialog[data-state=ready]")
    page.wait_for_url(re.compile(rf"[?&]product={first}\b"))
    expect(dialog.get_by_test_id("product-title")).to_have_text(product["name"])
    expect(dialog.get_by_test_id("product-price")).to_have_text(f"${product['price']:,.2f}")
    attributes = dialog.get_by_test_id("product-attributes")
    for name, value in product["attributes"].items():
        cell = attributes.locator(f"dd[data-attribute='{name}']")
        expect(cell).to_have_text(re.compile(r"\s*".join(re.escape(v.strip()) for v in value.split(","))))

    look = browser.shop.api("GET", f"/products/{first}/complete-look", params={"per_role": 3})
    roles = {role: [i["product"]["id"] for i in items] for role, items in look["roles"].items() if items}
    assert roles, "a shirt in the demo catalog has pieces to wear with it"
    shown_roles = dialog.get_by_test_id("look-role")
    expect(shown_roles).to_have_count(len(roles))
    for role, ids in roles.items():
        assert browser.card_ids(f"[data-testid=look-role][data-role='{role}']") == ids
    similar = browser.shop.api("GET", f"/products/{first}/similar", params={"k": 8})
    assert browser.card_ids("[data-testid=similar]") == [r["product"]["id"] for r in similar["data"]]
    _wait_images(page, "#product-dialog [data-testid=complete-look]", 3)
    browser.screenshot("product-outfit")

    # A piece of the look opens in its place; Escape closes the page and the URL forgets it.
    role, ids = next(iter(roles.items()))
    piece = browser.shop.api("GET", f"/products/{ids[0]}")
    dialog.locator(
        f"[data-testid=look-role][data-role='{role}'] [data-testid=product-card] .card-open"
    ).first.click()
    expect(dialog.get_by_test_id("product-title")).to_have_text(piece["name"])
    page.wait_for_selector("#product-dialog[data-state=ready]")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.wait_for_url(lambda url: "product=" not in url)
    assert browser.unexpected_errors() == []


def test_add_to_cart_and_check_out_then_the_picks_change(browser: Any) -> None:
    from playwright.sync_api import expect

    user_id = 5
    before_profile = browser.shop.api("GET", f"/users/{user_id}/profile")
    browser.open(f"user={user_id}")
    page = browser.page
    _wait_persona(page)
    picks_before = browser.card_ids("[data-testid=recommendations]")
    assert picks_before
    events: list[Any] = []
    page.on(
        "request",
        lambda r: events.append(r.post_data_json) if r.method == "POST" and "/events" in r.url else None,
    )

    # Leo buys his top pick (opened from his picks) and a watch (found with the search box).
    top_pick = browser.shop.api("GET", f"/products/{picks_before[0]}")
    page.locator(
        f"[data-testid=recommendations] [data-testid=product-card][data-id='{top_pick['id']}'] .card-open"
    ).click()
    page.wait_for_selector("#product-dialog[data-state=ready]")
    page.get_by_test_id("add-to-cart").click()
    expect(page.get_by_test_id("add-to-cart")).to_have_text("In your cart ✓")
    expect(page.get_by_test_id("cart-count")).to_have_text("1")
    page.keyboard.press("Escape")
    page.get_by_test_id("search-input").fill("watch")
    page.get_by_test_id("search-input").press("Enter")
    page.wait_for_url(re.compile(r"[?&]q=watch"))
    browser.wait_results()
    watch = browser.shop.api("POST", "/search/text", json={"text": "watch", "k": 1, "user_id": user_id})[
        "data"
    ][0]
    watch = watch["product"]
    assert watch["article_type"] == "Watches"
    page.locator(f"#grid [data-testid=product-card][data-id='{watch['id']}'] .card-open").click()
    page.wait_for_selector("#product-dialog[data-state=ready]")
    page.get_by_test_id("add-to-cart").click()
    expect(page.get_by_test_id("add-to-cart")).to_have_text("In your cart ✓")
    expect(page.get_by_test_id("cart-count")).to_have_text("2")
    page.keyboard.press("Escape")
    bought = [top_pick, watch]

    page.get_by_test_id("cart-button").click()
    drawer = page.get_by_test_id("cart-drawer")
    expect(drawer.get_by_test_id("cart-item")).to_have_count(2)
    total = sum(p["price"] for p in bought)
    expect(drawer.get_by_test_id("cart-total")).to_have_text(f"${total:,.2f}")
    drawer.get_by_test_id("checkout").click()
    expect(drawer.get_by_test_id("order-confirmation")).to_be_visible()
    expect(page.get_by_test_id("cart-count")).to_be_hidden()
    page.wait_for_selector("[data-testid=persona-update]")
    _wait_persona(page)

    # The events the page posted: a view and an add_to_cart per product, then one purchase each.
    flat = [(e["product_id"], e["type"]) for batch in events for e in batch]
    ids = [p["id"] for p in bought]
    for pid in ids:
        assert (pid, "view") in flat and (pid, "add_to_cart") in flat and (pid, "purchase") in flat
    after_profile = browser.shop.api("GET", f"/users/{user_id}/profile")
    assert after_profile["event_counts"]["purchase"] == before_profile["event_counts"]["purchase"] + 2
    assert set(ids) <= set(after_profile["recent_purchases"])
    expect(page.get_by_test_id("persona-history")).to_contain_text(
        f"{after_profile['event_counts']['purchase']} bought"
    )

    # The picks on screen are the API's new ones, and they differ from before the order.
    recs = browser.shop.api("GET", f"/recommendations/{user_id}", params={"limit": PICKS})
    picks_after = browser.card_ids("[data-testid=recommendations]")
    assert picks_after == [r["product"]["id"] for r in recs["data"]]
    assert picks_after != picks_before
    # What was bought is not offered again; what replaced it is marked new.
    assert top_pick["id"] not in picks_after
    new_badges = page.locator("[data-testid=recommendations] [data-testid=card-badge]")
    assert new_badges.count() == len(set(picks_after) - set(picks_before)) >= 1
    expect(page.get_by_test_id("persona-update")).to_contain_text("Updated after your order")
    page.get_by_role("button", name="Close the cart").click()
    _wait_images(page, "[data-testid=recommendations]")
    browser.screenshot("after-checkout")
    assert browser.unexpected_errors() == []


def test_stylist_chat_answers_with_products_and_keeps_the_conversation(browser: Any) -> None:
    from playwright.sync_api import expect

    browser.open()
    page = browser.page
    bodies: list[Any] = []
    page.on(
        "request",
        lambda r: (
            bodies.append(r.post_data_json) if r.method == "POST" and "/stylist/chat" in r.url else None
        ),
    )
    page.get_by_test_id("stylist-button").click()
    drawer = page.get_by_test_id("chat-drawer")
    expect(drawer).to_be_visible()
    expect(page.get_by_test_id("chat-input")).to_be_focused()

    message = "an outfit for a beach wedding under 150"
    page.get_by_test_id("chat-input").fill(message)
    page.get_by_test_id("chat-send").click()
    answer = drawer.get_by_test_id("chat-answer")
    expect(answer).to_have_count(1)
    expected = browser.shop.api("POST", "/stylist/chat", json={"message": message})
    # The answer's text as the API wrote it (bold markers become bold type).
    expect(answer.locator(".msg-text")).to_have_text(expected["answer"].replace("**", ""))
    shown = browser.card_ids("[data-testid=chat-answer]")
    assert shown == [p["product"]["id"] for p in expected["products"]]
    assert shown and all(p["product"]["price"] <= 150 for p in expected["products"])
    assert bodies[0] == {"message": message}
    _wait_images(page, "[data-testid=chat-answer]", len(shown))
    browser.screenshot("stylist-chat")

    # The follow-up continues the same session.
    page.get_by_test_id("chat-input").fill("something like this but cheaper")
    page.get_by_test_id("chat-send").click()
    expect(drawer.get_by_test_id("chat-answer")).to_have_count(2)
    assert bodies[1]["session_id"] and bodies[1]["message"] == "something like this but cheaper"
    follow = drawer.get_by_test_id("chat-answer").nth(1)
    expect(follow.locator(".msg-text")).not_to_be_empty()

    # A product of the answer opens the product page.
    first = expected["products"][0]["product"]
    answer.locator(f"[data-testid=product-card][data-id='{first['id']}'] .card-open").click()
    expect(page.get_by_test_id("product-title")).to_have_text(first["name"])
    assert browser.unexpected_errors() == []


def test_every_control_has_a_name_and_every_photo_a_text(browser: Any) -> None:
    browser.open("user=3")
    page = browser.page
    _wait_persona(page)
    unnamed = page.evaluate(
        """() => [...document.querySelectorAll('button, input, select, a[href]')]
            .filter(el => el.offsetParent !== null || el.type === 'file')
            .filter(el => {
              const labelled = el.labels && [...el.labels].some(l => l.textContent.trim());
              const named = el.getAttribute('aria-label') || el.getAttribute('title') || labelled
                || el.textContent.trim();
              return !named;
            })
            .map(el => el.outerHTML.slice(0, 120))"""
    )
    assert unnamed == []
    # The same seen through the accessibility tree (what a screen reader gets), on a small screen
    # too, where some buttons show only an icon.
    for width in (1360, 390):
        page.set_viewport_size({"width": width, "height": 900})
        tree = page.locator("body").aria_snapshot()
        nameless = [
            line for line in tree.splitlines() if re.fullmatch(r"\s*- (button|textbox|combobox|link)", line)
        ]
        assert nameless == [], tree
    no_alt = page.evaluate(
        "() => [...document.querySelectorAll('img')].filter(i => i.src && !i.alt).map(i => i.src)"
    )
    assert no_alt == []
    assert page.evaluate("() => document.documentElement.lang") == "en"
    assert browser.unexpected_errors() == []


def test_small_screens_get_the_same_shop(browser: Any) -> None:
    from playwright.sync_api import expect

    browser.page.set_viewport_size({"width": 390, "height": 844})
    browser.open("q=shirt")
    page = browser.page
    assert len(browser.card_ids()) > 0
    # Nothing wider than the screen.
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    expect(page.get_by_test_id("search-input")).to_be_visible()
    # The filters fold behind one button so the results come first.
    expect(page.get_by_test_id("facet-group-gender")).to_be_hidden()
    grid_top = page.get_by_test_id("grid").bounding_box()
    assert grid_top is not None and grid_top["y"] < 844
    _wait_images(page, "#grid", 2)
    browser.screenshot("mobile-search")
    page.get_by_test_id("filters-toggle").click()
    expect(page.get_by_test_id("filters-toggle")).to_have_attribute("aria-expanded", "true")
    expected = browser.shop.api(
        "POST", "/search/text", json={"text": "shirt", "k": PAGE_SIZE, "filters": {"gender": ["Women"]}}
    )
    page.locator("[data-testid=facet-gender][data-value='Women']").check()
    page.wait_for_url(re.compile(r"gender=Women"))
    browser.wait_results()
    assert browser.card_ids() == [r["product"]["id"] for r in expected["data"]]
    assert browser.unexpected_errors() == []
