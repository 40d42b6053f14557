// The active shopper: who they are, what their profile says (favourite categories, colours,
// price range) and their recommendations; after an order it shows what changed.

import { request, errorText } from "./api.js";
import { h, fill } from "./dom.js";
import { colourDot, productCard, skeletonCards } from "./cards.js";
import { formatPrice, share } from "./format.js";

const PICKS = 8;

function initials(name) {
  return (name || "?").trim().charAt(0).toUpperCase();
}

function fact(titleText, body, testid) {
  return h("div", { class: "fact", "data-testid": testid }, h("h4", {}, titleText), body);
}

function preferenceList(items, { colours = false } = {}) {
  if (!items?.length) return h("p", { class: "muted small" }, "Nothing yet");
  return h(
    "ul",
    { class: "pref-list" },
    items.map((item) =>
      h(
        "li",
        { "data-testid": "pref", "data-value": item.name },
        colours ? colourDot(item.name) : null,
        h("span", { class: "pref-name" }, item.name),
        h("span", { class: "pref-share" }, share(item.weight)),
      ),
    ),
  );
}

function priceText(price) {
  if (!price) return h("p", { class: "muted small" }, "No purchases yet");
  return h(
    "p",
    { class: "price-band", "data-testid": "price-band" },
    h("strong", {}, `${formatPrice(price.p25)} – ${formatPrice(price.p75)}`),
    h("span", { class: "muted small" }, `where most of their buys fall · average ${formatPrice(price.avg)}`),
  );
}

function historyText(profile) {
  const counts = profile.event_counts || {};
  const n = (type) => counts[type] || 0;
  return `${n("view")} viewed · ${n("add_to_cart")} added to cart · ${n("purchase")} bought`;
}

/** What an order changed: new picks, purchases, the top category and colour. */
function changes(before, after, oldIds, newIds) {
  const lines = [];
  const fresh = newIds.filter((id) => !oldIds.includes(id)).length;
  lines.push(fresh ? `${fresh} new pick${fresh === 1 ? "" : "s"} for you` : "your picks were re-ranked");
  const bought = (p) => p.event_counts?.purchase || 0;
  if (bought(after) !== bought(before)) lines.push(`purchases ${bought(before)} → ${bought(after)}`);
  const top = (p, key) => p[key]?.[0]?.name;
  if (top(after, "article_types") !== top(before, "article_types")) {
    lines.push(`favourite category now ${top(after, "article_types")}`);
  }
  if (top(after, "colours") !== top(before, "colours")) lines.push(`favourite colour now ${top(after, "colours")}`);
  const band = (p) => (p.price ? `${formatPrice(p.price.p25)} – ${formatPrice(p.price.p75)}` : "");
  if (band(after) !== band(before)) lines.push(`price range now ${band(after)}`);
  return lines;
}

export function createPersona(shop) {
  const panel = document.getElementById("persona-panel");
  let shown = null; // { id, profile, ids } of what is on screen
  // Folded while searching so the results come first; the shopper's own choice wins per mode.
  let searching = false;
  const choice = { browse: null, search: null };
  const isCollapsed = () => choice[searching ? "search" : "browse"] ?? searching;

  function applyFold() {
    const collapsed = isCollapsed();
    panel.classList.toggle("is-collapsed", collapsed);
    const toggle = panel.querySelector("[data-testid=persona-toggle]");
    if (toggle) {
      toggle.textContent = collapsed ? "Show profile and picks" : "Hide";
      toggle.setAttribute("aria-expanded", collapsed ? "false" : "true");
    }
  }

  /** Tell the panel whether the page shows search results (it folds) or the catalog. */
  function setSearching(value) {
    searching = value;
    applyFold();
  }

  function render(user, profile, recs, update) {
    const ids = recs.data.map((r) => r.product.id);
    const newIds = update ? new Set(ids.filter((id) => !update.ids.includes(id))) : new Set();
    const head = h(
      "div",
      { class: "persona-head" },
      h("div", { class: `avatar avatar-${(user.id % 5) + 1}`, "aria-hidden": "true" }, initials(user.name)),
      h(
        "div",
        { class: "persona-who" },
        h("h2", { "data-testid": "persona-name" }, user.name, h("span", { class: "tag" }, user.segment)),
        user.description ? h("p", { class: "muted" }, user.description) : null,
        h("p", { class: "small", "data-testid": "persona-history" }, historyText(profile)),
      ),
      h(
        "button",
        {
          type: "button",
          class: "link-button",
          "data-testid": "persona-toggle",
          onclick: () => {
            choice[searching ? "search" : "browse"] = !isCollapsed();
            applyFold();
          },
        },
        "Hide",
      ),
    );
    const facts = h(
      "div",
      { class: "persona-facts" },
      fact("Favourite categories", preferenceList(profile.article_types.slice(0, 4)), "fav-categories"),
      fact("Favourite colours", preferenceList(profile.colours.slice(0, 4), { colours: true }), "fav-colours"),
      fact("Price range", priceText(profile.price), "price-range"),
    );
    const note = update
      ? h(
          "div",
          { class: "update-note", role: "status", "data-testid": "persona-update" },
          h("strong", {}, "Updated after your order: "),
          changes(update.profile, profile, update.ids, ids).join(" · "),
        )
      : null;
    const picks = recs.data.length
      ? h(
          "div",
          { class: "grid grid-picks", "data-testid": "recommendations" },
          recs.data.map((r) =>
            productCard(r.product, {
              reason: r.reason,
              badge: newIds.has(r.product.id) ? "New" : "",
              compact: true,
              onOpen: (p) => shop.openProduct(p.id),
            }),
          ),
        )
      : h("p", { class: "muted" }, "No recommendations yet.");
    fill(
      panel,
      head,
      h(
        "div",
        { class: "persona-more" },
        facts,
        note,
        h("h3", { class: "section-title" }, `Picked for ${user.name}`, recs.note ? h("span", { class: "muted small" }, ` · ${recs.note}`) : null),
        picks,
      ),
    );
    shown = { id: user.id, profile, ids };
    applyFold();
    // The picks scroll sideways: bring the first new one into view (without moving the page).
    const firstNew = panel.querySelector("[data-testid=recommendations] [data-testid=card-badge]");
    if (firstNew) {
      const row = firstNew.closest("[data-testid=recommendations]");
      const card = firstNew.closest("[data-testid=product-card]");
      row.scrollLeft = Math.max(0, card.offsetLeft - row.offsetLeft - 8);
    }
  }

  /**
   * Show the active shopper's profile and picks (hidden for a guest). With ``afterOrder`` the
   * panel compares with what it showed before and says what changed.
   */
  async function load({ afterOrder = false } = {}) {
    const id = shop.state.user;
    if (!id) {
      panel.hidden = true;
      fill(panel);
      shown = null;
      return;
    }
    const update = afterOrder && shown && shown.id === id ? shown : null;
    // What an order changed is the point of the moment: unfold to show it.
    if (update) choice[searching ? "search" : "browse"] = false;
    panel.hidden = false;
    panel.setAttribute("aria-busy", "true");
    panel.dataset.state = "loading";
    if (!update) {
      fill(panel, h("div", { class: "persona-head" }, h("div", { class: "avatar" }, "…"), h("p", { class: "muted" }, "Loading the shopper…")), h("div", { class: "grid grid-picks" }, skeletonCards(4)));
    }
    try {
      const [user, profile, recs] = await Promise.all([
        shop.user(id),
        request(`/users/${id}/profile`),
        request(`/recommendations/${id}`, { params: { limit: PICKS } }),
      ]);
      if (shop.state.user !== id) return;
      render(user, profile, recs, update);
      panel.dataset.state = "ready";
    } catch (err) {
      if (shop.state.user !== id) return;
      panel.dataset.state = "error";
      fill(panel, h("p", { class: "error-text", "data-testid": "persona-error" }, `Could not load this shopper: ${errorText(err)}`));
      shop.showError(err);
    } finally {
      panel.removeAttribute("aria-busy");
    }
  }

  return { load, setSearching };
}
