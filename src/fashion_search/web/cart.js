// The cart of the active shopper (kept in this browser, one per shopper) and checkout. Adding
// posts an `add_to_cart` event, checkout a `purchase` event per item; then the shopper's profile
// and picks are reloaded.

import { request, errorText } from "./api.js";
import { h, fill, toast } from "./dom.js";
import { productImage } from "./cards.js";
import { formatPrice } from "./format.js";

const KEY = "fashion-search.cart.";

function slim(product) {
  const { id, name, price, image_url, base_colour, article_type, gender } = product;
  return { id, name, price, image_url, base_colour, article_type, gender };
}

export function createCart(shop) {
  const drawer = document.getElementById("cart-drawer");
  const body = document.getElementById("cart-body");
  const badge = document.getElementById("cart-count");
  const title = document.getElementById("cart-title");
  let receipt = null; // the last order, shown until the drawer closes

  function items(user = shop.state.user) {
    if (!user) return [];
    try {
      const list = JSON.parse(window.localStorage.getItem(KEY + user) || "[]");
      return Array.isArray(list) ? list : [];
    } catch {
      return [];
    }
  }

  function save(user, list) {
    window.localStorage.setItem(KEY + user, JSON.stringify(list));
    update();
  }

  function update() {
    const count = items().length;
    badge.textContent = String(count);
    badge.hidden = count === 0;
    if (!drawer.hidden) render();
  }

  function total(list) {
    return list.reduce((sum, item) => sum + (item.price || 0), 0);
  }

  function render() {
    const user = shop.state.user;
    title.textContent = shop.persona ? `${shop.persona.name}’s cart` : "Your cart";
    if (!user) {
      fill(body, h("p", { class: "muted" }, "Choose who you are shopping as (top right) to fill a cart and check out."));
      return;
    }
    const list = items(user);
    const parts = [];
    if (receipt) {
      parts.push(
        h(
          "div",
          { class: "receipt", role: "status", "data-testid": "order-confirmation" },
          h("strong", {}, "Thank you! Order placed."),
          h("p", {}, `${receipt.count} item${receipt.count === 1 ? "" : "s"} · ${formatPrice(receipt.total)}`),
          h("p", { class: "muted small" }, `${receipt.name}’s profile and picks were updated.`),
        ),
      );
    }
    if (!list.length) {
      parts.push(h("p", { class: "muted", "data-testid": "cart-empty" }, "Your cart is empty."));
      fill(body, parts);
      return;
    }
    const error = h("p", { class: "error-text", "data-testid": "checkout-error", hidden: true });
    const checkoutButton = h(
      "button",
      {
        type: "button",
        class: "primary-button wide",
        "data-testid": "checkout",
        onclick: () => checkout(checkoutButton, error),
      },
      `Check out · ${formatPrice(total(list))}`,
    );
    parts.push(
      h(
        "ul",
        { class: "cart-list", "data-testid": "cart-items" },
        list.map((item) =>
          h(
            "li",
            { class: "cart-item", "data-testid": "cart-item", "data-id": String(item.id) },
            h("button", { type: "button", class: "cart-thumb", onclick: () => shop.openProduct(item.id), "aria-label": `Open ${item.name}` }, productImage(item)),
            h("div", { class: "cart-text" }, h("p", { class: "cart-name" }, item.name), h("p", { class: "muted small" }, item.base_colour || "")),
            h("div", { class: "cart-side" }, h("span", { class: "price" }, formatPrice(item.price)), h("button", { type: "button", class: "link-button", onclick: () => remove(item.id) }, "Remove")),
          ),
        ),
      ),
      h("div", { class: "cart-total" }, h("span", {}, "Total"), h("strong", { "data-testid": "cart-total" }, formatPrice(total(list)))),
      error,
      checkoutButton,
    );
    fill(body, parts);
  }

  function remove(id) {
    const user = shop.state.user;
    save(
      user,
      items(user).filter((item) => item.id !== id),
    );
  }

  async function checkout(button, errorBox) {
    const user = shop.state.user;
    const list = items(user);
    if (!user || !list.length) return;
    button.disabled = true;
    button.textContent = "Placing your order…";
    errorBox.hidden = true;
    try {
      await request(`/users/${user}/events`, {
        method: "POST",
        json: list.map((item) => ({ product_id: item.id, type: "purchase" })),
      });
    } catch (err) {
      errorBox.textContent = `The order did not go through: ${errorText(err)}`;
      errorBox.hidden = false;
      button.disabled = false;
      button.textContent = `Check out · ${formatPrice(total(list))}`;
      return;
    }
    receipt = { count: list.length, total: total(list), name: shop.persona?.name || "Your" };
    save(user, []);
    toast(`Order placed: ${list.length} item${list.length === 1 ? "" : "s"}.`, "success");
    await shop.personaPanel.load({ afterOrder: true });
  }

  /** Put ``product`` in the active shopper's cart; false (and a hint) for a guest. */
  async function add(product) {
    const user = shop.state.user;
    if (!user) {
      toast("Choose who you are shopping as (top right) to use the cart.", "error");
      document.getElementById("persona-select").focus();
      return false;
    }
    if (items(user).some((item) => item.id === product.id)) {
      toast("Already in your cart.");
      return true;
    }
    try {
      await request(`/users/${user}/events`, { method: "POST", json: [{ product_id: product.id, type: "add_to_cart" }] });
    } catch (err) {
      shop.showError(err);
      return false;
    }
    receipt = null;
    save(user, [...items(user), slim(product)]);
    toast(`Added to the cart: ${product.name}`, "success");
    return true;
  }

  function open() {
    drawer.hidden = false;
    render();
    document.getElementById("cart-close").focus();
  }

  function close() {
    drawer.hidden = true;
    receipt = null;
  }

  document.getElementById("cart-button").addEventListener("click", () => (drawer.hidden ? open() : close()));
  document.getElementById("cart-close").addEventListener("click", close);

  return { add, has: (id) => items().some((item) => item.id === id), update, open, close };
}
