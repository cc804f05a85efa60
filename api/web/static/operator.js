// オペレーター予約受付: find the rider, choose places and time, quote (仮押さえ), confirm;
// take a shop order (買い物支援) to the door or a community hall (公民館);
// book a home visit (訪問診療) of the nurse car for the patient;
// register a standing booking (定期予約) and see the standing rides we cannot keep tomorrow.
import {
  addDaysIso, api, clearError, describeDates, el, errorText, flash, fmtCountdown, fmtDate, fmtDateTime, fmtTime, fmtWindow,
  initPage, lang, newKey, nowHHMM, onLangChange, serviceNow, setupTimeFields, setWareki, showError, timeOf, t, todayIso, tr, typing, wareki, zonedIso,
  ApiError,
} from "./common.js";

// ---------------------------------------------------------------- API (see api/routers)
const Api = {
  searchRiders: (q, signal) => api("/riders", { query: { q, limit: 20 }, signal }),
  places: () => api("/places"),
  quote: (payload, idempotencyKey) => api("/quotes", { method: "POST", body: payload, idempotencyKey }),
  confirm: (quoteId) => api(`/quotes/${encodeURIComponent(quoteId)}/confirm`, {
    method: "POST", body: {}, idempotencyKey: `confirm-${quoteId}`,
  }),
  release: (quoteId) => api(`/quotes/${encodeURIComponent(quoteId)}`, { method: "DELETE" }),
  riderRecent: (riderId) => api(`/riders/${encodeURIComponent(riderId)}/recent`, { query: { limit: 8 } }),
  cancel: (bookingId, why) => api(`/bookings/${encodeURIComponent(bookingId)}/cancel`, {
    method: "POST", body: why, idempotencyKey: `cancel-${bookingId}`,
  }),
  order: (payload, idempotencyKey) => api("/deliveries", { method: "POST", body: payload, idempotencyKey }),
  visit: (payload, idempotencyKey) => api("/visits", { method: "POST", body: payload, idempotencyKey }),
  standing: (payload, idempotencyKey) => api("/standing-bookings", { method: "POST", body: payload, idempotencyKey }),
  riderStanding: (riderId) => api("/standing-bookings", { query: { rider_id: riderId } }),
  changeStanding: (id, payload) => api(`/standing-bookings/${id}`, { method: "PATCH", body: payload }),
  endStanding: (id) => api(`/standing-bookings/${id}`, { method: "DELETE" }),
  standingProblems: (day) => api("/standing-bookings/problems", { query: { service_date: day } }),
  makeStanding: (day) => api("/standing-bookings/materialise", { method: "POST", query: { service_date: day } }),
  settleProblem: (id, bookingId) => api(`/standing-bookings/problems/${id}/settle`, {
    method: "POST", body: bookingId ? { booking_id: bookingId } : {},
  }),
};

const $ = (id) => document.getElementById(id);
const state = {
  rider: null,
  riders: [],
  active: -1,
  places: [],
  quote: null,
  holdTimer: 0,
  searchAbort: null,
  searchSeq: 0,
  attempt: null, // {payload, key} of a quote whose answer never arrived (retry = same key)
  order: null, // the last shop order's answer shown
  lastOrder: null, // its payload (alternatives change the hand-over only)
  orderAttempt: null, // {payload, key} of an order whose answer never arrived
  visit: null, // the last home visit's answer shown
  lastVisit: null, // its payload (an alternative changes the wanted start only)
  visitAttempt: null, // {payload, key} of a visit whose answer never arrived
  standingAttempt: null, // {payload, key} of a standing booking whose answer never arrived
  standingList: [], // the chosen rider's standing bookings
  problems: [], // tomorrow's standing rides we cannot keep
  recent: [], // the chosen rider's last bookings, newest first (any state)
  usual: [], // their usual places: Alt+1..9
  cancelling: null, // the booking the cancel dialog is about
};
const SHOP_KINDS = ["supermarket", "shop"];

// ---------------------------------------------------------------- rider search (combobox)
const input = $("rider-q");
const list = $("rider-results");

function riderLabel(r) {
  return `${r.name}${r.kana ? `（${r.kana}）` : ""}`;
}

function renderResults() {
  list.replaceChildren(
    ...state.riders.map((r, i) =>
      el(
        "li",
        {
          id: `rider-opt-${i}`,
          role: "option",
          "aria-selected": i === state.active ? "true" : "false",
          dataset: { riderId: r.id },
          onclick: () => chooseRider(r),
        },
        el("strong", {}, riderLabel(r)),
        el("span", { class: "sub" }, [r.registration_no, r.phone, r.home?.name || r.home_address].filter(Boolean).join(" ・ ")),
      ),
    ),
  );
  input.setAttribute("aria-expanded", state.riders.length ? "true" : "false");
  if (state.active >= 0) {
    input.setAttribute("aria-activedescendant", `rider-opt-${state.active}`);
    $(`rider-opt-${state.active}`)?.scrollIntoView({ block: "nearest" });
  } else input.removeAttribute("aria-activedescendant");
}

let searchTimer = 0;
function search() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(async () => {
    const q = input.value.trim();
    state.searchAbort?.abort();
    if (!q) {
      state.riders = [];
      state.active = -1;
      $("rider-count").textContent = "";
      renderResults();
      return;
    }
    const seq = ++state.searchSeq;
    state.searchAbort = new AbortController();
    try {
      const data = await Api.searchRiders(q, state.searchAbort.signal);
      if (seq !== state.searchSeq) return;
      state.riders = Array.isArray(data) ? data : data.items || data.riders || [];
      state.active = state.riders.length ? 0 : -1;
      $("rider-count").replaceChildren(
        state.riders.length ? tr("op.search.count", { n: state.riders.length }) : tr("op.search.none"),
      );
      renderResults();
    } catch (err) {
      if (err.name !== "AbortError") showError(err);
    }
  }, 150);
}

input.addEventListener("input", search);
input.addEventListener("keydown", (ev) => {
  const n = state.riders.length;
  if (ev.key === "ArrowDown" && n) {
    ev.preventDefault();
    state.active = (state.active + 1) % n;
    renderResults();
  } else if (ev.key === "ArrowUp" && n) {
    ev.preventDefault();
    state.active = (state.active - 1 + n) % n;
    renderResults();
  } else if (ev.key === "Enter") {
    ev.preventDefault();
    if (state.active >= 0 && state.riders[state.active]) chooseRider(state.riders[state.active]);
  } else if (ev.key === "Escape") {
    input.value = "";
    state.riders = [];
    renderResults();
  }
});

// ---------------------------------------------------------------- chosen rider
function homeOf(rider) {
  if (rider.home && typeof rider.home === "object") return rider.home;
  return rider.home_place_id ? { id: rider.home_place_id, name: rider.home_address || t("op.places.home") } : null;
}

async function chooseRider(rider) {
  clearError();
  state.rider = rider;
  state.riders = [];
  renderResults();
  $("rider-search").hidden = true;
  $("rider-card").hidden = false;
  $("rider-card").dataset.riderId = rider.id;
  $("ra-result").replaceChildren();
  $("rider-name").textContent = rider.name;
  $("rider-kana").textContent = rider.kana || "";
  $("rider-reg").textContent = rider.registration_no || "—";
  $("rider-phone").textContent = rider.phone || "—";
  const home = homeOf(rider);
  $("rider-home").textContent = home?.name || rider.home_address || "—";
  const flags = [];
  if (rider.wheelchair) flags.push(el("span", { class: "badge" }, tr("wheelchair")));
  for (const e of rider.eligibility || []) flags.push(el("span", { class: "badge" }, tr(`elig.${e}`)));
  $("rider-flags").replaceChildren(...flags);
  $("trip-wheelchair").checked = Boolean(rider.wheelchair);
  fillPlaces();
  fillOrder();
  $("trip-fields").disabled = false;
  $("order-fields").disabled = false;
  $("visit-fields").disabled = !homeOf(rider);
  $("standing-fields").disabled = false;
  $("standing-start").value = tomorrowIso();
  describeDates();
  resetResult();
  loadRiderBookings();
  loadRiderStanding();
  $("trip-from").focus();
}

function changeRider() {
  state.rider = null;
  $("rider-card").hidden = true;
  $("rider-search").hidden = false;
  $("rider-bookings").hidden = true;
  $("rider-usual").hidden = true;
  state.recent = [];
  state.usual = [];
  $("trip-fields").disabled = true;
  $("order-fields").disabled = true;
  $("visit-fields").disabled = true;
  $("standing-fields").disabled = true;
  $("rider-standing").hidden = true;
  resetResult();
  input.value = "";
  input.focus();
}
$("rider-change").addEventListener("click", changeRider);

// 利用者ご自身での予約: the office sets the resident's PIN or reads out a one-time code
// (the /resident page signs in with the registration number and either).
$("ra-set").addEventListener("click", async () => {
  clearError();
  const pin = $("ra-pin").value.trim();
  try {
    await api(`/riders/${state.rider.id}/pin`, { method: "PUT", body: { pin } });
    $("ra-pin").value = "";
    $("ra-result").replaceChildren(tr("ra.set.done"));
  } catch (err) {
    showError(err);
  }
});
$("ra-code").addEventListener("click", async () => {
  clearError();
  try {
    const issued = await api(`/riders/${state.rider.id}/one-time-code`, { method: "POST" });
    $("ra-result").replaceChildren(
      tr("ra.code.done", { code: issued.code, until: fmtDateTime(issued.expires_at) }),
    );
  } catch (err) {
    showError(err);
  }
});

/** The rider's recent bookings (any state, newest first) and usual places, one key away. */
async function loadRiderBookings() {
  if (!state.rider) return;
  const riderId = state.rider.id;
  try {
    const data = await Api.riderRecent(riderId);
    if (state.rider?.id !== riderId) return;
    state.recent = data.bookings;
    state.usual = data.places;
    renderRecent();
    renderUsual();
  } catch (err) {
    showError(err);
  }
}

const ACTIVE = ["held", "confirmed", "promise_broken"];

function renderRecent() {
  const items = state.recent;
  $("rider-bookings").hidden = !items.length;
  $("rider-bookings-list").replaceChildren(
    ...items.map((b) => {
      const cancel = ACTIVE.includes(b.status)
        ? el("button", { type: "button", class: "btn btn-danger", dataset: { action: "cancel" }, onclick: () => askCancel(b) }, tr("op.cancel"))
        : null;
      const why = b.cancel_reason
        ? el("span", { class: "help cancel-why" }, t("cancel.why", {
          why: [b.cancel_reason[`message_${lang()}`], b.cancel_note].filter(Boolean).join("：") }))
        : null;
      if (b.kind === "visit") return visitBookingItem(b, cancel, why);
      const w = b.promise || b.pickup_window;
      return el(
        "li",
        { dataset: { bookingId: b.id, kind: b.kind, status: b.status } },
        el("span", { class: "date" }, fmtDate(b.service_date)),
        el("strong", {}, w ? fmtWindow(w.start, w.end) : "—"),
        el("span", {}, `${placeName(b.pickup)} → ${placeName(b.dropoff)}`),
        b.hall ? el("span", { class: "badge badge-hall" }, tr("hall.badge")) : null,
        b.drone ? el("span", { class: "badge badge-drone" }, tr("op.order.drone")) : null,
        b.hall && b.collect_from ? tr("hall.collect_from", { time: fmtTime(b.collect_from) }) : null,
        el("span", { class: "badge" }, tr(`status.${b.status}`)),
        why,
        b.kind === "ride"
          ? el("button", { type: "button", class: "btn", dataset: { action: "repeat" }, onclick: () => repeatBooking(b) }, tr("op.repeat"))
          : null,
        cancel,
      );
    }),
  );
}

function renderUsual() {
  const places = state.usual;
  $("rider-usual").hidden = !places.length;
  $("rider-usual-list").replaceChildren(
    ...places.map((p, i) => {
      const name = p.home ? t("op.places.home") : p.name;
      return el("li", {},
        el("button", {
          type: "button", class: "btn usual-btn", dataset: { placeId: String(p.place_id), index: String(i) },
          "aria-keyshortcuts": `Alt+${i + 1} Shift+Alt+${i + 1}`,
          title: t("op.usual.to", { name }),
          onclick: (ev) => useUsualPlace(p, ev.shiftKey ? "trip-from" : "trip-to"),
        }, el("kbd", {}, String(i + 1)), el("span", {}, name),
        p.uses ? el("span", { class: "help" }, t("op.usual.uses", { n: p.uses })) : null));
    }),
  );
}

/** Put a usual place in the trip form: drop-off (or pickup); the other end is swapped
 * when it was that place already. */
function useUsualPlace(p, fieldId) {
  const select = $(fieldId);
  const other = $(fieldId === "trip-to" ? "trip-from" : "trip-to");
  const value = String(p.place_id);
  if (![...select.options].some((o) => o.value === value)) {
    select.append(el("option", { value }, p.name));
    other.append(el("option", { value }, p.name));
  }
  if (other.value === value) other.value = select.value;
  select.value = value;
  const name = p.home ? t("op.places.home") : p.name;
  flash(t(fieldId === "trip-to" ? "op.usual.to" : "op.usual.from", { name }));
}

/**
 * Fill the trip form as the booking was (places, party, by departure or arrival) for a
 * new day: its time of day today if that is still an hour ahead by the service's clock,
 * else tomorrow.
 */
function repeatBooking(b) {
  const from = b.pickup?.place_id;
  const to = b.dropoff?.place_id;
  if (!from || !to) {
    showLocalError(t("op.repeat.point"));
    return;
  }
  for (const [id, p] of [["trip-from", b.pickup], ["trip-to", b.dropoff]]) {
    if (![...$(id).options].some((o) => o.value === String(p.place_id))) $(id).append(el("option", { value: String(p.place_id) }, p.name));
    $(id).value = String(p.place_id);
  }
  const asked = b.arrive_by || b.depart_at;
  const mode = b.arrive_by ? "arrive" : "depart";
  document.querySelector(`input[name="mode"][value="${mode}"]`).checked = true;
  $("trip-companions").value = String(Math.max(0, (b.party_size || 1) - 1));
  $("trip-wheelchair").checked = (b.wheelchairs || 0) > 0;
  const time = asked ? fmtTime(asked) : defaultTime();
  $("trip-date").value = time >= defaultTime() ? todayIso() : tomorrowIso();
  $("trip-time").value = time;
  describeDates();
  resetResult();
  flash(t("op.repeated"));
  $("quote-btn").focus();
}

// ---------------------------------------------------------------- cancel with the reason
const cancelDialog = $("cancel-dialog");

function askCancel(b) {
  state.cancelling = b;
  const w = b.promise || (b.kind === "visit" ? b.visit?.appointment : null);
  $("cancel-what").textContent = [fmtDate(b.service_date), w ? fmtWindow(w.start, w.end) : "", `${placeName(b.pickup)} → ${placeName(b.dropoff)}`]
    .filter(Boolean).join(" ");
  $("cancel-reason").value = "";
  $("cancel-note").value = "";
  for (const id of ["cancel-reason-error", "cancel-note-error"]) $(id).hidden = true;
  cancelDialog.showModal();
  $("cancel-reason").focus();
}

function fieldError(id, message) {
  const box = $(`${id}-error`);
  box.textContent = message;
  box.hidden = !message;
  $(id).setAttribute("aria-invalid", message ? "true" : "false");
  if (message) $(id).focus();
}

$("cancel-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const b = state.cancelling;
  const reason = $("cancel-reason").value;
  const note = $("cancel-note").value.trim();
  fieldError("cancel-reason", reason ? "" : t("cancel.need_reason"));
  if (!reason) return;
  fieldError("cancel-note", reason === "other" && !note ? t("cancel.need_note") : "");
  if (reason === "other" && !note) return;
  $("cancel-submit").disabled = true;
  try {
    await Api.cancel(b.id, { reason, note });
    cancelDialog.close();
    state.cancelling = null;
    flash(t("op.cancelled"));
    await loadRiderBookings();
    $("rider-bookings-list").querySelector(`li[data-booking-id="${CSS.escape(b.id)}"]`)?.setAttribute("tabindex", "-1");
    $("rider-bookings-list").querySelector(`li[data-booking-id="${CSS.escape(b.id)}"]`)?.focus();
  } catch (err) {
    const fields = err instanceof ApiError && err.status === 422 ? err.problem?.errors || [] : [];
    const mine = fields.filter((f) => ["reason", "note"].includes(f.field));
    if (mine.length) for (const f of mine) fieldError(`cancel-${f.field}`, f[`message_${lang()}`] || f.message_ja);
    else {
      cancelDialog.close();
      showError(err);
    }
  } finally {
    $("cancel-submit").disabled = false;
  }
});
$("cancel-back").addEventListener("click", () => cancelDialog.close());

function placeName(p) {
  if (!p) return "—";
  if (typeof p === "string") return state.places.find((x) => x.id === p)?.name || p;
  return p.name || p.id || "—";
}

// ---------------------------------------------------------------- places and trip form
function fillPlaces() {
  const home = state.rider ? homeOf(state.rider) : null;
  const selects = [["trip-from", true], ["trip-to", false], ["standing-from", true], ["standing-to", false]];
  for (const [id, defaultHome] of selects) {
    const select = $(id);
    const previous = select.value;
    const groups = [];
    if (home) {
      groups.push(
        el("optgroup", { label: t("op.places.home") },
          el("option", { value: home.id, dataset: { home: "true" } }, `${t("op.places.home")}（${home.name || ""}）`)),
      );
    }
    groups.push(
      el("optgroup", { label: t("op.places.saved") },
        state.places.map((p) => el("option", { value: p.id }, p.name))),
    );
    select.replaceChildren(...groups);
    if (previous && [...select.options].some((o) => o.value === previous)) select.value = previous;
    else if (defaultHome && home) select.value = home.id;
    else if (!defaultHome) select.value = state.places[0]?.id ?? "";
  }
}

$("trip-swap").addEventListener("click", () => {
  const a = $("trip-from").value;
  $("trip-from").value = $("trip-to").value;
  $("trip-to").value = a;
});

function tripPayload() {
  const from = $("trip-from").value;
  const to = $("trip-to").value;
  if (!state.rider) throw new Error(t("op.rider.none"));
  if (from === to) throw new Error(t("op.same_place"));
  const mode = document.querySelector('input[name="mode"]:checked').value;
  const at = zonedIso($("trip-date").value, timeOf($("trip-time")));
  const payload = {
    rider_id: state.rider.id,
    pickup_place_id: from,
    dropoff_place_id: to,
    companions: Number($("trip-companions").value || 0),
    wheelchair: $("trip-wheelchair").checked,
  };
  if (mode === "arrive") payload.arrive_by = at;
  else payload.depart_at = at;
  return payload;
}

$("trip-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  let payload;
  try {
    payload = tripPayload();
  } catch (err) {
    showLocalError(err.message);
    return;
  }
  await requestQuote(payload);
});

function showLocalError(message) {
  showError(new ApiError(422, { detail: message }));
}

// ---------------------------------------------------------------- quote, hold, confirm
async function requestQuote(payload) {
  clearError();
  await releaseHeld();
  const button = $("quote-btn");
  button.disabled = true;
  // A retry of a quote that got no answer (network) reuses its key: never booked twice.
  const same = state.attempt && JSON.stringify(state.attempt.payload) === JSON.stringify(payload);
  const attempt = same ? state.attempt : { payload, key: newKey("quote") };
  state.attempt = attempt;
  try {
    const q = await Api.quote(payload, attempt.key);
    state.attempt = null;
    state.lastPayload = payload;
    showQuote(q);
  } catch (err) {
    if (err instanceof ApiError) state.attempt = null;
    showError(err);
  } finally {
    button.disabled = false;
  }
}

function resetResult() {
  clearInterval(state.holdTimer);
  state.quote = null;
  state.order = null;
  state.visit = null;
  for (const id of ["quote-ok", "quote-no", "quote-confirmed", "order-ok", "order-no", "visit-ok", "visit-no"]) $(id).hidden = true;
  delete $("result").dataset.state;
  delete $("result").dataset.bookingId;
  delete $("result").dataset.handOver;
}

function quoteWindow(q) {
  return q.pickup_window || q.promise || q.window || null;
}

function showQuote(q) {
  resetResult();
  state.quote = q;
  const win = quoteWindow(q);
  const ok = q.feasible !== false && q.status !== "infeasible" && win;
  const result = $("result");
  if (ok) {
    $("promise").textContent = fmtWindow(win.start, win.end);
    $("quote-arrival").textContent = q.expected_arrival || q.dropoff_eta
      ? fmtTime(q.expected_arrival || q.dropoff_eta) : "—";
    $("quote-vehicle").textContent = q.vehicle_name || q.vehicle_id || "—";
    $("quote-ok").hidden = false;
    $("confirm-btn").disabled = false;
    result.dataset.state = "held";
    startHold(q);
    result.focus();
  } else {
    $("no-reason").textContent = reasonText(q);
    const alts = q.alternatives || [];
    $("alternatives").replaceChildren(
      ...(alts.length
        ? alts.map((alt, i) => {
          const w = alt.pickup_window || alt.window || alt;
          return el("li", {},
            el("button", {
              type: "button", class: "btn alt-btn", dataset: { index: String(i) },
              "aria-keyshortcuts": i < 9 ? String(i + 1) : undefined,
              onclick: () => takeAlternative(alt),
            }, el("kbd", {}, String(i + 1)), el("strong", {}, fmtWindow(w.start, w.end)),
            alt.expected_arrival ? el("span", { class: "help" }, `→ ${fmtTime(alt.expected_arrival)}`) : null));
        })
        : [el("li", {}, tr("op.alternatives.none"))]),
    );
    $("quote-no").hidden = false;
    result.dataset.state = "impossible";
    ($("alternatives").querySelector("button") || result).focus();
  }
}

function reasonText(q) {
  const r = q.reason;
  if (!r) return "";
  if (typeof r === "string") return q[`reason_${document.documentElement.lang}`] || r;
  return r[`message_${document.documentElement.lang}`] || r.message_ja || r.message || r.code || "";
}

/** Turn an alternative into a quote: the same trip at the alternative's time. */
async function takeAlternative(alt) {
  const payload = { ...state.lastPayload };
  delete payload.arrive_by;
  delete payload.depart_at;
  const w = alt.pickup_window || alt.window || alt;
  if (alt.arrive_by) payload.arrive_by = alt.arrive_by;
  else payload.depart_at = alt.depart_at || w.start;
  await requestQuote(payload);
}

function startHold(q) {
  const until = q.hold_expires_at || q.held_until || q.expires_at;
  const hold = $("hold");
  if (!until) {
    hold.textContent = "";
    return;
  }
  const end = new Date(until).getTime();
  const tick = () => {
    const left = (end - serviceNow().getTime()) / 1000; // the hold ends by the service's clock
    if (left <= 0) {
      clearInterval(state.holdTimer);
      hold.textContent = t("op.hold.expired");
      hold.classList.add("expired");
      $("confirm-btn").disabled = true;
      $("result").dataset.state = "expired";
      return;
    }
    hold.classList.remove("expired");
    hold.textContent = t("op.hold", { time: fmtCountdown(left) });
  };
  tick();
  state.holdTimer = setInterval(tick, 1000);
}

async function confirmQuote() {
  const q = state.quote;
  if (!q || $("quote-ok").hidden || $("confirm-btn").disabled) return;
  $("confirm-btn").disabled = true;
  try {
    const booking = await Api.confirm(q.id || q.quote_id);
    clearInterval(state.holdTimer);
    const win = booking.promise || booking.pickup_window || quoteWindow(q);
    $("quote-ok").hidden = true;
    $("confirmed-msg").textContent = t("op.confirmed", { id: booking.id || booking.booking_id });
    $("confirmed-promise").textContent = fmtWindow(win.start, win.end);
    $("quote-confirmed").hidden = false;
    $("result").dataset.state = "confirmed";
    $("result").dataset.bookingId = booking.id || booking.booking_id;
    state.quote = null;
    flash(t("op.confirmed", { id: booking.id || booking.booking_id }));
    $("result").focus();
    loadRiderBookings();
  } catch (err) {
    $("confirm-btn").disabled = false;
    showError(err);
  }
}

async function releaseHeld() {
  const q = state.quote;
  if (!q || $("quote-ok").hidden) return;
  state.quote = null;
  try {
    await Api.release(q.id || q.quote_id);
  } catch (err) {
    if (!(err instanceof ApiError && [404, 409, 410].includes(err.status))) showError(err);
  }
}

$("confirm-btn").addEventListener("click", confirmQuote);
$("release-btn").addEventListener("click", async () => {
  await releaseHeld();
  resetResult();
  flash(t("op.released"));
  $("quote-btn").focus();
});

// ---------------------------------------------------------------- shop orders (買い物支援)
/** Straight-line distance in km (equirectangular; fine within a town). */
function distanceKm(a, b) {
  const k = Math.cos(((a.lat + b.lat) / 2) * (Math.PI / 180));
  return Math.hypot((b.lon - a.lon) * k * 111.32, (b.lat - a.lat) * 110.54);
}

function hallsNearest() {
  const home = state.rider ? homeOf(state.rider) : null;
  const at = home && Number.isFinite(home.lon) ? home : null;
  return state.places
    .filter((p) => p.kind === "community_hall")
    .map((p) => ({ place: p, km: at ? distanceKm(at, p) : null }))
    .sort((a, b) => (a.km ?? 0) - (b.km ?? 0) || a.place.name.localeCompare(b.place.name, "ja"));
}

function fillOrder() {
  const shops = state.places.filter((p) => SHOP_KINDS.includes(p.kind));
  const shop = $("order-shop");
  const previous = shop.value;
  shop.replaceChildren(...(shops.length ? shops : state.places).map((p) => el("option", { value: p.id }, p.name)));
  if (previous && [...shop.options].some((o) => o.value === previous)) shop.value = previous;
  const hall = $("order-hall");
  const chosen = hall.value;
  const halls = hallsNearest();
  hall.replaceChildren(
    ...(halls.length
      ? halls.map(({ place, km }) => el("option", { value: place.id, dataset: { km: km === null ? "" : km.toFixed(2) } },
        km === null ? place.name : t("op.order.hall_km", { name: place.name, km: km.toFixed(1) })))
      : [el("option", { value: "", disabled: true }, t("op.order.no_halls"))]),
  );
  if (chosen && [...hall.options].some((o) => o.value === chosen)) hall.value = chosen;
  showHallPicker();
}

function handOverChoice() {
  return document.querySelector('input[name="hand_over"]:checked')?.value || "auto";
}

function showHallPicker() {
  $("order-hall-field").hidden = handOverChoice() !== "hall";
}
for (const radio of document.querySelectorAll('input[name="hand_over"]')) radio.addEventListener("change", showHallPicker);

function orderPayload() {
  if (!state.rider) throw new Error(t("op.rider.none"));
  const shop = $("order-shop").value;
  if (!shop) throw new Error(t("op.order.no_shop"));
  const payload = {
    rider_id: state.rider.id,
    shop_place_id: Number(shop),
    cargo_units: Number($("order-cargo").value || 1),
    weight_kg: Number($("order-weight").value || 0),
  };
  const how = handOverChoice();
  if (how !== "auto") payload.hand_over = how; // left out: the town's rule decides
  if (how === "hall" && $("order-hall").value) payload.hall_place_id = Number($("order-hall").value);
  return payload;
}

$("order-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  let payload;
  try {
    payload = orderPayload();
  } catch (err) {
    showLocalError(err.message);
    return;
  }
  await placeOrder(payload);
});

async function placeOrder(payload) {
  clearError();
  await releaseHeld();
  const button = $("order-btn");
  button.disabled = true;
  // A retry of an order that got no answer (network) reuses its key: never booked twice.
  const same = state.orderAttempt && JSON.stringify(state.orderAttempt.payload) === JSON.stringify(payload);
  const attempt = same ? state.orderAttempt : { payload, key: newKey("order") };
  state.orderAttempt = attempt;
  try {
    const q = await Api.order(payload, attempt.key);
    state.orderAttempt = null;
    state.lastOrder = payload;
    showOrder(q);
  } catch (err) {
    if (err instanceof ApiError) state.orderAttempt = null;
    showError(err);
  } finally {
    button.disabled = false;
  }
}

function howText(answer) {
  if (answer.hand_over === "hall") return `${t("op.order.hall")}（${answer.hall?.name || ""}）`;
  return t("op.order.door");
}

function yen(value) {
  return value === null || value === undefined ? "—" : t("op.order.yen", { yen: value });
}

/** Draw the order's answer (again on a language change). */
function renderOrder(q) {
  const result = $("result");
  if (q.feasible) {
    $("order-booked").textContent = t("op.order.booked", { id: q.id });
    $("order-words").textContent = q[`message_${lang()}`] || q.message_ja;
    $("order-how").textContent = howText(q);
    $("order-fee").textContent = yen(q.fee_yen);
    // ドローン便: the drone flies it; else, for an order to a drone pad, why it goes by van
    const carrier = q[`carrier_${lang()}`] || q.carrier_ja || "";
    $("order-drone").hidden = !q.drone;
    $("order-carrier").textContent = carrier;
    $("order-carrier").hidden = $("order-carrier-dt").hidden = !carrier;
    $("order-ok").hidden = false;
    result.dataset.state = "ordered";
    result.dataset.bookingId = q.id;
    result.dataset.handOver = q.hand_over || "";
    result.dataset.drone = q.drone?.id || "";
    return;
  }
  $("order-reason").textContent = q.hall ? `${q.hall.name}: ${reasonText(q)}` : reasonText(q);
  const alts = q.alternatives || [];
  $("order-alternatives").replaceChildren(
    ...(alts.length
      ? alts.map((alt, i) => el("li", {},
        el("button", {
          type: "button", class: "btn alt-btn", dataset: { index: String(i), handOver: alt.hand_over || "", hallId: alt.hall?.place_id ?? "" },
          "aria-keyshortcuts": i < 9 ? String(i + 1) : undefined,
          onclick: () => takeOrderAlternative(alt),
        }, el("kbd", {}, String(i + 1)),
        alt.hand_over === "hall" ? el("span", { class: "badge badge-hall" }, t("hall.badge")) : null,
        el("strong", {}, alt[`label_${lang()}`] || alt.label_ja || fmtWindow(alt.pickup_window.start, alt.pickup_window.end)),
        el("span", { class: "help" }, yen(alt.fee_yen)))))
      : [el("li", {}, tr("op.order.alternatives.none"))]),
  );
  $("order-no").hidden = false;
  result.dataset.state = "order-impossible";
}

function showOrder(q) {
  resetResult();
  state.order = q;
  renderOrder(q);
  if (q.feasible) {
    flash(t("op.order.booked", { id: q.id }));
    $("result").focus();
    loadRiderBookings();
  } else {
    ($("order-alternatives").querySelector("button") || $("result")).focus();
  }
}

/** Book the same order the alternative's way: to the door, or at its hall. */
async function takeOrderAlternative(alt) {
  const payload = { ...state.lastOrder, hand_over: alt.hand_over || "door" };
  delete payload.hall_place_id;
  if (alt.hall) payload.hall_place_id = alt.hall.place_id;
  const radio = document.querySelector(`input[name="hand_over"][value="${payload.hand_over}"]`);
  if (radio) radio.checked = true;
  if (alt.hall) $("order-hall").value = String(alt.hall.place_id);
  showHallPicker();
  await placeOrder(payload);
}

// ---------------------------------------------------------------- home visits (訪問診療)
/** "HH:MM" of minutes since midnight (at most 23:55). */
function hhmmOf(minutes) {
  const m = Math.max(0, Math.min(minutes, 23 * 60 + 55));
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}

/** The form's first values: today (the service's day), from the hour given, 30 minutes. */
function visitDefaults(fromMinutes) {
  $("visit-date").value = todayIso();
  $("visit-start").value = hhmmOf(fromMinutes);
  $("visit-end").value = hhmmOf(fromMinutes + 30);
  $("visit-wanted").value = hhmmOf(fromMinutes);
}

function visitMode() {
  return document.querySelector('input[name="visit_mode"]:checked')?.value || "appointment";
}

function showVisitMode() {
  const wanted = visitMode() === "wanted";
  $("visit-wanted-field").hidden = !wanted;
  $("visit-window-fields").hidden = wanted;
}
for (const radio of document.querySelectorAll('input[name="visit_mode"]')) radio.addEventListener("change", showVisitMode);

function visitPayload() {
  if (!state.rider) throw new Error(t("op.rider.none"));
  const date = $("visit-date").value;
  const payload = { rider_id: state.rider.id, duration_min: Number($("visit-duration").value || 30) };
  if (visitMode() === "wanted") payload.wanted_at = zonedIso(date, timeOf($("visit-wanted")));
  else payload.appointment = { start: zonedIso(date, timeOf($("visit-start"))), end: zonedIso(date, timeOf($("visit-end"))) };
  return payload;
}

$("visit-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  let payload;
  try {
    payload = visitPayload();
  } catch (err) {
    showLocalError(err.message);
    return;
  }
  await bookVisit(payload);
});

async function bookVisit(payload) {
  clearError();
  await releaseHeld();
  const button = $("visit-btn");
  button.disabled = true;
  // A retry of a visit that got no answer (network) reuses its key: never booked twice.
  const same = state.visitAttempt && JSON.stringify(state.visitAttempt.payload) === JSON.stringify(payload);
  const attempt = same ? state.visitAttempt : { payload, key: newKey("visit") };
  state.visitAttempt = attempt;
  try {
    const v = await Api.visit(payload, attempt.key);
    state.visitAttempt = null;
    state.lastVisit = payload;
    showVisit(v);
  } catch (err) {
    if (err instanceof ApiError) state.visitAttempt = null;
    showError(err);
  } finally {
    button.disabled = false;
  }
}

/** Draw the visit's answer (again on a language change). */
function renderVisit(v) {
  const result = $("result");
  if (v.feasible) {
    const w = v.appointment;
    $("visit-booked").textContent = t("op.visit.booked", { id: v.id });
    $("visit-window").textContent = fmtWindow(w.start, w.end);
    $("visit-words").textContent = v[`message_${lang()}`] || v.message_ja;
    $("visit-planned").textContent = fmtTime(v.planned_start);
    $("visit-minutes").textContent = t("minutes", { n: v.duration_min });
    $("visit-vehicle").textContent = v.vehicle_name || v.vehicle_id || "—";
    $("visit-ok").hidden = false;
    result.dataset.state = "visit-booked";
    result.dataset.bookingId = v.id;
    return;
  }
  $("visit-reason").textContent = reasonText(v);
  $("visit-missing").hidden = !v.missing_features?.length;
  $("visit-missing-list").textContent = (v.missing_features || []).join("、");
  const alts = v.alternatives || [];
  $("visit-alternatives").replaceChildren(
    ...(alts.length
      ? alts.map((alt, i) => el("li", {},
        el("button", {
          type: "button", class: "btn alt-btn", dataset: { index: String(i), wantedAt: alt.wanted_at },
          "aria-keyshortcuts": i < 9 ? String(i + 1) : undefined,
          onclick: () => takeVisitAlternative(alt),
        }, el("kbd", {}, String(i + 1)), el("strong", {}, fmtWindow(alt.appointment.start, alt.appointment.end)),
        el("span", { class: "help" }, `${t("op.visit.planned")} ${fmtTime(alt.planned_start)}`))))
      : [el("li", {}, tr("op.alternatives.none"))]),
  );
  $("visit-no").hidden = false;
  result.dataset.state = "visit-impossible";
}

function showVisit(v) {
  resetResult();
  state.visit = v;
  renderVisit(v);
  if (v.feasible) {
    flash(t("op.visit.booked", { id: v.id }));
    $("result").focus();
    loadRiderBookings();
  } else {
    ($("visit-alternatives").querySelector("button") || $("result")).focus();
  }
}

/** Book the same visit at the alternative's start, as a wanted time. */
async function takeVisitAlternative(alt) {
  const payload = { ...state.lastVisit, wanted_at: alt.wanted_at };
  delete payload.appointment;
  const radio = document.querySelector('input[name="visit_mode"][value="wanted"]');
  if (radio) radio.checked = true;
  $("visit-wanted").value = fmtTime(alt.wanted_at);
  showVisitMode();
  await bookVisit(payload);
}

/** A visit in the rider's list: 訪問 badge, the appointment, the planned start. */
function visitBookingItem(b, cancel, why) {
  const w = b.visit?.appointment || b.promise;
  return el(
    "li",
    { dataset: { bookingId: b.id, kind: "visit", status: b.status } },
    el("span", { class: "date" }, fmtDate(b.service_date)),
    el("span", { class: "badge badge-visit" }, tr("visit.badge")),
    el("strong", {}, w ? fmtWindow(w.start, w.end) : "—"),
    b.visit?.planned_start ? el("span", {}, `${t("op.visit.planned")} ${fmtTime(b.visit.planned_start)}`) : null,
    b.visit ? tr("visit.minutes", { n: b.visit.duration_min }) : null,
    el("span", { class: "badge" }, tr(`status.${b.status}`)),
    why,
    cancel,
  );
}

document.addEventListener("keydown", (ev) => {
  if (!/^[1-9]$/.test(ev.key) || ev.altKey || typing(ev) || $("visit-no").hidden) return;
  const button = $("visit-alternatives").querySelector(`button[data-index="${Number(ev.key) - 1}"]`);
  if (button) {
    ev.preventDefault();
    button.click();
  }
});
onLangChange(() => {
  if (state.visit) renderVisit(state.visit);
});

// ---------------------------------------------------------------- standing bookings (定期予約)
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/** Tomorrow's date in the service's time zone, by the service's clock. */
function tomorrowIso() {
  return addDaysIso(todayIso(), 1);
}

function returnChoice() {
  return document.querySelector('input[name="standing_return"]:checked')?.value || "none";
}

function showReturnFields() {
  $("standing-after-field").hidden = returnChoice() !== "after";
  $("standing-back-field").hidden = returnChoice() !== "at";
}
for (const radio of document.querySelectorAll('input[name="standing_return"]')) radio.addEventListener("change", showReturnFields);

function standingPayload() {
  if (!state.rider) throw new Error(t("op.rider.none"));
  const from = Number($("standing-from").value);
  const to = Number($("standing-to").value);
  if (from === to) throw new Error(t("op.same_place"));
  const weekdays = [...document.querySelectorAll('input[name="standing_day"]:checked')].map((c) => c.value);
  if (!weekdays.length) throw new Error(t("st.no_days"));
  const mode = document.querySelector('input[name="standing_mode"]:checked').value;
  const payload = {
    rider_id: state.rider.id,
    pickup_place_id: from,
    dropoff_place_id: to,
    weekdays,
    skip_holidays: $("standing-holidays").checked,
  };
  payload[mode === "arrive" ? "arrive_by" : "depart_at"] = timeOf($("standing-time"));
  if (returnChoice() === "after") payload.return_after_min = Number($("standing-after").value || 0);
  if (returnChoice() === "at") payload.return_at = timeOf($("standing-back"));
  if ($("standing-start").value) payload.start_date = $("standing-start").value;
  if ($("standing-end").value) payload.end_date = $("standing-end").value;
  return payload;
}

$("standing-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  let payload;
  try {
    payload = standingPayload();
  } catch (err) {
    showLocalError(err.message);
    return;
  }
  clearError();
  const button = $("standing-btn");
  button.disabled = true;
  // A retry of a registration that got no answer (network) reuses its key: never twice.
  const same = state.standingAttempt && JSON.stringify(state.standingAttempt.payload) === JSON.stringify(payload);
  const attempt = same ? state.standingAttempt : { payload, key: newKey("standing") };
  state.standingAttempt = attempt;
  try {
    const saved = await Api.standing(payload, attempt.key);
    state.standingAttempt = null;
    flash(t("st.saved", { id: saved.id }));
    loadRiderStanding();
  } catch (err) {
    if (err instanceof ApiError) state.standingAttempt = null;
    showError(err);
  } finally {
    button.disabled = false;
  }
});

/** 「火・金 9:00 着、帰り 13:00 発」 */
function standingTerms(s) {
  const days = s.weekdays.map((d) => t(`st.day.${d}`)).join("・");
  const there = s.arrive_by ? t("st.arrive", { time: s.arrive_by }) : t("st.depart", { time: s.depart_at });
  const back = s.return_at ? `、${t("st.back", { time: s.return_at })}` : "";
  return `${days} ${there}${back}`;
}

function renderRiderStanding() {
  const items = state.standingList;
  $("rider-standing").hidden = !items.length;
  $("rider-standing-list").replaceChildren(
    ...items.map((s) => {
      const dateId = `standing-skip-${s.id}`;
      return el(
        "li",
        { dataset: { standingId: s.id } },
        el("strong", {}, standingTerms(s)),
        el("span", {}, `${placeName(s.pickup)} → ${placeName(s.dropoff)}`),
        s.skip_holidays ? el("span", { class: "badge" }, t("st.holiday_skip")) : null,
        el("span", { class: "help" }, t("st.next", { dates: s.next_dates.map((d) => fmtDate(d)).join("、") || "—" })),
        s.skip_dates.length ? el("span", { class: "help" }, t("st.skips", { dates: s.skip_dates.map((d) => fmtDate(d)).join("、") })) : null,
        el("label", { for: dateId }, t("st.skip.date")),
        el("input", { id: dateId, type: "date", lang: "ja", min: tomorrowIso(), value: s.next_dates[0] || "" }),
        el("button", { type: "button", class: "btn", onclick: () => addException(s, $(dateId).value) }, t("st.skip.add")),
        el("button", { type: "button", class: "btn btn-danger", onclick: () => endStanding(s) }, t("st.end_it")),
      );
    }),
  );
  describeDates($("rider-standing-list"));
}

async function loadRiderStanding() {
  if (!state.rider) return;
  try {
    state.standingList = await Api.riderStanding(state.rider.id);
    renderRiderStanding();
  } catch (err) {
    showError(err);
  }
}

async function addException(s, day) {
  if (!day) return;
  try {
    await Api.changeStanding(s.id, { add_skip_dates: [day] });
    flash(t("st.skip.added"));
    loadRiderStanding();
    loadRiderBookings();
    loadProblems();
  } catch (err) {
    showError(err);
  }
}

async function endStanding(s) {
  if (!window.confirm(t("st.end.confirm"))) return;
  try {
    await Api.endStanding(s.id);
    flash(t("st.ended"));
    loadRiderStanding();
    loadRiderBookings();
    loadProblems();
  } catch (err) {
    showError(err);
  }
}

/** One standing ride we cannot keep: who, which ride, when, why; a button per time the
 * quote offered instead (books it and settles the problem) and one to settle it without. */
function problemItem(p) {
  const asked = p.arrive_by ? t("st.arrive", { time: fmtTime(p.arrive_by) }) : t("st.depart", { time: fmtTime(p.depart_at) });
  const alts = p.alternatives || [];
  return el(
    "li",
    { dataset: { problemId: p.id, standingId: p.standing_booking_id } },
    el("strong", {}, p.rider_name),
    el("span", { class: "badge" }, t(`st.leg.${p.leg}`)),
    el("span", {}, `${placeName(p.pickup)} → ${placeName(p.dropoff)} ${asked}`),
    el("span", { class: "no-reason" }, p.reason[`message_${lang()}`] || p.reason.message_ja),
    alts.length ? el("span", { class: "help" }, t("st.instead.book")) : el("span", { class: "help" }, t("op.alternatives.none")),
    ...alts.map((a) => el("button", {
      type: "button", class: "btn alt-btn", onclick: () => bookInstead(p, a),
    }, a[`label_${lang()}`] || a.label_ja)),
    el("button", { type: "button", class: "btn btn-quiet", onclick: () => settleWithout(p) }, t("st.settle")),
  );
}

/** Book the problem's ride at an alternative time, like any ride, and settle the problem. */
async function bookInstead(p, alt) {
  clearError();
  const payload = {
    rider_id: p.rider_id,
    pickup_place_id: p.pickup.place_id,
    dropoff_place_id: p.dropoff.place_id,
  };
  if (alt.arrive_by) payload.arrive_by = alt.arrive_by;
  else payload.depart_at = alt.depart_at;
  try {
    const q = await Api.quote(payload, newKey("standing-alt"));
    if (!q.feasible) {
      showLocalError(reasonText(q));
      await loadProblems();
      return;
    }
    await Api.confirm(q.id);
    await Api.settleProblem(p.id, q.id);
    flash(t("op.confirmed", { id: q.id }));
    await loadProblems();
    loadRiderBookings();
  } catch (err) {
    showError(err);
  }
}

async function settleWithout(p) {
  if (!window.confirm(t("st.settle.confirm"))) return;
  try {
    await Api.settleProblem(p.id, null);
    flash(t("st.settled"));
    await loadProblems();
  } catch (err) {
    showError(err);
  }
}

function renderProblems() {
  $("standing-problems-date").textContent = fmtDate(tomorrowIso());
  $("standing-problems-list").replaceChildren(
    ...(state.problems.length ? state.problems.map(problemItem) : [el("li", {}, t("st.problems.none"))]),
  );
}

async function loadProblems() {
  try {
    state.problems = await Api.standingProblems(tomorrowIso());
    renderProblems();
  } catch (err) {
    showError(err);
  }
}

$("standing-make").addEventListener("click", async () => {
  const button = $("standing-make");
  button.disabled = true;
  try {
    const out = await Api.makeStanding(tomorrowIso());
    $("standing-made").textContent = t("st.made", { n: out.booked.length, k: out.problems.length });
    await loadProblems();
  } catch (err) {
    showError(err);
  } finally {
    button.disabled = false;
  }
});

onLangChange(() => {
  renderProblems();
  if (state.rider) renderRiderStanding();
});

// ---------------------------------------------------------------- keyboard shortcuts
document.addEventListener("keydown", (ev) => {
  const digit = /^Digit([1-9])$/.exec(ev.code);
  if (digit && ev.altKey && !ev.ctrlKey && state.rider && !cancelDialog.open) {
    const p = state.usual[Number(digit[1]) - 1];
    if (p) {
      ev.preventDefault();
      useUsualPlace(p, ev.shiftKey ? "trip-from" : "trip-to");
    }
    return;
  }
  if (ev.code === "KeyR" && ev.altKey && !ev.ctrlKey && state.rider && !cancelDialog.open) {
    const b = state.recent.find((x) => x.kind === "ride");
    if (b) {
      ev.preventDefault();
      repeatBooking(b);
    }
    return;
  }
  if (ev.key === "/" && !typing(ev)) {
    ev.preventDefault();
    if (state.rider) changeRider();
    else input.focus();
  } else if (ev.key === "Enter" && ev.altKey) {
    ev.preventDefault();
    confirmQuote();
  } else if (/^[1-9]$/.test(ev.key) && !typing(ev) && !($("quote-no").hidden && $("order-no").hidden)) {
    const list = $("quote-no").hidden ? $("order-alternatives") : $("alternatives");
    const button = list.querySelector(`button[data-index="${Number(ev.key) - 1}"]`);
    if (button) {
      ev.preventDefault();
      button.click();
    }
  }
});

onLangChange(() => {
  if (state.rider) {
    fillPlaces();
    fillOrder();
    renderRecent();
    renderUsual();
  }
  showToday();
  describeDates();
  if (state.order) renderOrder(state.order);
  if (state.quote && !$("quote-no").hidden) $("no-reason").textContent = reasonText(state.quote);
  if (state.riders.length) renderResults();
  const box = document.getElementById("error");
  if (!box.hidden && state.lastError) box.querySelector(".error-message").textContent = errorText(state.lastError);
});

// ---------------------------------------------------------------- the service's day
/** An hour from now by the service's clock, on 5 minutes (at most 23:55), "HH:MM". */
function defaultTime() {
  const [h, m] = nowHHMM().split(":").map(Number);
  return hhmmOf(Math.ceil((h * 60 + m + 60) / 5) * 5);
}

/** The forms' first dates and times, and the earliest dates they take: the service's today. */
function formDefaults() {
  const today = todayIso();
  $("trip-date").value = today;
  $("trip-time").value = defaultTime();
  const [h, m] = defaultTime().split(":").map(Number);
  visitDefaults(h * 60 + m);
  for (const id of ["trip-date", "visit-date", "standing-start", "standing-end"]) $(id).min = today;
  showToday();
  describeDates();
}

function showToday() {
  $("service-today").textContent = fmtDate(todayIso());
}

$("wareki-toggle").checked = wareki();
setupTimeFields();
$("wareki-toggle").addEventListener("change", () => setWareki($("wareki-toggle").checked));

// ---------------------------------------------------------------- start
initPage({
  onReady: async () => {
    formDefaults();
    try {
      const data = await Api.places();
      state.places = Array.isArray(data) ? data : data.items || data.places || [];
    } catch (err) {
      showError(err);
    }
    loadProblems();
    input.focus();
  },
});
