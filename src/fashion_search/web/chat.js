// The stylist chat: POST /stylist/chat with the session id the server gave, the answer and the
// products it recommends. The conversation is kept for this browser tab.

import { request, errorText } from "./api.js";
import { h, fill } from "./dom.js";
import { productCard } from "./cards.js";
import { label } from "./format.js";

const KEY = "fashion-search.chat";

/**
 * The answer's text as nodes (never as markup): **bold** spans, and product references such as
 * "(#60258)" as buttons that open that product.
 */
function richText(text, onOpen) {
  const parts = String(text || "").split(/\*\*(.+?)\*\*/g);
  return parts.map((part, i) => {
    if (i % 2) return h("strong", {}, part);
    return part.split(/#(\d{1,9})\b/g).map((piece, j) => {
      if (!(j % 2)) return piece;
      const id = Number(piece);
      return h("button", { type: "button", class: "ref-link", "data-testid": "chat-ref", onclick: () => onOpen(id) }, `#${piece}`);
    });
  });
}

/** Products of a reply: {product, reason, role} items, or bare products. */
function recommended(products) {
  return (products || [])
    .map((item) => (item && item.product ? item : { product: item, reason: "", role: null }))
    .filter((item) => item.product && item.product.id !== undefined);
}

export function createChat(shop) {
  const drawer = document.getElementById("chat-drawer");
  const log = document.getElementById("chat-log");
  const form = document.getElementById("chat-form");
  const input = document.getElementById("chat-input");
  const sendButton = form.querySelector("button[type=submit]");
  let sessionId = null;
  let messages = [];
  let busy = false;

  try {
    const saved = JSON.parse(window.sessionStorage.getItem(KEY) || "null");
    if (saved && Array.isArray(saved.messages)) {
      sessionId = saved.sessionId || null;
      messages = saved.messages;
    }
  } catch {
    // A damaged saved conversation just starts a new one.
  }

  function persist() {
    try {
      window.sessionStorage.setItem(KEY, JSON.stringify({ sessionId, messages: messages.slice(-40) }));
    } catch {
      // Storage full or disabled: the conversation still works, it is just not kept.
    }
  }

  function bubble(message) {
    if (message.role === "user") {
      return h("div", { class: "msg msg-user", "data-testid": "chat-user" }, message.text);
    }
    if (message.role === "error") {
      return h("div", { class: "msg msg-error", role: "alert", "data-testid": "chat-error" }, message.text);
    }
    const items = recommended(message.products);
    return h(
      "div",
      { class: "msg msg-stylist", "data-testid": "chat-answer" },
      h("div", { class: "msg-text" }, richText(message.text, (id) => shop.openProduct(id))),
      items.length
        ? h(
            "div",
            { class: "grid grid-chat", "data-testid": "chat-products" },
            items.map((item) =>
              productCard(item.product, {
                reason: item.reason,
                badge: item.role ? label(item.role) : "",
                compact: true,
                onOpen: (p) => shop.openProduct(p.id),
              }),
            ),
          )
        : null,
      message.tools?.length ? h("p", { class: "msg-tools muted small" }, `Looked up with: ${message.tools.join(", ")}`) : null,
    );
  }

  function render() {
    const intro = h(
      "div",
      { class: "msg msg-stylist" },
      h("div", { class: "msg-text" }, `Hi${shop.persona ? ` ${shop.persona.name}` : ""}! Tell me the occasion, a budget, colours you love, or ask what goes with a product.`),
    );
    const bubbles = messages.map(bubble);
    fill(log, intro, bubbles, busy ? h("div", { class: "msg msg-stylist typing", "data-testid": "chat-typing" }, h("span"), h("span"), h("span")) : null);
    // A new answer is read from its first line; anything else keeps the end of the talk in view.
    const last = bubbles[bubbles.length - 1];
    if (!busy && last && messages[messages.length - 1].role === "stylist") {
      log.scrollTop = Math.max(0, last.offsetTop - log.offsetTop - 8);
    } else {
      log.scrollTop = log.scrollHeight;
    }
  }

  async function send(text) {
    if (busy) return;
    busy = true;
    drawer.dataset.state = "loading";
    sendButton.disabled = true;
    messages.push({ role: "user", text });
    render();
    try {
      const reply = await request("/stylist/chat", {
        method: "POST",
        json: { message: text, session_id: sessionId || undefined, user_id: shop.state.user || undefined },
      });
      sessionId = reply.session_id || sessionId;
      messages.push({
        role: "stylist",
        text: reply.answer,
        products: recommended(reply.products),
        tools: [...new Set((reply.tool_calls || []).map((call) => call.name).filter(Boolean))],
      });
    } catch (err) {
      const missing = err?.status === 404 && err.detail === "Not Found";
      messages.push({
        role: "error",
        text: missing ? "The stylist is not available on this server (the API answered 404 Not Found)." : errorText(err),
      });
    } finally {
      busy = false;
      sendButton.disabled = false;
    }
    persist();
    render();
    drawer.dataset.state = "ready";
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text);
  });
  document.getElementById("chat-reset").addEventListener("click", () => {
    sessionId = null;
    messages = [];
    persist();
    render();
    input.focus();
  });

  function open() {
    drawer.hidden = false;
    render();
    input.focus();
  }

  function close() {
    drawer.hidden = true;
  }

  document.getElementById("stylist-button").addEventListener("click", () => (drawer.hidden ? open() : close()));
  document.getElementById("chat-close").addEventListener("click", close);

  return { open, close, render, sessionId: () => sessionId };
}
