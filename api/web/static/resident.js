// The residents' page: sign in with the registration number and PIN, then
// from where, to where, when, check, confirm; my bookings and cancelling.
// The same quotes and promises as the operator's (the /resident API).
import {
  ApiError, api, clearError, el, errorText, flash, fmtTime, lang, onLangChange, setLang,
  setToken, showError, t, todayIso, token, translate, whenUnauthorized, zonedIso,
} from "./common.js";

const body = document.body;
const SERVICE_NOW = body.dataset.serviceNow ? new Date(body.dataset.serviceNow) : new Date();
const DAYS_AHEAD = Number(body.dataset.daysAhead || 7);
const $ = (id) => document.getElementById(id);

let me = null;
let offer = null; // the held quote on show

// ---------------------------------------------------------------- furigana
const RUBY = /\{([^|{}]+)\|([^|{}]+)\}/g;

/** The string without furigana (for messages, titles, dialogs). */
function plain(s) {
  return s.replace(RUBY, "$1");
}

/** `t(key)` as nodes: <ruby> for {漢字|かんじ} in Japanese (built, never innerHTML). */
function rubyNodes(key, vars = {}) {
  const s = t(key, vars);
  const out = [];
  let pos = 0;
  for (const m of s.matchAll(RUBY)) {
    out.push(document.createTextNode(s.slice(pos, m.index)));
    out.push(el("ruby", {}, m[1], el("rt", {}, m[2])));
    pos = m.index + m[0].length;
  }
  out.push(document.createTextNode(s.slice(pos)));
  return out;
}

function renderRuby(root = document) {
  for (const node of root.querySelectorAll("[data-ruby]")) {
    node.replaceChildren(...rubyNodes(node.dataset.ruby));
  }
}

// ---------------------------------------------------------------- helpers
const dayFmt = () => new Intl.DateTimeFormat(lang() === "en" ? "en-GB" : "ja-JP", {
  timeZone: body.dataset.timezone || "Asia/Tokyo", month: "long", day: "numeric", weekday: "short",
});

function fmtDay(iso) {
  return dayFmt().format(new Date(`${iso}T12:00:00+09:00`));
}

function span(w) {
  return w ? `${fmtTime(w.start)}〜${fmtTime(w.end)}` : "—";
}

function placeName(id) {
  if (me?.home && me.home.id === id) return plain(t("res.home"));
  return me?.places.find((p) => p.id === id)?.name ?? String(id);
}

function stopName(stop) {
  return me?.home && stop.place_id === me.home.id ? plain(t("res.home")) : stop.name;
}

function problemText(err) {
  if (err instanceof ApiError && err.status === 429) return plain(t("res.too.many"));
  return plain(errorText(err));
}

function fail(err) {
  showError(err);
  $("error").querySelector(".error-message").textContent = problemText(err);
}

function show(id) {
  for (const name of ["res-offer", "res-none", "res-done"]) $(name).hidden = name !== id;
  if (id) $(id).focus();
}

// ---------------------------------------------------------------- sign-in
function signedOut() {
  setToken(null);
  me = null;
  $("res-app").hidden = true;
  $("res-signin").hidden = false;
  $("res-hello").hidden = true;
  $("res-signout").hidden = true;
}

async function start() {
  try {
    me = await api("/resident/me");
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return signedOut();
    return fail(err);
  }
  clearError();
  $("res-signin").hidden = true;
  $("res-app").hidden = false;
  $("res-hello").replaceChildren(t("res.hello", { name: me.name }));
  $("res-hello").hidden = false;
  $("res-signout").hidden = false;
  renderPlaces();
  renderWhen();
  await loadBookings();
}

$("res-signin-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const reg = $("res-reg").value.trim();
  const pin = $("res-pin").value.trim();
  if (!reg || !pin) return;
  try {
    const out = await api("/resident/sign-in", { method: "POST", body: { registration_no: reg, pin } });
    $("res-pin").value = "";
    setToken(out.token);
    await start();
  } catch (err) {
    fail(err);
  }
});

$("res-signout").addEventListener("click", async () => {
  try {
    await api("/resident/sign-out", { method: "POST" });
  } catch {
    // signed out either way
  }
  signedOut();
});

// ---------------------------------------------------------------- the ask
function choice(name, value, label, checked) {
  const input = el("input", { type: "radio", name, value: String(value), checked });
  return el("label", { class: "res-choice" }, input, el("span", {}, label));
}

function renderPlaces() {
  const places = [...(me.home ? [{ ...me.home, name: plain(t("res.home")) }] : []), ...me.places];
  const from = $("res-from");
  const to = $("res-to");
  const was = { from: chosen("res-from"), to: chosen("res-to") };
  from.replaceChildren(...places.map((p, i) => choice("res-from", p.id, p.name, was.from ? p.id === was.from : i === 0)));
  to.replaceChildren(...places.map((p) => choice("res-to", p.id, p.name, p.id === was.to)));
}

function chosen(name) {
  const input = document.querySelector(`input[name="${name}"]:checked`);
  return input ? Number(input.value) : null;
}

function renderWhen() {
  const daySel = $("res-day");
  const timeSel = $("res-time");
  const keepDay = daySel.value;
  const keepTime = timeSel.value;
  const days = [];
  for (let k = 0; k <= DAYS_AHEAD; k++) {
    const iso = todayIso(new Date(SERVICE_NOW.getTime() + k * 86400000));
    const word = k === 0 ? plain(t("res.today")) : k === 1 ? plain(t("res.tomorrow")) : "";
    days.push(el("option", { value: iso }, word ? `${word} ${fmtDay(iso)}` : fmtDay(iso)));
  }
  daySel.replaceChildren(...days);
  daySel.value = keepDay || days[0].value;
  const times = [];
  for (let m = 7 * 60; m <= 18 * 60 + 45; m += 15) {
    const hhmm = `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
    times.push(el("option", { value: hhmm }, hhmm));
  }
  timeSel.replaceChildren(...times);
  timeSel.value = keepTime || firstTime();
}

/** The first quarter hour at least 30 minutes from the service's now (else 09:00). */
function firstTime() {
  const soon = new Date(SERVICE_NOW.getTime() + 30 * 60000);
  const [h, m] = fmtTime(soon).split(":").map(Number);
  const q = Math.ceil((h * 60 + m) / 15) * 15;
  if (q < 7 * 60 || q > 18 * 60 + 45) return "09:00";
  return `${String(Math.floor(q / 60)).padStart(2, "0")}:${String(q % 60).padStart(2, "0")}`;
}

async function ask(time) {
  clearError();
  const pickup = chosen("res-from");
  const dropoff = chosen("res-to");
  if (!pickup || !dropoff) return flash(plain(t("res.pick.both")));
  if (pickup === dropoff) return flash(plain(t("res.same")));
  const by = document.querySelector('input[name="res-by"]:checked').value;
  const when = time || zonedIso($("res-day").value, $("res-time").value);
  if (offer) await decline({ quiet: true });
  try {
    const q = await api("/resident/quotes", {
      method: "POST",
      body: { pickup_place_id: pickup, dropoff_place_id: dropoff, [by]: when },
    });
    if (q.feasible) showOffer(q, pickup, dropoff);
    else showNone(q);
  } catch (err) {
    fail(err);
  }
}

function showOffer(q, pickup, dropoff) {
  offer = q;
  $("res-window").textContent = span(q.pickup_window);
  $("res-offer-route").textContent = `${fmtDay(q.pickup_window.start.slice(0, 10))}　${placeName(pickup)} → ${placeName(dropoff)}`;
  $("res-offer-arrival").replaceChildren(...rubyNodes("res.arrival", { time: fmtTime(q.expected_arrival) }));
  $("res-offer-hold").replaceChildren(...rubyNodes("res.hold", { time: fmtTime(q.hold_expires_at) }));
  show("res-offer");
}

function showNone(q) {
  offer = null;
  $("res-reason").textContent = q.reason ? q.reason[`message_${lang()}`] : q[`message_${lang()}`];
  const list = $("res-alternatives");
  const items = q.alternatives.map((a) => {
    const label = a[`label_${lang()}`] || span(a.pickup_window);
    return el("li", {}, el("button", {
      type: "button",
      class: "res-btn",
      onclick: () => ask(a.depart_at || a.arrive_by),
    }, label));
  });
  list.replaceChildren(...(items.length ? items : [el("li", {}, el("span", {}, ...rubyNodes("res.no.alternatives")))]));
  show("res-none");
}

async function confirm() {
  if (!offer) return;
  try {
    const b = await api(`/resident/quotes/${encodeURIComponent(offer.id)}/confirm`, { method: "POST" });
    offer = null;
    $("res-done-window").textContent = span(b.promise);
    $("res-done-route").textContent = `${fmtDay(b.service_date)}　${stopName(b.pickup)} → ${stopName(b.dropoff)}`;
    $("res-done-id").textContent = plain(t("res.done.id", { id: b.id }));
    show("res-done");
    await loadBookings();
  } catch (err) {
    fail(err);
  }
}

async function decline({ quiet = false } = {}) {
  const held = offer;
  offer = null;
  if (!quiet) show(null);
  if (!held) return;
  try {
    await api(`/resident/quotes/${encodeURIComponent(held.id)}`, { method: "DELETE" });
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 409)) fail(err); // expired: nothing held
  }
}

$("res-ask").addEventListener("click", () => ask());
$("res-confirm").addEventListener("click", confirm);
$("res-decline").addEventListener("click", () => decline());

// ---------------------------------------------------------------- my bookings
async function loadBookings() {
  let rows;
  try {
    rows = await api("/resident/bookings");
  } catch (err) {
    return fail(err);
  }
  const list = $("res-bookings");
  if (!rows.length) {
    list.replaceChildren(el("li", { class: "res-empty" }, el("span", {}, ...rubyNodes("res.mine.none"))));
    return;
  }
  list.replaceChildren(...rows.map(bookingItem));
}

function bookingItem(b) {
  const statusKey = `res.status.${b.status}`;
  const status = el("span", { class: `res-status res-status-${b.status}` }, ...rubyNodes(statusKey));
  const item = el(
    "li",
    { dataset: { bookingId: b.id } },
    el("span", { class: "res-booking-when" }, `${fmtDay(b.service_date)}　`, ...rubyNodes("res.window"), ` ${span(b.promise)}`),
    el("span", { class: "res-route" }, `${stopName(b.pickup)} → ${stopName(b.dropoff)}`),
    status,
  );
  if (b.status === "confirmed" || b.status === "promise_broken") {
    item.append(el("button", { type: "button", class: "res-btn", onclick: () => cancel(b) }, ...rubyNodes("res.cancel")));
  }
  return item;
}

async function cancel(b) {
  if (!window.confirm(plain(t("res.cancel.confirm")))) return;
  try {
    await api(`/resident/bookings/${encodeURIComponent(b.id)}/cancel`, { method: "POST" });
    flash(plain(t("res.cancelled")));
    await loadBookings();
  } catch (err) {
    fail(err);
  }
}

// ---------------------------------------------------------------- page set-up
function setupLang() {
  const saved = localStorage.getItem("noriai.lang");
  if (body.dataset.langForced !== "true" && (saved === "en" || saved === "ja") && saved !== lang()) {
    setLang(saved, { remember: false });
  }
  $("lang-toggle").addEventListener("click", () => setLang(lang() === "ja" ? "en" : "ja"));
  onLangChange(() => {
    renderRuby();
    if (!me) return;
    $("res-hello").replaceChildren(t("res.hello", { name: me.name }));
    renderPlaces();
    renderWhen();
    loadBookings();
  });
}

document.querySelector("#error .error-close").addEventListener("click", clearError);
whenUnauthorized(() => signedOut());
setupLang();
renderRuby();
translate();
if (token()) start();
else signedOut();
