// The page's state and its URL: the query, filters, page, shopper and open product live in the
// query string, so a reload (or a shared link) shows the same page.

/** Filter groups with checkboxes: URL key -> catalog field. */
export const FILTER_GROUPS = [
  { key: "gender", field: "gender", title: "Gender" },
  { key: "category", field: "article_type", title: "Category" },
  { key: "colour", field: "base_colour", title: "Colour" },
];

export const PAGE_SIZE = 24;

function number(text) {
  if (text === null || text === "") return null;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 ? value : null;
}

function positiveInt(text) {
  const value = Number.parseInt(text ?? "", 10);
  return Number.isInteger(value) && value > 0 ? value : null;
}

/** The state a query string describes (unknown keys are ignored). */
export function readState(search = window.location.search) {
  const params = new URLSearchParams(search);
  const state = {
    q: (params.get("q") || "").trim(),
    pmin: number(params.get("min")),
    pmax: number(params.get("max")),
    sort: params.get("sort") || "",
    page: positiveInt(params.get("page")) || 1,
    user: positiveInt(params.get("user")),
    product: positiveInt(params.get("product")),
  };
  for (const group of FILTER_GROUPS) {
    state[group.key] = [...new Set(params.getAll(group.key).filter(Boolean))];
  }
  return state;
}

/** The query string of ``state`` (defaults left out). */
export function stateQuery(state) {
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  for (const group of FILTER_GROUPS) {
    for (const value of state[group.key]) params.append(group.key, value);
  }
  if (state.pmin !== null) params.set("min", String(state.pmin));
  if (state.pmax !== null) params.set("max", String(state.pmax));
  if (state.sort) params.set("sort", state.sort);
  if (state.page > 1) params.set("page", String(state.page));
  if (state.user) params.set("user", String(state.user));
  if (state.product) params.set("product", String(state.product));
  return params.toString();
}

/** Put ``state`` in the address bar without a navigation. */
export function writeState(state) {
  const qs = stateQuery(state);
  const url = `${window.location.pathname}${qs ? `?${qs}` : ""}`;
  if (url !== `${window.location.pathname}${window.location.search}`) {
    window.history.replaceState(null, "", url);
  }
}

export function hasFilters(state) {
  return FILTER_GROUPS.some((g) => state[g.key].length > 0) || state.pmin !== null || state.pmax !== null;
}

/** ``state`` without the filter group ``key`` ("price" for the price range). */
export function withoutGroup(state, key) {
  const copy = { ...state };
  if (key === "price") {
    copy.pmin = null;
    copy.pmax = null;
  } else {
    copy[key] = [];
  }
  return copy;
}

/** Filters in the JSON dialect the search endpoints take (null when there are none). */
export function searchFilters(state) {
  const filters = {};
  for (const group of FILTER_GROUPS) {
    if (state[group.key].length) filters[group.field] = state[group.key];
  }
  if (state.pmin !== null) filters["price >="] = state.pmin;
  if (state.pmax !== null) filters["price <"] = state.pmax;
  return Object.keys(filters).length ? filters : null;
}

/** Query parameters of GET /products for the same filters. */
export function listingParams(state) {
  const params = {};
  for (const group of FILTER_GROUPS) params[group.field] = state[group.key];
  const expressions = [];
  if (state.pmin !== null) expressions.push(`price>=${state.pmin}`);
  if (state.pmax !== null) expressions.push(`price<${state.pmax}`);
  params.filter = expressions;
  return params;
}
