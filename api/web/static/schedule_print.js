// 運行計画（印刷用）: every vehicle's manifest of a day, one after another, each starting
// on a new A4 sheet. The day defaults to the service's today (never the browser's).
import { api, describeDates, el, initPage, onLangChange, showError, t, todayIso } from "./common.js";
import { manifestTable } from "./manifest_print.js";

const Api = {
  plan: (day) => api("/plan", { query: { service_date: day } }),
};

const $ = (id) => document.getElementById(id);
const state = { plan: null };

function render() {
  const plan = state.plan;
  if (!plan) return;
  const routes = (plan.routes || []).filter((r) => (r.stops || []).length);
  $("print-sheets").replaceChildren(
    ...(routes.length
      ? routes.map((r) => el("section", { class: "print-route", dataset: { vehicleId: r.vehicle_id } }, manifestTable(r, plan.service_date)))
      : [el("p", { class: "help" }, t("print.none"))]),
  );
}

async function load(day) {
  document.body.dataset.loaded = "false";
  try {
    state.plan = await Api.plan(day);
    render();
    document.body.dataset.loaded = "true";
  } catch (err) {
    showError(err);
  }
}

$("print-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const day = $("print-date").value;
  if (!day) return;
  const url = new URL(location.href);
  url.searchParams.set("date", day);
  history.replaceState(null, "", url);
  load(day);
});
$("print-btn").addEventListener("click", () => window.print());
onLangChange(() => {
  render();
  describeDates();
});

initPage({
  onReady: async () => {
    const day = document.body.dataset.date || todayIso();
    $("print-date").value = day;
    describeDates();
    await load(day);
  },
});
