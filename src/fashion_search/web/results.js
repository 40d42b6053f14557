// The results: which endpoint a page comes from (browse, text, photo, text + photo), the facet
// counts beside it, the grid, the header chips and the pager.

import { request, errorText } from "./api.js";
import { h, fill, icon } from "./dom.js";
import { productCard, skeletonCards } from "./cards.js";
import { createFacets } from "./facets.js";
import { formatPrice, label } from "./format.js";
import {
  PAGE_SIZE,
  groupsOf,
  hasFilters,
  listingParams,
  searchFilters,
  withoutGroup,
} from "./state.js";

// Searches rank at most this deep (offset + k); the pager stops there.
const SEARCH_DEPTH = 1000;

/** "browse", "text", "image" or "hybrid" for the state and photo at hand. */
export function modeOf(state, photo) {
  if (photo) return state.q ? "hybrid" : "image";
  return state.q ? "text" : "browse";
}

function listing(state, extra, signal) {
  return request("/products", { params: { ...listingParams(state), ...extra }, signal });
}

async function fetchResults(shop, mode, signal) {
  const state = shop.state;
  const offset = (state.page - 1) * PAGE_SIZE;
  if (mode === "browse") {
    const page = await listing(state, { offset, limit: PAGE_SIZE, sort: state.sort || undefined }, signal);
    return {
      items: page.data.map((product) => ({ product, reason: "" })),
      count: page.count,
      query: page.query,
      note: "",
      facets: page.facets,
      browse: true,
    };
  }
  const filters = searchFilters(state);
  let page;
  if (mode === "text") {
    page = await request("/search/text", {
      method: "POST",
      json: { text: state.q, k: PAGE_SIZE, offset, filters, user_id: state.user || undefined },
      signal,
    });
  } else {
    const form = new FormData();
    form.append("file", shop.photo, shop.photo.name || "photo");
    form.append("k", String(PAGE_SIZE));
    form.append("offset", String(offset));
    if (filters) form.append("filters", JSON.stringify(filters));
    if (state.user) form.append("user_id", String(state.user));
    if (mode === "hybrid") form.append("text", state.q);
    page = await request(mode === "image" ? "/search/image" : "/search/hybrid", { method: "POST", form, signal });
  }
  return {
    items: page.data.map((r) => ({ product: r.product, reason: r.reason })),
    count: page.count,
    query: page.query || {},
    note: page.note || "",
    facets: null,
    browse: false,
  };
}

/** Facet counts, each filter group counted without its own selection (so its other values stay visible). */
async function fetchFacets(state, mode, baseFacets, signal) {
  // With words, the listing reads them as the search does (colours, types, genders in the words).
  const q = mode === "text" || mode === "hybrid" ? state.q : undefined;
  const base = baseFacets
    ? Promise.resolve(baseFacets)
    : listing(state, { q, limit: 1, sort: "id" }, signal).then((p) => p.facets);
  const groups = groupsOf(state);
  const active = groups.filter((g) => state[g.key].length).map((g) => g.key);
  if (state.pmin !== null || state.pmax !== null) active.push("price");
  const partial = active.map((key) =>
    listing(withoutGroup(state, key), { q, limit: 1, sort: "id" }, signal).then((p) => [key, p.facets]),
  );
  const [facets, ...others] = await Promise.all([base, ...partial]);
  const merged = { ...facets };
  for (const [key, counts] of others) {
    const field = key === "price" ? "price" : groups.find((g) => g.key === key).field;
    merged[field] = counts[field] || {};
  }
  return merged;
}

export function createResults(shop) {
  const grid = document.getElementById("grid");
  const empty = document.getElementById("empty");
  const pager = document.getElementById("pager");
  const title = document.getElementById("results-title");
  const meta = document.getElementById("results-meta");
  const chips = document.getElementById("active-chips");
  const sortWrap = document.getElementById("sort-wrap");
  const section = document.getElementById("results");
  const facets = createFacets(document.getElementById("facet-groups"), {
    onToggle(key, value, checked) {
      const values = (shop.state[key] || []).filter((v) => v !== value);
      shop.state[key] = checked ? [...values, value] : values;
      shop.state.page = 1;
      refresh();
    },
    onPrice(min, max) {
      shop.state.pmin = min;
      shop.state.pmax = max;
      shop.state.page = 1;
      shop.syncControls();
      refresh();
    },
  });

  let controller = null;

  function heading(mode, state) {
    if (mode === "text") return `Results for “${state.q}”`;
    if (mode === "image") return "Looks like your photo";
    if (mode === "hybrid") return `“${state.q}” + your photo`;
    return "All products";
  }

  function chip(text, onRemove, testid = "filter-chip") {
    return h(
      "span",
      { class: "chip", "data-testid": testid },
      text,
      onRemove ? h("button", { type: "button", class: "chip-remove", "aria-label": `Remove ${text}`, onclick: onRemove }, "×") : null,
    );
  }

  function renderChips(state, result) {
    const items = [];
    for (const group of groupsOf(state)) {
      for (const value of state[group.key]) {
        items.push(
          chip(group.attribute ? `${group.title}: ${value}` : value, () => {
            shop.state[group.key] = shop.state[group.key].filter((v) => v !== value);
            shop.state.page = 1;
            refresh();
          }),
        );
      }
    }
    if (state.pmin !== null || state.pmax !== null) {
      const text =
        state.pmin !== null && state.pmax !== null
          ? `${formatPrice(state.pmin)} – ${formatPrice(state.pmax)}`
          : state.pmin !== null
            ? `From ${formatPrice(state.pmin)}`
            : `Under ${formatPrice(state.pmax)}`;
      items.push(
        chip(text, () => {
          shop.state.pmin = null;
          shop.state.pmax = null;
          shop.state.page = 1;
          shop.syncControls();
          refresh();
        }),
      );
    }
    const detected = result?.query?.detected || {};
    const understood = Object.entries(detected)
      .filter(([, values]) => values !== null && values !== undefined && String(values) !== "")
      .map(([field, values]) => `${label(field.replace("base_colour", "colour").replace("article_type", "type"))}: ${[].concat(values).join(", ")}`);
    if (result?.query?.brand) understood.push(`Brand: ${result.query.brand}`);
    const understoodChip = understood.length
      ? h("span", { class: "understood", "data-testid": "understood" }, icon("M5 12l4 4 10-10"), "Understood ", understood.join(" · "))
      : null;
    fill(chips, items, understoodChip);
  }

  function renderPager(result, state) {
    const pages = Math.ceil(result.count / PAGE_SIZE);
    const last = Math.max(1, result.browse ? pages : Math.min(pages, Math.floor(SEARCH_DEPTH / PAGE_SIZE)));
    if (last <= 1) {
      fill(pager);
      return;
    }
    const go = (page) => () => {
      shop.state.page = page;
      refresh({ scroll: true });
    };
    const numbers = new Set([1, last, state.page - 1, state.page, state.page + 1].filter((n) => n >= 1 && n <= last));
    const sorted = [...numbers].sort((a, b) => a - b);
    const buttons = [];
    let previous = 0;
    for (const n of sorted) {
      if (n - previous > 1) buttons.push(h("span", { class: "pager-gap" }, "…"));
      buttons.push(
        h(
          "button",
          {
            type: "button",
            class: `pager-page${n === state.page ? " is-current" : ""}`,
            "aria-current": n === state.page ? "page" : null,
            "data-testid": "pager-page",
            onclick: go(n),
          },
          String(n),
        ),
      );
      previous = n;
    }
    fill(
      pager,
      h("button", { type: "button", class: "pager-step", disabled: state.page <= 1, onclick: go(state.page - 1), "data-testid": "pager-prev" }, "‹ Previous"),
      buttons,
      h("button", { type: "button", class: "pager-step", disabled: state.page >= last, onclick: go(state.page + 1), "data-testid": "pager-next" }, "Next ›"),
    );
  }

  function renderEmpty(state, mode) {
    const actions = [];
    if (hasFilters(state)) {
      actions.push(h("button", { type: "button", class: "small-button", onclick: () => shop.clearFilters() }, "Clear the filters"));
    }
    let text;
    if (mode === "browse" && !hasFilters(state)) {
      text = "The catalog is empty. Build one (for example with `fashion-search demo`), then reload this page.";
    } else if (state.q) {
      text = `Nothing matches “${state.q}”${hasFilters(state) ? " with these filters" : ""}. Try other words or fewer filters.`;
    } else {
      text = "No products match these filters.";
    }
    fill(empty, h("p", { class: "empty-title" }, "No products found"), h("p", {}, text), actions);
    empty.hidden = false;
  }

  /** Load and draw the page the state describes; a newer call cancels an older one. */
  async function refresh({ scroll = false } = {}) {
    const state = shop.state;
    shop.saveState();
    const mode = modeOf(state, shop.photo);
    controller?.abort();
    controller = new AbortController();
    const { signal } = controller;
    title.textContent = heading(mode, state);
    shop.personaPanel.setSearching(mode !== "browse");
    sortWrap.hidden = mode !== "browse";
    section.setAttribute("aria-busy", "true");
    section.dataset.state = "loading";
    section.classList.add("is-loading");
    if (!grid.children.length || grid.querySelector(".skeleton")) fill(grid, skeletonCards(8));
    empty.hidden = true;
    meta.textContent = mode === "browse" ? "Loading products…" : "Searching…";
    if (scroll) section.scrollIntoView({ behavior: "smooth", block: "start" });
    let result;
    try {
      result = await fetchResults(shop, mode, signal);
      const facetCounts = await fetchFacets(state, mode, result.facets, signal);
      facets.render(facetCounts, state);
    } catch (err) {
      if (err?.name === "AbortError") return;
      section.removeAttribute("aria-busy");
      section.dataset.state = "error";
      section.classList.remove("is-loading");
      fill(grid);
      fill(pager);
      meta.textContent = "";
      fill(empty, h("p", { class: "empty-title" }, "We could not load these products"), h("p", { "data-testid": "empty-detail" }, errorText(err)));
      empty.hidden = false;
      shop.showError(err);
      renderChips(state, null);
      return;
    }
    shop.hideError();
    section.removeAttribute("aria-busy");
    section.classList.remove("is-loading");
    renderChips(state, result);
    const shown = result.items.length;
    if (mode === "browse") {
      meta.textContent = `${result.count} product${result.count === 1 ? "" : "s"}`;
    } else {
      meta.textContent = `Best matches${state.user && shop.persona ? ` for ${shop.persona.name}` : ""} · ${result.count} product${result.count === 1 ? "" : "s"} match the filters`;
    }
    if (result.note) meta.append(h("span", { class: "note" }, ` · ${result.note}`));
    fill(
      grid,
      result.items.map((item) => productCard(item.product, { reason: item.reason, onOpen: (p) => shop.openProduct(p.id) })),
    );
    if (!shown) renderEmpty(state, mode);
    renderPager(result, state);
    section.dataset.state = "ready";
  }

  return { refresh, modeOf: () => modeOf(shop.state, shop.photo) };
}
