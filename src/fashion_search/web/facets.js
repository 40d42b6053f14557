// The filter sidebar: checkbox groups with facet counts, and price buckets.

import { h, fill } from "./dom.js";
import { colourDot } from "./cards.js";
import { formatPrice, label } from "./format.js";
import { FILTER_GROUPS, attributeGroup, isAttributeField } from "./state.js";

const SHOWN = 8;

/** "25-50" -> [25, 50]; "200+" -> [200, null]. */
export function parseBucket(name) {
  const open = /^(\d+(?:\.\d+)?)\+$/.exec(name);
  if (open) return [Number(open[1]), null];
  const closed = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(name);
  return closed ? [Number(closed[1]), Number(closed[2])] : null;
}

function bucketLabel(low, high) {
  if (high === null) return `${formatPrice(low)} and up`;
  if (low === 0) return `Under ${formatPrice(high)}`;
  return `${formatPrice(low)} – ${formatPrice(high)}`;
}

/**
 * Draws the groups into ``container``. ``facets`` maps field -> value -> count (each group's
 * counts ignore the group's own selection, so other values stay choosable). ``onToggle(key,
 * value, checked)`` and ``onPrice(min, max)`` report the shopper's choices.
 */
export function createFacets(container, { onToggle, onPrice }) {
  const expanded = new Set();

  function group(def, counts, selected) {
    const entries = Object.entries(counts || {});
    for (const value of selected) {
      if (!entries.some(([name]) => name === value)) entries.push([value, 0]);
    }
    entries.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const open = expanded.has(def.key);
    // Selected values always show, even past the fold.
    const shown = open ? entries : entries.filter(([name], i) => i < SHOWN || selected.includes(name));
    const list = h(
      "ul",
      { class: "facet-list" },
      shown.map(([name, count]) =>
        h(
          "li",
          {},
          h(
            "label",
            { class: `facet-option${count === 0 ? " is-zero" : ""}` },
            h("input", {
              type: "checkbox",
              checked: selected.includes(name),
              "data-testid": `facet-${def.key}`,
              "data-value": name,
              onchange: (e) => onToggle(def.key, name, e.target.checked),
            }),
            def.key === "colour" ? colourDot(name) : null,
            h("span", { class: "facet-name" }, def.attribute ? label(name) : name),
            h("span", { class: "facet-count", "data-testid": "facet-count" }, String(count)),
          ),
        ),
      ),
    );
    const more =
      entries.length > SHOWN
        ? h(
            "button",
            {
              type: "button",
              class: "link-button",
              onclick: () => {
                if (open) expanded.delete(def.key);
                else expanded.add(def.key);
                render(lastFacets, lastState);
              },
            },
            open ? "Show fewer" : `Show all ${entries.length}`,
          )
        : null;
    return h(
      "section",
      { class: "facet", "data-testid": `facet-group-${def.key}` },
      h("h3", {}, def.title),
      entries.length ? list : h("p", { class: "muted small" }, "No values"),
      more,
    );
  }

  function priceGroup(counts, state) {
    const buckets = Object.entries(counts || {})
      .map(([name, count]) => [parseBucket(name), count])
      .filter(([bounds]) => bounds !== null);
    const anySelected = state.pmin === null && state.pmax === null;
    const option = (text, count, active, min, max, testValue) =>
      h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            class: `price-option${active ? " is-active" : ""}${count === 0 ? " is-zero" : ""}`,
            "aria-pressed": active ? "true" : "false",
            "data-testid": "facet-price",
            "data-value": testValue,
            onclick: () => onPrice(min, max),
          },
          h("span", { class: "facet-name" }, text),
          count === null ? null : h("span", { class: "facet-count" }, String(count)),
        ),
      );
    return h(
      "section",
      { class: "facet", "data-testid": "facet-group-price" },
      h("h3", {}, "Price"),
      h(
        "ul",
        { class: "facet-list" },
        option("Any price", null, anySelected, null, null, "any"),
        buckets.map(([[low, high], count]) =>
          option(
            bucketLabel(low, high),
            count,
            state.pmin === (low === 0 ? null : low) && state.pmax === high && !anySelected,
            low === 0 ? null : low,
            high,
            high === null ? `${low}+` : `${low}-${high}`,
          ),
        ),
      ),
    );
  }

  let lastFacets = {};
  let lastState = null;

  function render(facets, state) {
    lastFacets = facets || {};
    lastState = state;
    // Attribute groups (material, pattern, ...) appear when the API counts them or the page filters on them.
    const attributes = [...new Set([...Object.keys(lastFacets), ...Object.keys(state)])]
      .filter(isAttributeField)
      .sort()
      .map(attributeGroup);
    fill(
      container,
      FILTER_GROUPS.map((def) => group(def, lastFacets[def.field], state[def.key])),
      priceGroup(lastFacets.price, state),
      attributes.map((def) => group(def, lastFacets[def.field], state[def.key] || [])),
    );
  }

  return { render };
}
