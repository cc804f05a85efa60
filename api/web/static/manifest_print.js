// The printed manifest (運行表) of one vehicle's day on A4: the driver's page and the
// day's schedule (/dispatcher/print) draw it with this one function. Each page repeats
// the table head: the vehicle, the date and the columns (see @media print in noriai.css).
import { el, fmtDate, fmtDateTime, fmtTime, fmtWindow, serviceNow, t } from "./common.js";

/** Who rides or what is handed over: names, party, wheelchair, parcels. */
function whoText(s) {
  if (s.parcels?.length) {
    return [t("hall.parcels", { n: s.parcels.length }), ...s.parcels.map((p) => p.rider_name).filter(Boolean)].join(" ・ ");
  }
  const visit = s.kind === "visit" && s.duration_min ? t("visit.minutes", { n: s.duration_min }) : null;
  return [s.rider_name, s.party_size > 1 ? t("people", { n: s.party_size }) : null, s.wheelchair ? t("wheelchair") : null, visit]
    .filter(Boolean).join(" ・ ");
}

/**
 * A table of `route.stops` for printing, headed on every page by the vehicle and the date.
 * `route`: {vehicle_name | vehicle_id, stops} as the plan's routes and the manifests give them.
 */
export function manifestTable(route, serviceDate) {
  const columns = ["no", "time", "kind", "place", "who", "window", "status"];
  const vehicle = route.vehicle_name || route.vehicle_id;
  const stops = route.stops || [];
  return el("table", { class: "print-table", dataset: { vehicleId: route.vehicle_id || "" } },
    el("thead", {},
      el("tr", { class: "print-title" },
        el("th", { colspan: String(columns.length - 2), scope: "colgroup" },
          `${t("print.manifest")} ${t("print.vehicle_date", { vehicle, date: fmtDate(serviceDate) })}`),
        el("th", { colspan: "2", class: "print-stamp" }, t("print.printed", { at: fmtDateTime(serviceNow()) }))),
      el("tr", {}, columns.map((c) => el("th", { scope: "col", class: `col-${c}` }, t(`print.col.${c}`))))),
    el("tbody", {},
      stops.length
        ? stops.map((s, i) => {
          const win = s.promise;
          return el("tr", { dataset: { kind: s.kind, bookingId: s.booking_id || "" } },
            el("td", { class: "col-no" }, String(i + 1)),
            el("td", { class: "col-time" }, fmtTime(s.service_start || s.arrival)), // the promised moment, not the early arrival
            el("td", { class: "col-kind" }, [t(`kind.${s.kind}`), s.hall ? ` ${t("hall.badge")}` : ""].join("")),
            el("td", { class: "col-place" }, s.place?.name || ""),
            el("td", { class: "col-who" }, whoText(s)),
            el("td", { class: "col-window" }, win ? fmtWindow(win.start, win.end) : ""),
            el("td", { class: "col-status" }, t(`status.${s.status || "planned"}`)));
        })
        : [el("tr", {}, el("td", { colspan: String(columns.length) }, t("dr.none")))]));
}
