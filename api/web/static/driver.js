// 乗務員運行表 (tablet): today's stops in order, big event buttons, position report.
// A home visit (訪問診療) is one stop: 訪問 badge, the appointment, the consultation's length.
import {
  api, ApiError, clearError, el, flash, fmtDateTime, fmtTime, fmtWindow, initPage, onLangChange, serviceNow, showError, t, tr,
} from "./common.js";
import { manifestTable } from "./manifest_print.js";

// ---------------------------------------------------------------- API (see api/routers)
const Api = {
  vehicles: () => api("/vehicles"),
  manifest: (vehicleId) => api(`/vehicles/${encodeURIComponent(vehicleId)}/manifest`),
  event: (vehicleId, payload) => api(`/vehicles/${encodeURIComponent(vehicleId)}/events`, { method: "POST", body: payload }),
  position: (vehicleId, lon, lat) => api(`/vehicles/${encodeURIComponent(vehicleId)}/position`, { method: "POST", body: { lon, lat } }),
};

const $ = (id) => document.getElementById(id);
const state = { vehicle: document.body.dataset.vehicle || "", manifest: null, timer: 0 };
const DONE = new Set(["done", "departed", "completed", "dropped_off", "no_show", "cancelled"]);

function isDone(s) {
  return DONE.has(s.status);
}

function buttonsFor(s) {
  const out = [];
  if (!s.arrived && s.status !== "arrived") out.push(["arrived", "dr.arrived", "btn-arrive"]);
  if (s.kind === "pickup" || s.kind === "delivery_pickup") {
    out.push(["picked_up", "dr.picked_up", "btn-board"]);
    if (s.kind === "pickup") out.push(["no_show", "dr.no_show", "btn-noshow"]);
  } else if (s.kind === "visit") {
    out.push(["visited", "dr.visited", "btn-alight"]);
    out.push(["no_show", "dr.no_show", "btn-noshow"]);
  } else if (s.hall && s.parcels?.length) {
    out.push(["dropped_off", "dr.handed_over", "btn-alight", { n: toHandOver(s).length }]);
  } else if (s.kind === "dropoff" || s.kind === "delivery_dropoff") {
    out.push(["dropped_off", "dr.dropped_off", "btn-alight"]);
  }
  return out;
}

/** The parcels of a hall stop still to hand over, in the order of the route. */
function toHandOver(s) {
  return (s.parcels || []).filter((p) => !DONE.has(p.status));
}

function render() {
  const m = state.manifest;
  if (!m) return;
  const stops = m.stops || [];
  const nextIndex = stops.findIndex((s) => !isDone(s) && !["start", "end", "break"].includes(s.kind));
  $("dr-stops").replaceChildren(
    ...(stops.length
      ? stops.map((s, i) => {
        const done = isDone(s);
        const next = i === nextIndex;
        const late = (s.late_s ?? 0) > 0 || s.late;
        const win = s.promise || s.window || s.pickup_window;
        const who = s.parcels?.length
          ? null
          : [s.rider_name, s.party_size > 1 ? t("people", { n: s.party_size }) : null, s.wheelchair ? t("wheelchair") : null]
            .filter(Boolean).join(" ・ ");
        return el("li", {
          class: ["dr-stop", done ? "done" : "", next ? "next" : "", late ? "state-late" : ""].join(" "),
          dataset: { bookingId: s.booking_id || "", kind: s.kind, status: s.status || "planned", index: String(i), hall: s.hall ? String(s.hall.place_id) : "" },
          "aria-current": next ? "step" : undefined,
        },
        el("div", { class: "dr-stop-head" },
          el("span", { class: "dr-time" }, fmtTime(s.arrival || s.eta)),
          el("span", { class: "dr-kind" }, tr(`kind.${s.kind}`)),
          el("span", { class: "dr-place" }, s.place?.name || s.place_name || ""),
          s.hall ? el("span", { class: "badge badge-hall" }, tr("hall.badge")) : null,
          s.parcels?.length ? el("span", { class: "badge dr-parcels" }, tr("hall.parcels", { n: s.parcels.length })) : null,
          s.kind === "visit" ? el("span", { class: "badge badge-visit" }, tr("visit.badge")) : null,
          s.kind === "visit" && s.duration_min ? el("span", { class: "badge dr-minutes" }, tr("visit.minutes", { n: s.duration_min })) : null,
          done ? el("span", { class: "badge badge-ok" }, tr(s.kind === "visit" && s.status === "done" ? "visit.done" : `status.${s.status}`)) : null,
          s.status === "arrived" ? el("span", { class: "badge" }, tr("status.arrived")) : null,
          late ? el("span", { class: "badge badge-late" }, tr("late")) : null),
        who ? el("p", { class: "dr-who" }, who) : null,
        s.parcels?.length
          ? el("ul", { class: "parcels" },
            s.parcels.map((p) => el("li", { dataset: { bookingId: p.booking_id, status: p.status } },
              [p.rider_name, p.booking_id, p.weight_kg ? `${p.weight_kg} kg` : null].filter(Boolean).join(" ・ "))))
          : null,
        win ? el("p", { class: "help" }, `${t(s.hall ? "hall.slot" : s.kind === "visit" ? "visit.appointment" : "op.promise")} ${fmtWindow(win.start, win.end)}`) : null,
        next
          ? el("div", { class: "dr-buttons" },
            buttonsFor(s).map(([type, key, cls, vars]) =>
              el("button", { type: "button", class: `btn ${cls}`, dataset: { event: type }, onclick: () => report(s, type) }, tr(key, vars))))
          : null);
      })
      : [el("li", { class: "dr-stop" }, tr("dr.none"))]),
  );
  $("dr-updated").replaceChildren(tr("updated", { time: fmtDateTime(serviceNow()) }));
  $("dr-print-sheet").replaceChildren(manifestTable(m, m.service_date));
}

async function load() {
  if (!state.vehicle) return;
  try {
    state.manifest = await Api.manifest(state.vehicle);
    render();
    document.body.dataset.loaded = "true";
  } catch (err) {
    showError(err);
  }
}

async function report(stop, type) {
  if (type === "no_show" && !window.confirm(t("dr.no_show.confirm"))) return;
  clearError();
  try {
    if (type === "dropped_off" && stop.hall && stop.parcels?.length) {
      // one stop at a hall hands over every parcel: each is the vehicle's next stop in turn
      for (const p of toHandOver(stop)) {
        await Api.event(state.vehicle, { type, booking_id: p.booking_id, stop_kind: stop.kind });
      }
    } else {
      await Api.event(state.vehicle, { type, booking_id: stop.booking_id, stop_kind: stop.kind });
    }
    flash(t("dr.recorded", { what: t(`dr.${type}`) }));
  } catch (err) {
    showError(err);
    if (err instanceof ApiError && err.problem?.code === "visit_not_begun") {
      // not a conflict to refresh away: the visit's appointment has not begun yet
      document.querySelector("#error .error-message").textContent = err.message;
    }
  }
  await load();
  $("dr-stops").querySelector(".next .btn")?.focus();
}

$("dr-position").addEventListener("click", () => {
  if (!navigator.geolocation) {
    showError(new Error(t("dr.position.unavailable")));
    return;
  }
  navigator.geolocation.getCurrentPosition(
    async (pos) => {
      try {
        await Api.position(state.vehicle, pos.coords.longitude, pos.coords.latitude);
        flash(t("dr.position.done"));
        await load();
      } catch (err) {
        showError(err);
      }
    },
    () => flash(t("dr.position.unavailable")),
    { enableHighAccuracy: true, timeout: 10000 },
  );
});

$("dr-print").addEventListener("click", () => window.print());

$("dr-vehicle").addEventListener("change", () => {
  state.vehicle = $("dr-vehicle").value;
  const url = new URL(location.href);
  url.searchParams.set("vehicle", state.vehicle);
  history.replaceState(null, "", url);
  load();
});
onLangChange(() => render());

initPage({
  onReady: async (me) => {
    try {
      const data = await Api.vehicles();
      const vehicles = Array.isArray(data) ? data : data.items || data.vehicles || [];
      const select = $("dr-vehicle");
      select.replaceChildren(...vehicles.map((v) => el("option", { value: v.id }, v.name || v.id)));
      state.vehicle = state.vehicle || me.vehicle_id || vehicles[0]?.id || "";
      select.value = state.vehicle;
    } catch (err) {
      showError(err);
    }
    await load();
    state.timer = setInterval(load, 15000);
  },
});
