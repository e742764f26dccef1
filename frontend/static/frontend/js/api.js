// Small fetch helpers shared by every page: CSRF, JSON, and the platform's one error format
// ({"error": {"code", "message", "fields"}}) turned into a readable message.

import { formatDate, gettext, language, t } from "./i18n.js";

export function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : "";
}

export class ApiError extends Error {
  constructor(status, code, message, fields, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields || {};
    this.body = body;
  }
}

export function errorMessage(status, body, fallback) {
  if (body && typeof body === "object") {
    const e = body.error || body;
    let msg = e.message || e.detail || "";
    const fields = e.fields || {};
    const parts = [];
    for (const [k, v] of Object.entries(fields)) {
      const text = Array.isArray(v) ? v.join(" ") : typeof v === "object" ? JSON.stringify(v) : String(v);
      if (!msg.includes(text)) parts.push(k === "non_field_errors" || k === "__all__" ? text : `${k}: ${text}`);
    }
    if (parts.length) msg = msg ? `${msg} (${parts.join("; ")})` : parts.join("; ");
    if (msg) return msg;
  }
  if (typeof body === "string" && body && body.length < 300 && !body.trim().startsWith("<")) return body;
  if (status === 413) return gettext("The file is too large for the server.");
  if (status === 403) return gettext("You are not allowed to do this.");
  if (status === 404) return gettext("Not found (it may have been removed, or you lack access).");
  return fallback || t("The server answered %(status)s.", { status });
}

async function parse(response) {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function api(method, url, data, { form = false } = {}) {
  const headers = { "X-CSRFToken": csrfToken(), Accept: "application/json" };
  let body;
  if (data !== undefined && data !== null) {
    if (form || data instanceof FormData) body = data;
    else {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(data);
    }
  }
  const response = await fetch(url, { method, headers, body, credentials: "same-origin" });
  const payload = await parse(response);
  if (!response.ok) {
    const e = payload && payload.error ? payload.error : {};
    throw new ApiError(response.status, e.code || String(response.status),
      errorMessage(response.status, payload), e.fields, payload);
  }
  return payload;
}

export const get = (url) => api("GET", url);
export const post = (url, data) => api("POST", url, data);
export const patch = (url, data) => api("PATCH", url, data);
export const del = (url) => api("DELETE", url);

// A list endpoint may answer a plain list or a paginated {results: [...]} page.
export function items(payload) {
  if (Array.isArray(payload)) return payload;
  if (payload && Array.isArray(payload.results)) return payload.results;
  return [];
}

// Upload with progress (fetch has no upload progress): resolves {status, body}; never rejects on HTTP errors.
export function uploadWithProgress(url, formData, onProgress) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (ev) => {
      if (ev.lengthComputable) onProgress(ev.loaded / ev.total);
    };
    xhr.onload = () => {
      let body = xhr.responseText;
      try {
        body = JSON.parse(body);
      } catch { /* keep text */ }
      resolve({ status: xhr.status, body });
    };
    xhr.onerror = () => resolve({ status: 0, body: "The connection to the server was lost during the upload." });
    xhr.send(formData);
  });
}

// The element with this id (every page's one lookup helper).
export const $ = (id) => document.getElementById(id);

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k === "style") node.style.cssText = v; // CSSOM, allowed under a CSP without 'unsafe-inline'
    else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export function timeAgo(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const s = Math.round((Date.now() - d.getTime()) / 1000);
  // Intl words it in the page's language ("3분 전", "3 minutes ago").
  const relative = new Intl.RelativeTimeFormat(language(), { numeric: "auto" });
  if (s < 45) return relative.format(0, "second");
  if (s < 3600) return relative.format(-Math.round(s / 60), "minute");
  if (s < 86400) return relative.format(-Math.round(s / 3600), "hour");
  return formatDate(d);
}
