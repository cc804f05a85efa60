// 配車ボード: town map with every vehicle's route, manifests, late stops, audit trail, overrides,
// and the drone panel (ドローン便: flights per drone, grounded periods, the dispatcher's switch).
// The dispatcher's tools: a delay, breakdown or no-show is previewed (what it changes, which
// promises it breaks) before it is applied; the reassign assistant ranks the vehicles that
// could take a booking; time travel shows the plan as it stood earlier (read-only); and the
// day so far (本日の実績).
import {
  api, clearError, el, flash, fmtTime, fmtWindow, initPage, lang, onLangChange, PALETTE, showError, t, tr, typing,
  zonedIso,
} from "./common.js";
import { fmtDateTime, serviceNow } from "./common.js"; // 最終更新: the service's clock
import { TownMap } from "./map.js";

// ---------------------------------------------------------------- API (see api/routers)
const Api = {
  plan: () => api("/plan"),
  audit: () => api("/audit", { query: { limit: 100 } }),
  pin: (bookingId, vehicleId) => api("/overrides/pin", { method: "POST", body: { booking_id: bookingId, vehicle_id: vehicleId } }),
  move: (bookingId, vehicleId) => api("/overrides/move", { method: "POST", body: { booking_id: bookingId, vehicle_id: vehicleId } }),
  lock: (vehicleId) => api("/overrides/lock", { method: "POST", body: { vehicle_id: vehicleId } }),
  unlock: (vehicleId) => api("/overrides/unlock", { method: "POST", body: { vehicle_id: vehicleId } }),
  reoptimise: () => api("/plan/reoptimise", { method: "POST", body: {} }),
  drones: () => api("/drones"),
  flights: () => api("/flights"),
  grounded: () => api("/drones/grounded"),
  ground: (body) => api("/drones/grounded", { method: "POST", body }),
  lift: (id) => api(`/drones/grounded/${encodeURIComponent(id)}/lift`, { method: "POST" }),
  eventPreview: (vehicleId, body) => api(`/vehicles/${encodeURIComponent(vehicleId)}/events/preview`, { method: "POST", body }),
  event: (vehicleId, body) => api(`/vehicles/${encodeURIComponent(vehicleId)}/events`, { method: "POST", body }),
  movePreview: (bookingId, vehicleId) => api("/overrides/move/preview", { method: "POST", body: { booking_id: bookingId, vehicle_id: vehicleId } }),
  moveOptions: (bookingId) => api("/overrides/move/options", { query: { booking_id: bookingId } }),
  planAt: (at) => api("/plan/at", { query: { at } }),
  moments: () => api("/plan/moments"),
  summary: () => api("/plan/summary"),
  path: (points) => api("/map/path", { query: { points: points.map(([lon, lat]) => `${lon.toFixed(6)},${lat.toFixed(6)}`).join(";") } }),
};

const $ = (id) => document.getElementById(id);
const refreshS = Number(document.body.dataset.refreshS || 5);
const state = {
  plan: null, audit: [], timer: 0, busy: false, colours: new Map(), paths: new Map(),
  drones: [], flights: [], grounded: [], groundDefaults: false,
  past: null, pending: null, moments: null, summary: null, ttInit: false,
};
const MAX_PATH_POINTS = 64;

/** The road path through `points` (cached by the points), or null while it is fetched. */
function roadPath(points) {
  if (points.length < 2) return null;
  const pts = points.slice(0, MAX_PATH_POINTS);
  const key = pts.map(([lon, lat]) => `${lon.toFixed(6)},${lat.toFixed(6)}`).join(";");
  const cached = state.paths.get(key);
  if (cached !== undefined) return cached;
  if (state.paths.size > 200) state.paths.clear(); // routes change all day: keep the cache small
  state.paths.set(key, null);
  Api.path(pts)
    .then((data) => {
      state.paths.set(key, data.coords);
      render();
    })
    .catch(() => state.paths.delete(key)); // straight lines stay; the next refresh retries
  return null;
}
const map = new TownMap($("map"), { onStop: (stop) => focusStopRow(stop) });

// ---------------------------------------------------------------- shapes
function routesOf(plan) {
  return plan.routes || plan.vehicles || [];
}

function colourOf(vehicleId) {
  if (!state.colours.has(vehicleId)) state.colours.set(vehicleId, PALETTE[state.colours.size % PALETTE.length]);
  return state.colours.get(vehicleId);
}

function stopState(s) {
  if (s.late || (s.late_s ?? 0) > 0 || s.status === "late") return "late";
  if (s.at_risk || s.status === "at_risk") return "at_risk";
  return "";
}

function isDone(s) {
  return ["done", "departed", "completed", "dropped_off", "no_show", "cancelled"].includes(s.status);
}

function lonLat(x) {
  if (!x) return null;
  if (Array.isArray(x)) return x;
  if (x.lon !== undefined) return [x.lon, x.lat];
  if (x.location) return lonLat(x.location);
  return null;
}

function stopKey(vehicleId, s, i) {
  return `${vehicleId}:${s.booking_id || s.kind}:${s.kind}:${i}`;
}

/** Who a stop is for: the rider, or at a community hall (公民館) its parcels. */
function whoOf(s) {
  if (!s.parcels?.length) return s.rider_name || s.booking_id || "";
  const names = s.parcels.map((p) => p.rider_name || p.booking_id).join("、");
  return `${t("hall.parcels", { n: s.parcels.length })}: ${names}`;
}

/** A home visit's stop (訪問診療): the 訪問 badge and the consultation's length. */
function visitBadges(s) {
  if (s.kind !== "visit") return [];
  return [
    el("span", { class: "badge badge-visit" }, tr("visit.badge")),
    s.duration_min ? el("span", { class: "badge" }, tr("visit.minutes", { n: s.duration_min })) : null,
  ];
}

/** The status words of a stop (a visit made is 訪問済み, not 降車済み). */
function statusKey(s) {
  return s.kind === "visit" && s.status === "done" ? "visit.done" : `status.${s.status}`;
}

// ---------------------------------------------------------------- render
function render() {
  const plan = shownPlan();
  if (!plan) return;
  const routes = routesOf(plan);
  // map
  map.setVehicles(
    routes.map((r) => {
      const color = colourOf(r.vehicle_id);
      const stops = (r.stops || []).map((s, i) => {
        const ll = lonLat(s.place || s.location || s);
        return {
          key: stopKey(r.vehicle_id, s, i), kind: s.kind, bookingId: s.booking_id, state: stopState(s),
          lon: ll?.[0], lat: ll?.[1],
          label: `${fmtTime(s.arrival || s.eta)} ${t(`kind.${s.kind}`)} ${s.hall ? t("hall.badge") : ""} ${whoOf(s)} ${s.place?.name || ""}`,
        };
      });
      const position = lonLat(r.position);
      const ahead = (r.stops || []).map((s, i) => [s, stops[i]]).filter(([s, m]) => m.lon !== undefined && !isDone(s)).map(([, m]) => [m.lon, m.lat]);
      const through = position ? [position, ...ahead] : ahead;
      const path = r.path || r.geometry || roadPath(through) || through;
      return { id: r.vehicle_id, color, label: r.vehicle_name || r.vehicle_id, path, position, stops };
    }),
  );
  // legend
  $("legend").replaceChildren(
    ...routes.map((r) =>
      el("li", { dataset: { vehicleId: r.vehicle_id } },
        el("span", { class: "swatch", style: `background:${colourOf(r.vehicle_id)}` }),
        r.vehicle_name || r.vehicle_id,
        r.locked ? el("span", { class: "badge" }, tr("dp.locked")) : null)),
  );
  renderManifests(routes);
  renderAlerts(routes);
  renderUnassigned(plan.unassigned || []);
  renderOverrideChoices(routes, plan.unassigned || []);
  renderAudit();
  renderDrones();
  renderEventChoices(routes);
  renderSummary();
  renderTimeTravel();
  $("updated").replaceChildren(tr("updated", { time: fmtDateTime(serviceNow()) }));
}

function renderManifests(routes) {
  $("manifests").replaceChildren(
    ...routes.map((r) => {
      const rows = (r.stops || []).map((s, i) => {
        const st = stopState(s);
        const done = isDone(s);
        const win = s.promise || s.window || s.pickup_window;
        return el("tr", {
          class: [st ? `row-${st}` : "", done ? "row-done" : ""].join(" "),
          id: `row-${CSS.escape(stopKey(r.vehicle_id, s, i))}`,
          tabindex: "-1",
          dataset: { bookingId: s.booking_id || "", kind: s.kind, state: st, hall: s.hall ? String(s.hall.place_id) : "", parcels: String(s.parcels?.length || 0) },
        },
        el("td", {}, String(i + 1)),
        el("td", {}, fmtTime(s.arrival || s.eta)),
        el("td", {}, tr(`kind.${s.kind}`), s.hall ? el("span", { class: "badge badge-hall" }, tr("hall.badge")) : null, ...visitBadges(s)),
        el("td", {}, whoOf(s)),
        el("td", {}, s.place?.name || s.place_name || ""),
        el("td", {}, win ? fmtWindow(win.start, win.end) : ""),
        el("td", {},
          st ? el("span", { class: `badge badge-${st}` }, tr(st)) : null,
          s.status ? el("span", { class: "badge" }, tr(statusKey(s))) : null));
      });
      const locked = Boolean(r.locked);
      return el("article", { class: "manifest", style: `--vcolor:${colourOf(r.vehicle_id)}`, dataset: { vehicleId: r.vehicle_id } },
        el("div", { class: "manifest-head" },
          el("h3", {}, r.vehicle_name || r.vehicle_id),
          el("span", { class: "help" }, tr("dp.stops", { n: rows.length })),
          locked ? el("span", { class: "badge" }, tr("dp.locked")) : null,
          el("button", {
            type: "button", class: "btn", dataset: { action: locked ? "unlock" : "lock", vehicleId: r.vehicle_id },
            disabled: Boolean(state.past),
            onclick: () => act(() => (locked ? Api.unlock(r.vehicle_id) : Api.lock(r.vehicle_id))),
          }, tr(locked ? "dp.unlock" : "dp.lock")),
          ...eventButtons(r)),
        el("div", { class: "table-wrap" },
          el("table", { class: "table" },
            el("thead", {}, el("tr", {},
              ...["dp.col.seq", "dp.col.time", "dp.col.kind", "dp.col.who", "dp.col.place", "dp.col.window", "dp.col.status"]
                .map((k) => el("th", { scope: "col" }, tr(k))))),
            el("tbody", {}, rows))));
    }),
  );
}

/** Late stops first, then stops at risk, most likely late first (late_probability). */
function renderAlerts(routes) {
  const flagged = [];
  for (const r of routes) {
    (r.stops || []).forEach((s, i) => {
      const st = stopState(s);
      if (st) flagged.push({ r, s, i, st });
    });
  }
  const rank = (x) => (x.st === "late" ? 2 : x.s.late_probability ?? 0);
  flagged.sort((a, b) => rank(b) - rank(a));
  const items = flagged.map(({ r, s, i, st }) =>
    el("li", { dataset: { state: st, bookingId: s.booking_id || "" } },
      el("span", { class: `badge badge-${st}` }, tr(st)),
      el("span", {}, `${r.vehicle_name || r.vehicle_id} ${fmtTime(s.arrival || s.eta)} ${t(`kind.${s.kind}`)} ${whoOf(s)}`),
      st === "at_risk" ? riskNote(s) : null,
      el("button", { type: "button", class: "btn btn-quiet", "aria-label": t("dp.alert.goto"), title: t("dp.alert.goto"), onclick: () => focusStopRow({ key: stopKey(r.vehicle_id, s, i) }) }, "→")));
  for (const b of shownPlan().broken_promises || []) {
    items.push(el("li", { dataset: { state: "late", bookingId: b.booking_id } },
      el("span", { class: "badge badge-late" }, tr("late")),
      el("span", {}, `${b.booking_id} ${b[`message_${document.documentElement.lang}`] || b.message_ja}`
        + (b.by_s ? ` (${t("minutes", { n: Math.ceil(b.by_s / 60) })})` : "")),
      el("small", {}, b.cause)));
  }
  $("alerts").replaceChildren(...(items.length ? items : [el("li", {}, tr("dp.alerts.none"))]));
}

/** Why and how likely a stop at risk is late: 「遅れる確率 45%・余裕のない連続」. */
function riskNote(s) {
  const p = Math.round((s.late_probability ?? 0) * 100);
  return el("small", { class: "risk-note" },
    tr("risk.probability", { p }),
    s.risk_reason ? "・" : "",
    s.risk_reason ? tr(`risk.${s.risk_reason}`) : null);
}

function renderUnassigned(unassigned) {
  $("unassigned").replaceChildren(
    ...(unassigned.length
      ? unassigned.map((u) => el("li", { dataset: { bookingId: u.booking_id } },
        el("strong", {}, u.booking_id), el("span", {}, u[`reason_${document.documentElement.lang}`] || u.reason || "")))
      : [el("li", {}, tr("none"))]),
  );
}

function renderOverrideChoices(routes, unassigned) {
  const bookings = new Map();
  for (const r of routes) for (const s of r.stops || []) if (s.booking_id) bookings.set(s.booking_id, `${s.booking_id} ${s.rider_name || ""} (${r.vehicle_name || r.vehicle_id})`);
  for (const u of unassigned) bookings.set(u.booking_id, `${u.booking_id} ${u.rider_name || ""}`);
  keepChoice($("ov-booking"), [...bookings].map(([id, label]) => [id, label]));
  keepChoice($("ov-vehicle"), routes.map((r) => [r.vehicle_id, r.vehicle_name || r.vehicle_id]));
}

function keepChoice(select, options) {
  const previous = select.value;
  select.replaceChildren(...options.map(([value, label]) => el("option", { value }, label)));
  if (options.some(([v]) => v === previous)) select.value = previous;
}

function renderAudit() {
  const asOf = state.past ? new Date(state.past.as_of) : null; // travelling: the trail until then
  const rows = state.audit.filter((a) => !asOf || new Date(a.at) <= asOf).map((a) =>
    el("tr", { dataset: { event: a.event || a.kind || "" } },
      el("td", {}, fmtTime(a.at || a.created_at || a.time)),
      el("td", {}, a[`message_${document.documentElement.lang}`] || a.message || a.event || ""),
      el("td", {}, a.booking_id || ""),
      el("td", {}, a.actor || a.user || "")));
  $("audit").querySelector("tbody").replaceChildren(
    ...(rows.length ? rows : [el("tr", {}, el("td", { colspan: "4" }, tr("dp.audit.none")))]),
  );
}

// ---------------------------------------------------------------- drones (ドローン便)
function droneName(id) {
  return state.drones.find((d) => d.id === id)?.name || id;
}

function droneWho(ids) {
  return ids && ids.length ? ids.map(droneName).join("、") : t("dp.grounded.all");
}

function renderDrones() {
  const active = state.drones.filter((d) => d.active);
  $("drones-empty").hidden = state.drones.length > 0;
  // flights, one table per drone (drones without flights today are left out)
  const byDrone = new Map();
  for (const f of state.flights) {
    if (!byDrone.has(f.drone.id)) byDrone.set(f.drone.id, { name: f.drone.name, flights: [] });
    byDrone.get(f.drone.id).flights.push(f);
  }
  $("drone-flights").replaceChildren(
    ...(byDrone.size
      ? [...byDrone].map(([id, d]) =>
        el("article", { class: "manifest", dataset: { droneId: id } },
          el("div", { class: "manifest-head" },
            el("h3", {}, d.name),
            el("span", { class: "help" }, tr("dp.flight.count", { n: d.flights.length }))),
          el("div", { class: "table-wrap" },
            el("table", { class: "table" },
              el("thead", {}, el("tr", {},
                ...["dp.flight.takeoff", "dp.flight.at_hall", "dp.flight.back", "dp.booking", "dp.flight.hall", "dp.col.status"]
                  .map((k) => el("th", { scope: "col" }, tr(k))))),
              el("tbody", {}, d.flights.map((f) =>
                el("tr", { class: f.status === "landed" ? "row-done" : "", dataset: { bookingId: f.booking_id, status: f.status } },
                  el("td", {}, fmtTime(f.takeoff)),
                  el("td", {}, fmtTime(f.at_hall)),
                  el("td", {}, fmtTime(f.back)),
                  el("td", {}, f.booking_id),
                  el("td", {}, f.hall?.name || ""),
                  el("td", {}, el("span", { class: "badge" }, tr(`dp.flight.${f.status}`))))))))))
      : [el("p", { class: "help" }, tr("dp.flights.none"))]),
  );
  // grounded periods, each with its lift button
  $("grounded-list").replaceChildren(
    ...(state.grounded.length
      ? state.grounded.map((g) => {
        const period = fmtWindow(g.start, g.end);
        const over = new Date(g.end) <= new Date(state.plan?.now || Date.now());
        return el("li", { dataset: { groundingId: g.id, inForce: String(g.in_force) } },
          el("strong", {}, period),
          el("span", {}, ` ${droneWho(g.drone_ids)} — ${g[`cause_${lang()}`] || g.cause_ja}`),
          g.in_force ? el("span", { class: "badge badge-late" }, tr("dp.grounded.in_force")) : null,
          over ? null : el("button", {
            type: "button", class: "btn btn-quiet", dataset: { action: "lift" },
            "aria-label": `${t("dp.unground")} ${period}`,
            onclick: () => liftGrounding(g, period),
          }, tr("dp.unground")));
      })
      : [el("li", {}, tr("dp.grounded.none"))]),
  );
  // the switch: drones flying today to choose from
  keepChoice($("ground-drone"), [["", t("dp.grounded.all")], ...active.map((d) => [d.id, d.name])]);
  $("ground-btn").disabled = active.length === 0;
  if (!state.groundDefaults && state.plan?.now) {
    // now (the service's clock) to two hours on, on 5 minutes
    const [h, m] = fmtTime(state.plan.now).split(":").map(Number);
    const from = Math.ceil((h * 60 + m) / 5) * 5;
    const hhmm = (x) => `${String(Math.floor(Math.min(x, 23 * 60 + 55) / 60)).padStart(2, "0")}:${String(Math.min(x, 23 * 60 + 55) % 60).padStart(2, "0")}`;
    $("ground-start").value = hhmm(from);
    $("ground-end").value = hhmm(from + 120);
    state.groundDefaults = true;
  }
}

async function liftGrounding(g, period) {
  if (!window.confirm(t("dp.unground.confirm", { period, who: droneWho(g.drone_ids) }))) return;
  await act(async () => {
    await Api.lift(g.id);
    flash(t("dp.ungrounded"));
  }, { quiet: true });
}

async function groundDrones() {
  const day = state.plan?.service_date;
  const start = $("ground-start").value;
  const end = $("ground-end").value;
  if (!day || !start || !end) return;
  const drone = $("ground-drone").value;
  const body = {
    service_date: day,
    start: zonedIso(day, start),
    end: zonedIso(day, end),
    cause: $("ground-cause").value,
    note: $("ground-note").value.trim(),
  };
  if (drone) body.drone_ids = [drone];
  const who = drone ? droneName(drone) : t("dp.grounded.all");
  if (!window.confirm(t("dp.ground.confirm", { who, period: `「${start}〜${end}」` }))) return;
  await act(async () => {
    const out = await Api.ground(body);
    flash(t("dp.ground.done", { moved: out.moved_to_vans.length, broken: out.broken.length }));
    $("ground-note").value = "";
  }, { quiet: true });
}

function focusStopRow(stop) {
  const row = document.getElementById(`row-${CSS.escape(stop.key)}`);
  if (row) {
    row.scrollIntoView({ block: "center" });
    row.focus();
  }
}

// ---------------------------------------------------------------- data
async function refresh() {
  if (state.busy) return;
  state.busy = true;
  try {
    const [plan, audit, drones, summary, moments] = await Promise.all([
      Api.plan(), Api.audit(), loadDrones(), Api.summary(), Api.moments(),
    ]);
    state.plan = plan;
    state.summary = summary;
    state.moments = moments;
    state.audit = Array.isArray(audit) ? audit : audit.items || audit.entries || [];
    Object.assign(state, drones);
    render();
    document.body.dataset.loaded = "true";
  } catch (err) {
    showError(err);
  } finally {
    state.busy = false;
  }
}

/** The drone panel's data; an empty panel (not an error) when the role may not read it. */
async function loadDrones() {
  try {
    const [drones, flights, grounded] = await Promise.all([Api.drones(), Api.flights(), Api.grounded()]);
    return { drones, flights, grounded };
  } catch (err) {
    if (err.status === 403) return { drones: [], flights: [], grounded: [] };
    throw err;
  }
}

async function act(fn, { quiet = false } = {}) {
  clearError();
  try {
    await fn();
    if (!quiet) flash(t("dp.done"));
  } catch (err) {
    showError(err);
  }
  await refresh();
}

function schedule() {
  clearInterval(state.timer);
  if ($("auto-refresh").checked) state.timer = setInterval(refresh, refreshS * 1000);
}

$("auto-refresh").addEventListener("change", schedule);
$("refresh-btn").addEventListener("click", refresh);
$("reopt-btn").addEventListener("click", () => act(async () => {
  await Api.reoptimise();
  flash(t("dp.reoptimised"));
}));
$("ground-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  groundDrones();
});
$("override-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const action = ev.submitter?.value || "pin";
  const booking = $("ov-booking").value;
  const vehicle = $("ov-vehicle").value;
  if (!booking || state.past) return;
  if (action === "options") {
    findOptions(booking);
    return;
  }
  if (!vehicle) return;
  if (action === "preview") {
    clearError();
    Api.movePreview(booking, vehicle)
      .then((p) => showPreview(p, `${booking} → ${vehicleName(vehicle)}`, () => Api.move(booking, vehicle)))
      .catch(showError);
    return;
  }
  act(() => (action === "move" ? Api.move(booking, vehicle) : Api.pin(booking, vehicle)));
});
document.addEventListener("keydown", (ev) => {
  if (ev.key === "r" && !typing(ev) && !ev.ctrlKey && !ev.metaKey && !ev.altKey && ev.target !== $("map")) {
    ev.preventDefault();
    refresh();
  }
});
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") refresh();
});
onLangChange(() => render());

initPage({
  onReady: async () => {
    $("map-status").replaceChildren(tr("loading"));
    try {
      await map.load();
      $("map-status").textContent = "";
    } catch (err) {
      $("map-status").textContent = "";
      showError(err);
    }
    await refresh();
    schedule();
  },
});

// ---------------------------------------------------------------- the dispatcher's tools
/** The plan on the board: the one of an earlier time while travelling, else today's now. */
function shownPlan() {
  return state.past || state.plan;
}

function vehicleName(id) {
  if (!id) return "—";
  const r = routesOf(state.plan || {}).find((x) => x.vehicle_id === id);
  return r?.vehicle_name || id;
}

/** The booking of a vehicle's next stop when it is a pickup or a home visit (no-show). */
function nextPickup(route) {
  const next = (route?.stops || []).find((s) => s.status === "planned" && s.booking_id);
  return next && (next.kind === "pickup" || next.kind === "visit") ? next : null;
}

/** 遅れ… 故障… 不在… on a manifest: fill the report form, then preview. */
function eventButtons(r) {
  if (state.past || r.in_service === false) return [];
  const name = r.vehicle_name || r.vehicle_id;
  const next = nextPickup(r);
  const button = (type, key, extra = {}) => el("button", {
    type: "button", class: "btn btn-quiet", dataset: { event: type, vehicleId: r.vehicle_id },
    "aria-label": t("dpx.for", { what: t(key), who: name }),
    onclick: () => chooseEvent(r.vehicle_id, type, extra.bookingId),
  }, tr(key));
  return [
    button("delayed", "dpx.delay_btn"),
    button("breakdown", "dpx.breakdown_btn"),
    next ? button("no_show", "dpx.no_show_btn", { bookingId: next.booking_id }) : null,
  ];
}

function chooseEvent(vehicleId, type, bookingId) {
  $("ev-vehicle").value = vehicleId;
  $("ev-type").value = type;
  showEventFields();
  if (bookingId) $("ev-booking").value = bookingId;
  if (type === "delayed") {
    $("ev-delay").focus();
    $("ev-delay").select();
  } else {
    previewEvent();
  }
}

function renderEventChoices(routes) {
  keepChoice($("ev-vehicle"), routes.filter((r) => r.in_service !== false).map((r) => [r.vehicle_id, r.vehicle_name || r.vehicle_id]));
  showEventFields();
}

/** The delay field for a delay, the booking for a no-show (the vehicle's next pickup). */
function showEventFields() {
  const type = $("ev-type").value;
  $("ev-delay-field").hidden = type !== "delayed";
  $("ev-booking-field").hidden = type !== "no_show";
  const route = routesOf(state.plan || {}).find((r) => r.vehicle_id === $("ev-vehicle").value);
  const next = nextPickup(route);
  keepChoice($("ev-booking"), next ? [[next.booking_id, `${next.booking_id} ${next.rider_name || ""}`]] : [["", t("dpx.ev.no_pickup")]]);
}

function eventBody() {
  const type = $("ev-type").value;
  const body = { type };
  if (type === "delayed") body.delay_min = Number($("ev-delay").value);
  if (type === "no_show") body.booking_id = $("ev-booking").value || null;
  return body;
}

async function previewEvent() {
  const vehicleId = $("ev-vehicle").value;
  if (!vehicleId) return;
  const body = eventBody();
  const kind = { delayed: "dpx.ev.delayed", breakdown: "dpx.ev.breakdown", no_show: "dpx.ev.no_show" }[body.type];
  let what = `${vehicleName(vehicleId)} ${t(kind)}`;
  if (body.type === "delayed") what += ` ${t("minutes", { n: body.delay_min })}`;
  if (body.type === "no_show") what += ` ${body.booking_id || ""}`;
  clearError();
  try {
    const p = await Api.eventPreview(vehicleId, body);
    showPreview(p, what, () => Api.event(vehicleId, body));
  } catch (err) {
    showError(err);
  }
}

function changeText(c) {
  const when = (p, d) => (p ? fmtTime(p) : d ? fmtTime(d) : "—");
  return t("dpx.change", {
    booking: c.booking_id,
    who: c.rider_name || "",
    from: `${vehicleName(c.before_vehicle)} ${when(c.before_pickup, c.before_dropoff)}`,
    to: c.after_vehicle ? `${vehicleName(c.after_vehicle)} ${when(c.after_pickup, c.after_dropoff)}` : "—",
  });
}

/** The checker's answer before anything is applied: moves, re-timed stops, broken promises. */
function showPreview(p, what, apply) {
  state.pending = { apply };
  const parts = [el("p", {}, el("strong", {}, tr("dpx.preview.what", { what })))];
  if (!p.applies) {
    parts.push(el("p", {}, el("span", { class: "badge badge-late" }, tr("dpx.preview.refused"))));
    parts.push(el("ul", { class: "violations" }, p.violations.map((v) => el("li", {}, v))));
  } else if (p.broken.length) {
    parts.push(el("p", {}, el("span", { class: "badge badge-late" }, tr("dpx.preview.broken", { n: p.broken.length }))));
    parts.push(el("ul", { class: "broken" }, p.broken.map((b) =>
      el("li", { dataset: { bookingId: b.booking_id } },
        `${b.booking_id} ${b[`message_${lang()}`] || b.message_ja}`
          + (b.by_s ? ` (${t("minutes", { n: Math.ceil(b.by_s / 60) })})` : ""),
        el("small", {}, ` — ${b.cause}`)))));
  } else {
    parts.push(el("p", {}, el("span", { class: "badge badge-ok" }, tr("dpx.preview.ok"))));
  }
  const lists = [["moved", "dpx.preview.moved", {}], ["retimed", "dpx.preview.retimed", { n: p.retime_min }], ["dropped", "dpx.preview.dropped", {}]];
  for (const [key, label, vars] of lists) {
    if (!p[key].length) continue;
    parts.push(el("h3", {}, tr(label, vars)));
    parts.push(el("ul", { dataset: { list: key } }, p[key].map((c) => el("li", { dataset: { bookingId: c.booking_id } }, changeText(c)))));
  }
  if (p.applies && !p.moved.length && !p.retimed.length && !p.dropped.length) parts.push(el("p", { class: "help" }, tr("dpx.preview.nothing")));
  const km = (m) => (m / 1000).toFixed(1);
  parts.push(el("p", { class: "help" }, tr("dpx.preview.totals", {
    served_b: p.before.served, served_a: p.after.served, km_b: km(p.before.distance_m), km_a: km(p.after.distance_m),
  })));
  const box = $("preview");
  box.replaceChildren(...parts);
  box.dataset.applies = String(p.applies);
  box.dataset.broken = String(p.broken.length);
  $("preview-apply").hidden = !p.applies;
  $("preview-discard").hidden = false;
  $("preview-card").scrollIntoView({ block: "nearest" });
  (p.applies ? $("preview-apply") : $("preview-discard")).focus();
}

function clearPreview() {
  state.pending = null;
  const box = $("preview");
  box.replaceChildren(el("p", { class: "help" }, tr("dpx.preview.none")));
  delete box.dataset.applies;
  delete box.dataset.broken;
  $("preview-apply").hidden = true;
  $("preview-discard").hidden = true;
}

async function applyPending() {
  const pending = state.pending;
  if (!pending || state.past) return;
  await act(async () => {
    await pending.apply();
    clearPreview();
    flash(t("dpx.preview.applied"));
  }, { quiet: true });
}

// reassign assistant (乗せ替えの候補)
async function findOptions(bookingId) {
  clearError();
  try {
    renderOptions(await Api.moveOptions(bookingId));
  } catch (err) {
    $("ov-option-list").replaceChildren();
    showError(err);
  }
}

function renderOptions(out) {
  const items = out.options.map((o, i) => {
    const p = o.late_probability === null ? "—" : Math.round(o.late_probability * 100);
    return el("li", { dataset: { vehicleId: o.vehicle_id, keeps: String(o.keeps_promise), rank: String(i + 1) } },
      el("strong", {}, `${i + 1}. ${o.vehicle_name}`),
      el("span", { class: `badge ${o.keeps_promise ? (o.at_risk ? "badge-at_risk" : "badge-ok") : "badge-late"}` },
        tr(o.keeps_promise ? "dpx.reassign.keeps" : "dpx.reassign.breaks")),
      o.keeps_promise
        ? el("span", {}, tr("dpx.reassign.detail", {
          pickup: fmtTime(o.pickup_at || o.dropoff_at), km: (o.added_distance_m / 1000).toFixed(1),
          min: Math.round(o.added_duration_s / 60), yen: Math.round(o.added_cost), p,
        }))
        : el("small", {}, o.violations[0] || ""),
      o.keeps_promise
        ? el("button", {
          type: "button", class: "btn", dataset: { action: "move-here" }, disabled: Boolean(state.past),
          onclick: () => act(async () => {
            await Api.move(out.booking_id, o.vehicle_id);
            $("ov-option-list").replaceChildren();
          }),
        }, tr("dpx.reassign.apply", { vehicle: o.vehicle_name }))
        : null);
  });
  $("ov-option-list").replaceChildren(...(items.length ? items : [el("li", {}, tr("dpx.reassign.none"))]));
}

// time travel (時刻をさかのぼる)
function minutesOf(value) {
  const [h, m] = fmtTime(value).split(":").map(Number);
  return h * 60 + m;
}

function hhmmOf(minutes) {
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

function renderTimeTravel() {
  const m = state.moments;
  if (!m) return;
  const range = $("tt-range");
  const first = m.moments.length ? minutesOf(m.moments[0]) : minutesOf(m.now);
  range.min = String(first);
  range.max = String(Math.max(first, minutesOf(m.now)));
  if (!state.ttInit) {
    range.value = range.max;
    $("tt-time").value = hhmmOf(Number(range.value));
    state.ttInit = true;
  }
  range.setAttribute("aria-valuetext", $("tt-time").value);
}

async function travelTo(hhmm) {
  const day = state.plan?.service_date;
  if (!day || !hhmm) return;
  clearError();
  try {
    state.past = await Api.planAt(zonedIso(day, hhmm));
    const banner = $("past-banner");
    banner.replaceChildren(el("strong", {}, tr("dpx.tt.banner", { time: fmtTime(state.past.as_of) })));
    banner.hidden = false;
    $("tt-now").hidden = false;
    clearPreview();
    readOnly(true);
    render();
  } catch (err) {
    showError(err);
  }
}

function backToNow() {
  state.past = null;
  $("past-banner").hidden = true;
  $("tt-now").hidden = true;
  readOnly(false);
  render();
}

/** While the board shows an earlier plan, nothing can be changed from it. */
function readOnly(on) {
  document.body.dataset.past = String(on);
  for (const id of ["reopt-btn", "ov-pin", "ov-move", "ov-preview", "ov-options", "ev-preview", "preview-apply"]) $(id).disabled = on;
}

// the day so far (本日の実績)
function renderSummary() {
  const s = state.summary;
  if (!s) return;
  const km = (m) => (m / 1000).toFixed(1);
  const h = (x) => (x / 3600).toFixed(1);
  const rows = [
    ["served", "dpx.sum.served", String(s.served)],
    ["refused", "dpx.sum.refused", String(s.refused)],
    ["cancelled", "dpx.sum.cancelled", String(s.cancelled)],
    ["no_shows", "dpx.sum.no_shows", String(s.no_shows)],
    ["late", "dpx.sum.late", String(s.late)],
    ["km", "dpx.sum.km", tr("dpx.sum.km.value", { done: km(s.distance_m_done), planned: km(s.distance_m_planned) })],
    ["hours", "dpx.sum.hours", tr("dpx.sum.hours.value", { done: h(s.vehicle_s_done), planned: h(s.vehicle_s_planned) })],
  ];
  $("summary").replaceChildren(...rows.flatMap(([key, label, value]) => [
    el("dt", {}, tr(label)),
    el("dd", { dataset: { key }, style: "margin:0" }, value),
  ]));
}

$("ev-type").addEventListener("change", showEventFields);
$("ev-vehicle").addEventListener("change", showEventFields);
$("event-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  if (!state.past) previewEvent();
});
$("preview-apply").addEventListener("click", applyPending);
$("preview-discard").addEventListener("click", clearPreview);
$("tt-range").addEventListener("input", () => {
  $("tt-time").value = hhmmOf(Number($("tt-range").value));
  $("tt-range").setAttribute("aria-valuetext", $("tt-time").value);
});
$("tt-range").addEventListener("change", () => travelTo($("tt-time").value));
$("tt-time").addEventListener("change", () => {
  const [h, m] = $("tt-time").value.split(":").map(Number);
  if (!Number.isNaN(h)) $("tt-range").value = String(h * 60 + m);
});
$("tt-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  travelTo($("tt-time").value);
});
$("tt-now").addEventListener("click", backToNow);
