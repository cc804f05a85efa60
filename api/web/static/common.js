// noriai pages: language, sign-in, API calls, errors, times. Plain ES module, no build step.

const body = document.body;
export const API_BASE = body.dataset.apiBase || "/api/v1";
export const TIMEZONE = body.dataset.timezone || "Asia/Tokyo";
// the residents' page keeps its own sign-in apart from the staff token (data-token-key)
const TOKEN_KEY = body.dataset.tokenKey || "noriai.token";
const LANG_KEY = "noriai.lang";

// ---------------------------------------------------------------- language
const STRINGS = JSON.parse(document.getElementById("noriai-strings").textContent);
let currentLang = document.documentElement.lang === "en" ? "en" : "ja";
const langListeners = [];

export function lang() {
  return currentLang;
}

/** The string `key` in the current language, `{name}` filled from `vars`. */
export function t(key, vars = {}) {
  const table = STRINGS[currentLang] || STRINGS.ja;
  let s = table[key] ?? STRINGS.ja[key];
  if (s === undefined) {
    console.warn("noriai: no string", key);
    return key;
  }
  for (const [name, value] of Object.entries(vars)) s = s.replaceAll(`{${name}}`, String(value));
  return s;
}

/** Translate every `[data-i18n]` and `[data-i18n-attr]` element under `root`. */
export function translate(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n, el.dataset.i18nVars ? JSON.parse(el.dataset.i18nVars) : {});
  }
  for (const el of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of el.dataset.i18nAttr.split(";")) {
      const [attr, key] = pair.split(":");
      if (attr && key) el.setAttribute(attr.trim(), t(key.trim()));
    }
  }
}

export function setLang(next, { remember = true } = {}) {
  currentLang = next === "en" ? "en" : "ja";
  document.documentElement.lang = currentLang;
  const toggle = document.getElementById("lang-toggle");
  if (toggle) toggle.lang = currentLang === "ja" ? "en" : "ja";
  if (remember) localStorage.setItem(LANG_KEY, currentLang);
  translate();
  const title = document.querySelector("title[data-i18n]");
  if (title) document.title = `${t(title.dataset.i18n)} — ${t("app.name")}`;
  for (const fn of langListeners) fn(currentLang);
}

/** Call `fn(lang)` after every language change (to re-render dynamic parts). */
export function onLangChange(fn) {
  langListeners.push(fn);
}

function setupLang() {
  const forced = body.dataset.langForced === "true";
  const saved = localStorage.getItem(LANG_KEY);
  if (!forced && (saved === "en" || saved === "ja") && saved !== currentLang) {
    setLang(saved, { remember: false });
  }
  document.getElementById("lang-toggle")?.addEventListener("click", () => {
    setLang(currentLang === "ja" ? "en" : "ja");
  });
}

// ---------------------------------------------------------------- DOM helpers
/** `el("li", {class: "x", dataset: {id: 1}, onclick: fn}, "text", child)` */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A span translated now and on every language change. */
export function tr(key, vars = undefined, attrs = {}) {
  const span = el("span", { ...attrs, "data-i18n": key }, t(key, vars || {}));
  if (vars) span.dataset.i18nVars = JSON.stringify(vars);
  return span;
}

// ---------------------------------------------------------------- messages
let flashTimer = 0;

export function flash(message) {
  const box = document.getElementById("flash");
  box.textContent = message;
  box.hidden = false;
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => (box.hidden = true), 6000);
}

export function clearError() {
  const box = document.getElementById("error");
  box.hidden = true;
  box.querySelector(".error-message").textContent = "";
  delete box.dataset.status;
}

/** Show an error (an `ApiError` or anything else) in the page's alert box. */
export function showError(err) {
  const box = document.getElementById("error");
  box.querySelector(".error-message").textContent = errorText(err);
  box.dataset.status = err instanceof ApiError ? String(err.status) : "";
  box.hidden = false;
  box.scrollIntoView({ block: "nearest" });
  if (!(err instanceof ApiError)) console.error(err);
}

/** The message of an error: our words for the status first, then the server's detail. */
export function errorText(err) {
  if (!(err instanceof ApiError)) return t(err instanceof TypeError ? "error.network" : "error.other");
  const general = [401, 403, 404, 409, 422, 503].includes(err.status) ? t(`error.${err.status}`) : t("error.other");
  const detail = err.message && err.message !== general ? err.message : "";
  return detail ? `${general} ${detail}` : general;
}

export class ApiError extends Error {
  constructor(status, problem) {
    super(problemMessage(problem, status));
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
  }
}

/** The readable part of a problem+json (or FastAPI) error body, in the page's language. */
function problemMessage(p, status) {
  if (!p || typeof p !== "object") return typeof p === "string" ? p : `HTTP ${status}`;
  const localized = p[`detail_${currentLang}`] || p[`message_${currentLang}`];
  if (localized) return localized;
  const items = Array.isArray(p.errors) ? p.errors : Array.isArray(p.detail) ? p.detail : null;
  if (items) {
    const parts = items.map((e) => {
      if (typeof e === "string") return e;
      const where = Array.isArray(e.loc) ? e.loc.filter((x) => x !== "body").join(".") : e.field || e.name || "";
      const msg = e.msg || e.message || e.detail || JSON.stringify(e);
      return where ? `${where}: ${msg}` : msg;
    });
    const head = typeof p.detail === "string" ? p.detail : p.title || "";
    return [head, ...parts].filter(Boolean).join(" / ");
  }
  return p.detail || p.title || p.message || `HTTP ${status}`;
}

// ---------------------------------------------------------------- sign-in and API calls
export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

let onUnauthorized = () => {};

/** Call `fn(err)` when the API answers 401 (a page with its own sign-in). */
export function whenUnauthorized(fn) {
  onUnauthorized = fn;
}

/**
 * Call the JSON API. `path` is relative to the API base (`/bookings`) unless it
 * starts with the base or `/web`. Throws `ApiError` for non-2xx answers.
 */
export async function api(path, { method = "GET", body: payload, query, signal, idempotencyKey } = {}) {
  let url = path.startsWith(API_BASE) ? path : API_BASE + path;
  if (query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === "") continue;
      for (const item of Array.isArray(v) ? v : [v]) params.append(k, String(item));
    }
    const qs = params.toString();
    if (qs) url += (url.includes("?") ? "&" : "?") + qs;
  }
  const headers = { Accept: "application/json, application/problem+json" };
  const tok = token();
  if (tok) headers.Authorization = `Bearer ${tok}`;
  if (payload !== undefined) headers["Content-Type"] = "application/json";
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  const res = await fetch(url, {
    method,
    headers,
    body: payload === undefined ? undefined : JSON.stringify(payload),
    signal,
  });
  const type = res.headers.get("content-type") || "";
  const data = res.status === 204 ? null : type.includes("json") ? await res.json() : await res.text();
  if (!res.ok) {
    const err = new ApiError(res.status, data);
    if (res.status === 401) onUnauthorized(err);
    throw err;
  }
  return data;
}

/** A fresh Idempotency-Key (random; also where crypto.randomUUID is missing, e.g. plain http). */
export function newKey(prefix = "k") {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `${prefix}-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * Set up a staff page: language toggle, sign-in form, error box.
 * `onReady(me)` runs once signed in (`me` is the API's description of the user).
 */
export function initPage({ onReady, whoami = "/auth/me" } = {}) {
  setupLang();
  const login = document.getElementById("login");
  const main = document.getElementById("main");
  const form = document.getElementById("login-form");
  const who = document.getElementById("whoami");
  const logout = document.getElementById("logout");
  document.querySelector("#error .error-close").addEventListener("click", clearError);
  let started = false;

  function showLogin(message) {
    main.hidden = true;
    login.hidden = false;
    who.hidden = true;
    logout.hidden = true;
    if (message) showError(message);
    document.getElementById("login-token").focus();
  }
  onUnauthorized = () => {
    setToken(null);
    showLogin();
  };

  async function start() {
    let me;
    try {
      me = await api(whoami);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        setToken(null);
        showLogin(err);
        return;
      }
      showError(err);
      return;
    }
    clearError();
    await syncClock().catch((err) => console.warn("noriai: the service's clock", err));
    login.hidden = true;
    main.hidden = false;
    const role = me.role || (Array.isArray(me.roles) ? me.roles[0] : "");
    who.replaceChildren(tr("login.as", { name: me.name || me.username || me.id || "", role: role ? t(`role.${role}`) : "" }));
    who.hidden = false;
    logout.hidden = false;
    if (!started) {
      started = true;
      await onReady?.(me);
      // panels in their own scripts (e.g. call_list.js) start here
      document.dispatchEvent(new CustomEvent("noriai:signed-in", { detail: me }));
    }
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const input = document.getElementById("login-token");
    const value = input.value.trim();
    if (!value) return;
    setToken(value);
    input.value = "";
    await start();
  });
  logout.addEventListener("click", () => {
    setToken(null);
    location.reload();
  });

  if (token()) start();
  else showLogin();
}

// ---------------------------------------------------------------- the service's clock
// Pages never take the day or the hour from the browser: the service's clock may be set
// apart from the wall clock (NORIAI_FIXED_NOW, a demo, the tests). The page is rendered
// with the service's now (`data-service-now`); `syncClock` asks again (GET /clock).
let clockSkew = skewOf(body.dataset.serviceNow);

function skewOf(iso) {
  const at = Date.parse(iso || "");
  return Number.isFinite(at) ? at - Date.now() : 0;
}

/** Now as the service sees it. */
export function serviceNow() {
  return new Date(Date.now() + clockSkew);
}

/** Set the page's clock from the service's again; `{now, service_date, timezone}`. */
export async function syncClock() {
  const clock = await api("/clock");
  clockSkew = skewOf(clock.now);
  return clock;
}

// ---------------------------------------------------------------- times (service time zone)
const hhmm = new Intl.DateTimeFormat("en-GB", { timeZone: TIMEZONE, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
const ymd = new Intl.DateTimeFormat("en-CA", { timeZone: TIMEZONE, year: "numeric", month: "2-digit", day: "2-digit" });
const WEEKDAYS_JA = ["日", "月", "火", "水", "木", "金", "土"];
const WEEKDAYS_EN = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const WAREKI_KEY = "noriai.wareki";

/** "10:05" in the service time zone, from an ISO datetime (or Date). */
export function fmtTime(value) {
  if (value === null || value === undefined || value === "") return "—";
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : hhmm.format(d);
}

/** 「10:05〜10:20」 */
export function fmtWindow(start, end) {
  return `「${fmtTime(start)}〜${fmtTime(end)}」`;
}

/** "2025-01-31" today in the service time zone, by the service's clock. */
export function todayIso(now = serviceNow()) {
  return ymd.format(now);
}

/** "HH:MM" now in the service time zone, by the service's clock. */
export function nowHHMM(now = serviceNow()) {
  return hhmm.format(now);
}

/** The date `days` after the date "YYYY-MM-DD" (calendar days, no time zone involved). */
export function addDaysIso(dateIso, days) {
  const [y, m, d] = dateIso.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** Show dates in the Japanese era (和暦, 令和8年) instead of the Western year? */
export function wareki() {
  return localStorage.getItem(WAREKI_KEY) === "1";
}

/** Remember the choice of era and redraw the page's dynamic parts. */
export function setWareki(on) {
  localStorage.setItem(WAREKI_KEY, on ? "1" : "0");
  for (const fn of langListeners) fn(currentLang);
}

/** {y, m, d, wd} of a date "YYYY-MM-DD" as it stands, or of a datetime in the service zone. */
function dateParts(value) {
  const plain = typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value);
  const iso = plain ? value : ymd.format(value instanceof Date ? value : new Date(value));
  const [y, m, d] = iso.split("-").map(Number);
  return { y, m, d, wd: new Date(Date.UTC(y, m - 1, d)).getUTCDay() };
}

/** 「令和8年」 for a date on or after 1 May 2019, else 「平成31年」 (1 January 1989 on). */
function eraYear(y, m) {
  const reiwa = y > 2019 || (y === 2019 && m >= 5);
  const n = reiwa ? y - 2018 : y - 1988;
  return `${reiwa ? "令和" : "平成"}${n === 1 ? "元" : n}年`;
}

/**
 * The date in the page's language: 「2026年12月5日(土)」 (with 和暦 「令和8年12月5日(土)」),
 * or "Sat 5 Dec 2026". `value`: a date "YYYY-MM-DD", an ISO datetime or a Date.
 */
export function fmtDate(value, { weekday = true } = {}) {
  if (value === null || value === undefined || value === "") return "—";
  if (!(value instanceof Date) && Number.isNaN(Date.parse(value))) return String(value);
  const { y, m, d, wd } = dateParts(value);
  if (currentLang === "en") return `${weekday ? `${WEEKDAYS_EN[wd]} ` : ""}${d} ${MONTHS_EN[m - 1]} ${y}`;
  const year = wareki() ? eraYear(y, m) : `${y}年`;
  return `${year}${m}月${d}日${weekday ? `(${WEEKDAYS_JA[wd]})` : ""}`;
}

/** 「2026年12月5日(土) 07:40」 (24-hour), in the service time zone. */
export function fmtDateTime(value) {
  return `${fmtDate(value)} ${fmtTime(value)}`;
}

/**
 * Show each date field's value in words beside it (the browser draws `<input type=date>`
 * in its own locale's order), now and whenever it changes or the language does.
 */
export function describeDates(root = document) {
  for (const input of root.querySelectorAll('input[type="date"]')) {
    let words = input.nextElementSibling;
    if (!words?.classList.contains("date-words")) {
      words = el("span", { class: "date-words", id: `${input.id}-words`, "aria-live": "polite" });
      input.after(words);
      input.setAttribute("aria-describedby", [input.getAttribute("aria-describedby"), words.id].filter(Boolean).join(" "));
      input.addEventListener("input", () => (words.textContent = input.value ? fmtDate(input.value) : ""));
      input.addEventListener("change", () => (words.textContent = input.value ? fmtDate(input.value) : ""));
    }
    words.textContent = input.value ? fmtDate(input.value) : "";
  }
}

/**
 * "09:30" from a time of day as an operator types it on the phone: "9:30", "0930", "930",
 * "9時30分", "9時", full-width digits; null when it is not one (24-hour, 00:00-23:59).
 */
export function parseTime(text) {
  const s = String(text ?? "").trim()
    .replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/[：時]/g, ":").replace(/分$/, "");
  const m = /^(\d{1,2})(?::(\d{1,2})?)?$/.exec(s) || /^(\d{1,2})(\d{2})$/.exec(s); // 9:5, 9, 0930
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2] ?? 0);
  if (h > 23 || min > 59) return null;
  return `${String(h).padStart(2, "0")}:${String(min).padStart(2, "0")}`;
}

/** The time in a 24-hour field (`input.time-field`), written back as "HH:MM"; or an Error
 * that names the field. */
export function timeOf(input) {
  const value = parseTime(input.value);
  input.setAttribute("aria-invalid", value === null ? "true" : "false");
  if (value === null) {
    const label = input.labels?.[0]?.textContent?.trim() || input.id;
    throw new Error(t("time.bad", { field: label, value: input.value }));
  }
  input.value = value;
  return value;
}

/**
 * 24-hour time fields: text inputs (the browser's own time field follows its locale,
 * "09:30 AM"), written back as "HH:MM" when left, marked invalid when not a time.
 */
export function setupTimeFields(root = document) {
  for (const input of root.querySelectorAll("input.time-field")) {
    input.addEventListener("change", () => {
      const value = parseTime(input.value);
      if (value !== null) input.value = value;
      input.setAttribute("aria-invalid", value === null && input.value ? "true" : "false");
    });
  }
}

/** Offset of the service zone at `date`, as "+09:00". */
function zoneOffset(date) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone: TIMEZONE, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    }).formatToParts(date).map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour % 24, +parts.minute, +parts.second);
  const minutes = Math.round((asUtc - date.getTime()) / 60000);
  const sign = minutes < 0 ? "-" : "+";
  const a = Math.abs(minutes);
  return `${sign}${String(Math.floor(a / 60)).padStart(2, "0")}:${String(a % 60).padStart(2, "0")}`;
}

/** ISO datetime with the service zone's offset from a date "YYYY-MM-DD" and a time "HH:MM". */
export function zonedIso(date, time) {
  const guess = new Date(`${date}T${time}:00Z`);
  const offset = zoneOffset(guess);
  const iso = `${date}T${time}:00${offset}`;
  const again = zoneOffset(new Date(iso)); // across a DST change the first guess may be off
  return again === offset ? iso : `${date}T${time}:00${again}`;
}

/** "2:45" for a number of seconds. */
export function fmtCountdown(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

// ---------------------------------------------------------------- keyboard
/** True when a key press happens inside a text field (so single-key shortcuts stay quiet). */
export function typing(ev) {
  const target = ev.target;
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !["checkbox", "radio", "button", "submit", "reset"].includes(target.type);
  }
  return false;
}

/** Vehicle colours, distinct and readable on the light map. */
export const PALETTE = ["#d1495b", "#00798c", "#edae49", "#3d5a80", "#66a182", "#8e44ad", "#e07a5f", "#2e4057", "#b5838d", "#0081a7"];

/** Pages without sign-in (the index): just the language toggle. */
export function initLangOnly() {
  setupLang();
  document.querySelector("#error .error-close")?.addEventListener("click", clearError);
}
