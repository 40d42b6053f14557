// Searching with a photo: the file picker, drag-and-drop anywhere on the page, and paste. The
// photo is kept for this tab (a URL cannot hold it), so a reload keeps the photo search.

import { toast } from "./dom.js";

const KEY = "fashion-search.photo";
const KEEP_LIMIT = 3 * 1024 * 1024;

function readAsDataUrl(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

export function createPhoto(shop) {
  const input = document.getElementById("photo-input");
  const chip = document.getElementById("photo-chip");
  const thumb = document.getElementById("photo-thumb");
  const name = document.getElementById("photo-name");
  const overlay = document.getElementById("drop-overlay");
  let thumbUrl = null;
  let dragDepth = 0;

  function show(file) {
    if (thumbUrl) URL.revokeObjectURL(thumbUrl);
    thumbUrl = null;
    if (file.type && file.type.startsWith("image/")) {
      thumbUrl = URL.createObjectURL(file);
      thumb.src = thumbUrl;
      thumb.hidden = false;
    } else {
      thumb.removeAttribute("src");
      thumb.hidden = true;
    }
    name.textContent = file.name || "photo";
    chip.hidden = false;
  }

  async function keep(file) {
    try {
      if (file.size > KEEP_LIMIT) {
        window.sessionStorage.removeItem(KEY);
        return;
      }
      const data = await readAsDataUrl(file);
      window.sessionStorage.setItem(KEY, JSON.stringify({ name: file.name || "photo", type: file.type, data }));
    } catch {
      // Not kept across a reload; the search itself still works.
    }
  }

  /** Search with ``file`` (with the words in the box, if any). */
  function set(file, { refresh = true } = {}) {
    shop.photo = file;
    show(file);
    keep(file);
    input.value = "";
    if (refresh) {
      shop.state.page = 1;
      shop.closeOverlays();
      shop.results.refresh();
    }
  }

  function clear() {
    shop.photo = null;
    chip.hidden = true;
    if (thumbUrl) URL.revokeObjectURL(thumbUrl);
    thumbUrl = null;
    window.sessionStorage.removeItem(KEY);
    shop.state.page = 1;
    shop.results.refresh();
  }

  /** The photo kept by an earlier page load of this tab, if any (no search is started). */
  async function restore() {
    try {
      const saved = JSON.parse(window.sessionStorage.getItem(KEY) || "null");
      if (!saved?.data) return;
      const blob = await (await fetch(saved.data)).blob();
      const file = new File([blob], saved.name, { type: saved.type || blob.type });
      shop.photo = file;
      show(file);
    } catch {
      window.sessionStorage.removeItem(KEY);
    }
  }

  input.addEventListener("change", () => {
    const file = input.files?.[0];
    if (file) set(file);
  });
  document.getElementById("photo-remove").addEventListener("click", clear);

  const hasFiles = (e) => [...(e.dataTransfer?.types || [])].includes("Files");
  window.addEventListener("dragenter", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    dragDepth += 1;
    overlay.hidden = false;
  });
  window.addEventListener("dragleave", (e) => {
    if (!hasFiles(e)) return;
    dragDepth = Math.max(0, dragDepth - 1);
    if (dragDepth === 0) overlay.hidden = true;
  });
  // Without these the browser would open a dropped file in place of the shop.
  window.addEventListener("dragover", (e) => {
    if (hasFiles(e)) e.preventDefault();
  });
  window.addEventListener("drop", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    dragDepth = 0;
    overlay.hidden = true;
    const file = e.dataTransfer.files?.[0];
    if (!file) return;
    set(file);
  });
  window.addEventListener("paste", (e) => {
    const file = [...(e.clipboardData?.files || [])].find((f) => f.type.startsWith("image/"));
    if (file) {
      e.preventDefault();
      set(file);
      toast("Searching with the pasted image.");
    }
  });

  return { set, clear, restore };
}
