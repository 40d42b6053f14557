// The page's state and its URL: the query, filters, page, shopper and open product live in the
// query string, so a reload (or a shared link) shows the same page.

/** Filter groups with checkboxes: URL key -> catalog field. */
export const FILTER_GROUPS = [
  { key: "gender", field: "gender", title: "Gender" },
  { key: "category", field: "article_type", title: "Category" },
  { key: "colour", field: "base_colour", title: "Colour" },
  { key: "season", field: "season", title: "Season" },
  { key: "usage", field: "usage", title: "Occasion" },
];

// The visual attributes the API counts as facets (``attr_material``, ``attr_pattern``, ...): their
// groups come from the facets themselves, the URL key is the field's name.
const ATTRIBUTE_FIELD = /^attr_[a-z][a-z0-9_]*$/;

export function isAttributeField(name) {
  return ATTRIBUTE_FIELD.test(name);
}

/** The checkbox group of an attribute field: "attr_sleeve_length" -> "Sleeve length". */
export function attributeGroup(field) {
  const words = field.slice("attr_".length).replace(/_/g, " ");
  return { key: field, field, title: words.charAt(0).toUpperCase() + words.slice(1), attribute: true };
}

/** Every filter group of ``state``: the fixed ones, then the attributes it filters on. */
export function groupsOf(state) {
  const attributes = Object.keys(state).filter(isAttributeField).sort();
  return [...FILTER_GROUPS, ...attributes.map(attributeGroup)];
}

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
  for (const key of new Set(params.keys())) {
    if (isAttributeField(key)) state[key] = [...new Set(params.getAll(key).filter(Boolean))];
  }
  return state;
}

/** The query string of ``state`` (defaults left out). */
export function stateQuery(state) {
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  for (const group of groupsOf(state)) {
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
  return groupsOf(state).some((g) => state[g.key].length > 0) || state.pmin !== null || state.pmax !== null;
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
  for (const group of groupsOf(state)) {
    if (state[group.key].length) filters[group.field] = state[group.key];
  }
  if (state.pmin !== null) filters["price >="] = state.pmin;
  if (state.pmax !== null) filters["price <"] = state.pmax;
  return Object.keys(filters).length ? filters : null;
}

/** Query parameters of GET /products for the same filters. */
export function listingParams(state) {
  const params = {};
  const expressions = [];
  for (const group of groupsOf(state)) {
    const values = state[group.key];
    if (!group.attribute) params[group.field] = values;
    else if (values.length) expressions.push(`${group.field} in ${values.map((v) => JSON.stringify(v)).join(",")}`);
  }
  if (state.pmin !== null) expressions.push(`price>=${state.pmin}`);
  if (state.pmax !== null) expressions.push(`price<${state.pmax}`);
  params.filter = expressions;
  return params;
}
