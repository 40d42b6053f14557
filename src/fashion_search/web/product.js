// The product panel: details, add to cart, complete-the-look by role, similar items. Opening it
// as a shopper records a `view` event.

import { request, errorText } from "./api.js";
import { h, fill } from "./dom.js";
import { colourDot, productCard, productImage } from "./cards.js";
import { categoryPath, formatPrice, label } from "./format.js";

function spinner(text) {
  return h("div", { class: "loading-line", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), text);
}

function details(product) {
  const rows = [
    ["Category", categoryPath(product)],
    ["For", product.gender],
    ["Colour", product.base_colour],
    ["Season", product.season],
    ["Occasion", product.usage],
    ["Year", product.year],
    ["Price tier", product.price_tier ? label(product.price_tier) : null],
  ].filter(([, value]) => value !== null && value !== undefined && value !== "");
  return h("dl", { class: "details", "data-testid": "product-details" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, String(v))]));
}

/** The product's visual attributes (material, pattern, ...) when it has been tagged; else nothing. */
function attributes(product) {
  const entries = Object.entries(product.attributes || {}).filter(([, value]) => value !== null && value !== "");
  if (!entries.length) return null;
  return h(
    "div",
    { class: "attributes" },
    h("h3", { class: "attributes-title" }, "Look and feel"),
    h(
      "dl",
      { class: "details", "data-testid": "product-attributes" },
      entries.map(([key, value]) => [
        h("dt", {}, label(key)),
        h(
          "dd",
          { "data-attribute": key },
          String(value)
            .split(",")
            .map((part) => part.trim())
            .filter(Boolean)
            .map((part) => h("span", { class: "attr-value" }, part)),
        ),
      ]),
    ),
  );
}

export function createProductView(shop) {
  const dialog = document.getElementById("product-dialog");
  const body = document.getElementById("product-body");
  let controller = null;

  dialog.addEventListener("close", () => {
    controller?.abort();
    shop.state.product = null;
    shop.saveState();
  });
  // A click on the backdrop (the dialog element itself, outside its box) closes it.
  dialog.addEventListener("click", (e) => {
    if (e.target === dialog) dialog.close();
  });
  document.getElementById("product-close").addEventListener("click", () => dialog.close());

  function section(titleText, testid, content) {
    return h("section", { class: "product-section", "data-testid": testid }, h("h3", { class: "section-title" }, titleText), content);
  }

  /** The look at a glance: the product and the first pick of each role, with the total. */
  function outfitStrip(outfit, roles, total) {
    const piece = (product, caption) =>
      h(
        "button",
        {
          type: "button",
          class: "strip-piece",
          "data-testid": "outfit-piece",
          "data-id": String(product.id),
          "aria-label": `${caption}: ${product.name}, ${formatPrice(product.price)}`,
          onclick: () => product.id !== outfit.anchor.id && open(product.id),
        },
        productImage(product),
        h("span", { class: "strip-caption" }, caption),
      );
    const pieces = [piece(outfit.anchor, outfit.anchor_role ? `This ${outfit.anchor_role}` : "This")];
    for (const [role, items] of roles) {
      pieces.push(h("span", { class: "strip-plus", "aria-hidden": "true" }, "+"), piece(items[0].product, label(role)));
    }
    return h(
      "div",
      { class: "outfit-strip", "data-testid": "outfit-strip" },
      pieces,
      h("span", { class: "strip-total" }, h("span", { class: "muted small" }, "The look"), h("strong", {}, formatPrice(total))),
    );
  }

  function renderLook(target, outfit) {
    const roles = Object.entries(outfit.roles || {}).filter(([, items]) => items.length);
    if (!roles.length) {
      fill(target, h("p", { class: "muted" }, outfit.note || "No matching pieces in the catalog for this one."));
      return;
    }
    const firstPicks = roles.map(([, items]) => items[0].product.price || 0);
    const total = (outfit.anchor.price || 0) + firstPicks.reduce((a, b) => a + b, 0);
    fill(
      target,
      outfitStrip(outfit, roles, total),
      outfit.note ? h("p", { class: "muted small" }, outfit.note) : null,
      h(
        "div",
        { class: "look-roles" },
        roles.map(([role, items]) =>
          h(
            "div",
            { class: "look-role", "data-testid": "look-role", "data-role": role },
            h("h4", {}, `${label(role)} · ${items.length} option${items.length === 1 ? "" : "s"}`),
            h(
              "div",
              { class: "grid grid-mini" },
              items.map((item) => productCard(item.product, { reason: item.reason, compact: true, onOpen: (p) => open(p.id) })),
            ),
          ),
        ),
      ),
    );
  }

  async function fillSection(target, loader, draw, signal) {
    try {
      const data = await loader();
      if (signal.aborted) return;
      draw(data);
    } catch (err) {
      if (err?.name === "AbortError" || signal.aborted) return;
      fill(target, h("p", { class: "error-text" }, errorText(err)));
    }
  }

  function recordView(productId) {
    const user = shop.state.user;
    if (!user) return;
    request(`/users/${user}/events`, { method: "POST", json: [{ product_id: productId, type: "view" }] }).catch((err) => {
      shop.showError(err);
    });
  }

  /** Open the panel on product ``id`` (replacing what it shows). */
  async function open(id) {
    shop.state.product = id;
    shop.saveState();
    if (!dialog.open) dialog.showModal();
    controller?.abort();
    controller = new AbortController();
    const { signal } = controller;
    fill(body, spinner("Loading the product…"));
    dialog.dataset.state = "loading";
    body.scrollTop = 0;
    dialog.scrollTop = 0;
    let product;
    try {
      product = await request(`/products/${id}`, { signal });
    } catch (err) {
      if (err?.name === "AbortError") return;
      dialog.dataset.state = "error";
      fill(body, h("div", { class: "product-error", "data-testid": "product-error" }, h("h2", { id: "product-title" }, "This product could not be shown"), h("p", {}, errorText(err))));
      return;
    }
    recordView(product.id);
    const user = shop.state.user || undefined;
    const cartButton = h(
      "button",
      {
        type: "button",
        class: "primary-button",
        "data-testid": "add-to-cart",
        onclick: async (e) => {
          const button = e.currentTarget;
          button.disabled = true;
          try {
            if (await shop.cart.add(product)) button.textContent = "In your cart ✓";
          } finally {
            button.disabled = false;
          }
        },
      },
      shop.cart.has(product.id) ? "In your cart ✓" : "Add to cart",
    );
    const look = h("div", { class: "look" }, spinner("Styling the look…"));
    const similar = h("div", { class: "grid grid-mini" }, spinner("Finding similar items…"));
    fill(
      body,
      h(
        "div",
        { class: "product-main", "data-product-id": String(product.id) },
        h("div", { class: "product-photo" }, productImage(product, { eager: true })),
        h(
          "div",
          { class: "product-info" },
          h("p", { class: "eyebrow" }, categoryPath(product)),
          h("h2", { id: "product-title", "data-testid": "product-title" }, product.name),
          h("p", { class: "product-price", "data-testid": "product-price" }, formatPrice(product.price)),
          product.base_colour ? h("p", { class: "product-colour" }, colourDot(product.base_colour), product.base_colour) : null,
          cartButton,
          shop.state.user ? null : h("p", { class: "muted small" }, "Choose who you are shopping as (top right) to use the cart."),
          details(product),
          attributes(product),
          h("p", { class: "muted small" }, `Product #${product.id}`),
        ),
      ),
      section("Complete the look", "complete-look", look),
      section("Similar items", "similar", similar),
    );
    await Promise.all([
      fillSection(
        look,
        () => request(`/products/${product.id}/complete-look`, { params: { user_id: user, per_role: 3 }, signal }),
        (outfit) => renderLook(look, outfit),
        signal,
      ),
      fillSection(
        similar,
        () => request(`/products/${product.id}/similar`, { params: { k: 8, user_id: user }, signal }),
        (page) =>
          fill(
            similar,
            page.data.length
              ? page.data.map((r) => productCard(r.product, { reason: r.reason, compact: true, onOpen: (p) => open(p.id) }))
              : h("p", { class: "muted" }, "Nothing similar in the catalog."),
          ),
        signal,
      ),
    ]);
    if (!signal.aborted) dialog.dataset.state = "ready";
  }

  return { open, close: () => dialog.open && dialog.close() };
}
