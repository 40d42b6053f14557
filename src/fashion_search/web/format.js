// How values read on the page: prices, colours, shares and labels.

const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });

export function formatPrice(price) {
  return price === null || price === undefined ? "Price on request" : money.format(price);
}

/** "0.4578" -> "46%". */
export function share(weight) {
  return `${Math.round(weight * 100)}%`;
}

/** "footwear" -> "Footwear", "top_layer" -> "Top layer". */
export function label(text) {
  const words = String(text ?? "").replace(/[_-]+/g, " ").trim();
  return words ? words[0].toUpperCase() + words.slice(1) : "";
}

// The catalog's colour names, as CSS colours for the swatches.
const SWATCHES = {
  black: "#1c1c1c",
  white: "#ffffff",
  "off white": "#f4f1e8",
  cream: "#f3e9cf",
  beige: "#d9c6a5",
  grey: "#8a8a8a",
  "grey melange": "#a3a3a3",
  charcoal: "#3b3b3b",
  silver: "#c0c0c0",
  steel: "#7b8a96",
  metallic: "#9da3a8",
  blue: "#2f6bd8",
  "navy blue": "#1f2f5c",
  "turquoise blue": "#2bb3b1",
  teal: "#137a7f",
  "sea green": "#2e8b57",
  green: "#2f8f46",
  "fluorescent green": "#4cff4c",
  olive: "#6b6b2a",
  lime: "#a4d13a",
  "lime green": "#7ccd32",
  yellow: "#f2c531",
  mustard: "#d4a017",
  gold: "#c9a227",
  orange: "#f07c1f",
  peach: "#f6b99a",
  coffee: "#5b3a29",
  "coffee brown": "#5b3a29",
  brown: "#7a4a2a",
  tan: "#c19a6b",
  khaki: "#b9a76a",
  copper: "#b87333",
  bronze: "#9c6b30",
  rust: "#a4411c",
  red: "#d0312d",
  maroon: "#7a1f2b",
  burgundy: "#6d1a2b",
  "rose": "#e8a0a8",
  pink: "#f199b8",
  magenta: "#c2187a",
  mauve: "#b784a7",
  lavender: "#b9a3e3",
  purple: "#6f3fa0",
  "nude": "#e3bc9a",
  skin: "#e8c4a0",
  "taupe": "#8b8589",
  "mushroom brown": "#8a7460",
  multi: "conic-gradient(#d0312d, #f2c531, #2f8f46, #2f6bd8, #6f3fa0, #d0312d)",
};

/** A CSS background for a catalog colour name (grey for names it does not know). */
export function swatchColour(name) {
  return SWATCHES[String(name ?? "").toLowerCase()] ?? "#b8b8b8";
}

/** "Men", "Apparel › Topwear › Shirts"-style breadcrumbs of a product. */
export function categoryPath(product) {
  return [product.master_category, product.sub_category, product.article_type]
    .filter((part, i, all) => part && all.indexOf(part) === i)
    .join(" › ");
}
