// The storefront's entry point: builds the page's parts and wires them to the state in the URL.

import { request, errorText } from "./api.js";
import { debounce, h } from "./dom.js";
import { createCart } from "./cart.js";
import { createChat } from "./chat.js";
import { createPersona } from "./persona.js";
import { createPhoto } from "./photo.js";
import { createProductView } from "./product.js";
import { createResults } from "./results.js";
import { groupsOf, readState, writeState } from "./state.js";

const TYPE_DELAY_MS = 300;

function byId(id) {
  return document.getElementById(id);
}

function start() {
  const shop = {
    state: readState(),
    photo: null,
    persona: null, // the active shopper, as GET /users/{id} answers
    users: new Map(),
  };
  const searchInput = byId("search-input");
  const personaSelect = byId("persona-select");
  const priceMin = byId("price-min");
  const priceMax = byId("price-max");
  const sortSelect = byId("sort-select");
  const banner = byId("error-banner");

  shop.saveState = () => writeState(shop.state);
  shop.showError = (err) => {
    byId("error-text").textContent = errorText(err);
    banner.hidden = false;
  };
  shop.hideError = () => {
    banner.hidden = true;
  };
  shop.user = async (id) => {
    if (!shop.users.has(id)) shop.users.set(id, await request(`/users/${id}`));
    return shop.users.get(id);
  };
  shop.syncControls = () => {
    searchInput.value = shop.state.q;
    priceMin.value = shop.state.pmin ?? "";
    priceMax.value = shop.state.pmax ?? "";
    sortSelect.value = shop.state.sort;
  };
  shop.clearFilters = () => {
    for (const group of groupsOf(shop.state)) shop.state[group.key] = [];
    shop.state.pmin = null;
    shop.state.pmax = null;
    shop.state.page = 1;
    shop.syncControls();
    shop.results.refresh();
  };
  shop.closeOverlays = () => {
    shop.product.close();
  };
  shop.openProduct = (id) => shop.product.open(id);

  shop.results = createResults(shop);
  shop.personaPanel = createPersona(shop);
  shop.product = createProductView(shop);
  shop.cart = createCart(shop);
  shop.chat = createChat(shop);
  shop.photos = createPhoto(shop);

  // -- search box: as you type (debounced), or at once on Enter --------------------------------
  const typed = debounce(() => {
    const q = searchInput.value.trim();
    // One letter is not worth a search yet; an emptied box goes back to browsing.
    if (q === shop.state.q || q.length === 1) return;
    shop.state.q = q;
    shop.state.page = 1;
    shop.results.refresh();
  }, TYPE_DELAY_MS);
  searchInput.addEventListener("input", typed);
  byId("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    typed.cancel();
    shop.state.q = searchInput.value.trim();
    shop.state.page = 1;
    shop.results.refresh();
  });

  byId("price-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const read = (input) => (input.value === "" ? null : Math.max(0, Number(input.value)));
    let [min, max] = [read(priceMin), read(priceMax)];
    if (min !== null && max !== null && min > max) [min, max] = [max, min];
    shop.state.pmin = min;
    shop.state.pmax = max;
    shop.state.page = 1;
    shop.syncControls();
    shop.results.refresh();
  });
  sortSelect.addEventListener("change", () => {
    shop.state.sort = sortSelect.value;
    shop.state.page = 1;
    shop.results.refresh();
  });
  byId("clear-filters").addEventListener("click", shop.clearFilters);
  // On small screens the filters fold behind one button so the results come first.
  const filtersToggle = byId("filters-toggle");
  filtersToggle.addEventListener("click", () => {
    const open = byId("filters").classList.toggle("is-open");
    filtersToggle.setAttribute("aria-expanded", open ? "true" : "false");
    filtersToggle.textContent = open ? "Hide filters" : "Show filters";
  });
  byId("error-close").addEventListener("click", shop.hideError);
  byId("brand").addEventListener("click", (e) => {
    e.preventDefault();
    const user = shop.state.user;
    shop.state = { ...readState(""), user };
    if (shop.photo) shop.photos.clear();
    shop.syncControls();
    shop.results.refresh();
  });
  document.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    if (!byId("cart-drawer").hidden) shop.cart.close();
    else if (!byId("chat-drawer").hidden) shop.chat.close();
  });

  // -- shoppers --------------------------------------------------------------------------------
  async function choosePersona(id) {
    shop.state.user = id;
    shop.state.page = 1;
    shop.persona = null;
    if (id) {
      try {
        shop.persona = await shop.user(id);
      } catch (err) {
        shop.showError(err);
        shop.state.user = null;
        personaSelect.value = "";
      }
    }
    shop.saveState();
    shop.cart.update();
    shop.chat.render();
    await Promise.all([shop.personaPanel.load(), shop.results.refresh()]);
  }
  personaSelect.addEventListener("change", () => choosePersona(Number(personaSelect.value) || null));

  async function loadPersonas() {
    const listing = await request("/users");
    for (const user of listing.data) {
      shop.users.set(user.id, user);
      personaSelect.append(h("option", { value: String(user.id) }, `${user.name} · ${user.segment}`));
    }
    const id = shop.state.user;
    if (id && !listing.data.some((u) => u.id === id)) {
      // A shopper from the URL who is not one of the personas.
      const user = await shop.user(id);
      personaSelect.append(h("option", { value: String(user.id) }, `${user.name} · ${user.segment}`));
    }
    if (id) {
      personaSelect.value = String(id);
      shop.persona = await shop.user(id);
    }
  }

  // -- first paint -----------------------------------------------------------------------------
  async function init() {
    shop.syncControls();
    try {
      await loadPersonas();
    } catch (err) {
      shop.showError(err);
      shop.state.user = null;
      personaSelect.value = "";
    }
    await shop.photos.restore();
    shop.cart.update();
    const product = shop.state.product;
    await Promise.all([shop.personaPanel.load(), shop.results.refresh()]);
    if (product) shop.openProduct(product);
    document.body.dataset.ready = "true";
  }
  init();
}

start();
