// The one way the page talks to the server: the public REST API under /api/v1.

export const API_ROOT = "/api/v1";

/** The API said no (``status`` >= 400) or could not be reached (``status`` 0); ``detail`` says why. */
export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
  }
}

function describe(detail) {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail.map((d) => (typeof d === "string" ? d : d?.msg ?? JSON.stringify(d))).join("; ");
  }
  return JSON.stringify(detail);
}

/** Query string from an object: arrays repeat the key; null, undefined and "" are left out. */
export function queryString(params) {
  const qs = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    for (const v of [].concat(value)) {
      if (v === null || v === undefined || v === "") continue;
      qs.append(key, String(v));
    }
  }
  return qs.toString();
}

/**
 * Call the API: ``request("/products", { params })``, ``{ method: "POST", json }`` or ``{ form }``.
 * Resolves with the decoded JSON; rejects with an ApiError carrying the API's ``detail``, or with
 * the AbortError of an aborted call.
 */
export async function request(path, { method = "GET", params, json, form, signal } = {}) {
  const qs = params ? queryString(params) : "";
  const url = `${API_ROOT}${path}${qs ? `?${qs}` : ""}`;
  const init = { method, signal, headers: { Accept: "application/json" } };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["Content-Type"] = "application/json";
  } else if (form !== undefined) {
    init.body = form;
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    if (err?.name === "AbortError") throw err;
    throw new ApiError(0, "Cannot reach the shop's server. Check that it is running, then try again.");
  }
  const text = await response.text();
  let body = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!response.ok) {
    const detail =
      body && body.detail !== undefined && body.detail !== null
        ? describe(body.detail)
        : `${response.status} ${response.statusText || "error"}`.trim();
    throw new ApiError(response.status, detail);
  }
  return body;
}

/** A readable line for any failure. */
export function errorText(err) {
  if (err instanceof ApiError) return err.detail;
  return err?.message ? String(err.message) : String(err);
}
