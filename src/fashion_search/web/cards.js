// Product cards: the one look of a product everywhere on the page (grid, picks, outfit, chat).

import { h } from "./dom.js";
import { formatPrice, swatchColour } from "./format.js";

/** The product's photo, or a lettered placeholder when it has none. */
export function productImage(product, { eager = false } = {}) {
  if (!product.image_url) {
    const letter = (product.article_type || product.name || "?").trim().charAt(0).toUpperCase();
    return h("div", { class: "photo photo-missing", role: "img", "aria-label": `${product.name} (no photo)` }, letter);
  }
  return h(
    "div",
    { class: "photo" },
    h("img", {
      src: product.image_url,
      alt: product.name,
      loading: eager ? "eager" : "lazy",
      decoding: "async",
      width: 300,
      height: 400,
    }),
  );
}

export function colourDot(name) {
  const dot = h("span", { class: "swatch", "aria-hidden": "true" });
  dot.style.background = swatchColour(name);
  return dot;
}

/**
 * A clickable product card. ``reason`` is the API's "why" of a ranked result; ``badge`` a short
 * label on the photo ("New", a role); ``onOpen(product)`` runs on click.
 */
export function productCard(product, { reason = "", badge = "", compact = false, onOpen } = {}) {
  const colour = product.base_colour
    ? h("span", { class: "card-colour" }, colourDot(product.base_colour), product.base_colour)
    : null;
  const meta = h("span", { class: "card-sub" }, [product.gender, product.article_type].filter(Boolean).join(" · "));
  const button = h(
    "button",
    {
      type: "button",
      class: "card-open",
      "aria-label": `${product.name}, ${formatPrice(product.price)}`,
      onclick: () => onOpen && onOpen(product),
    },
    productImage(product),
    badge ? h("span", { class: "card-badge", "data-testid": "card-badge" }, badge) : null,
  );
  return h(
    "article",
    {
      class: `card${compact ? " card-compact" : ""}`,
      dataset: { id: String(product.id), colour: product.base_colour || "" },
      "data-testid": "product-card",
    },
    button,
    h(
      "div",
      { class: "card-body" },
      h(
        "h3",
        { class: "card-name" },
        h("a", { href: `?product=${product.id}`, onclick: (e) => { e.preventDefault(); onOpen && onOpen(product); } }, product.name),
      ),
      compact ? null : meta,
      h(
        "div",
        { class: "card-row" },
        h("span", { class: "price", "data-testid": "card-price" }, formatPrice(product.price)),
        colour,
      ),
      reason ? h("p", { class: "why", "data-testid": "card-why" }, h("span", { class: "why-label" }, "Why "), reason) : null,
    ),
  );
}

/** Placeholder cards shown while a page loads. */
export function skeletonCards(count) {
  return Array.from({ length: count }, () =>
    h(
      "div",
      { class: "card skeleton", "aria-hidden": "true" },
      h("div", { class: "photo" }),
      h("div", { class: "card-body" }, h("div", { class: "bar" }), h("div", { class: "bar short" })),
    ),
  );
}
