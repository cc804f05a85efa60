// The operator page's call list (前日連絡): tomorrow's bookings to ring about, what
// changed since booking, and the day before's reminders. Its own script and partial
// (_call_list.html), started once the page has signed in.
import { api, el, flash, fmtTime, onLangChange, showError, t, todayIso } from "./common.js";

const $ = (id) => document.getElementById(id);
const serviceNow = document.body.dataset.serviceNow;
let entries = [];

function tomorrow() {
  const now = serviceNow ? new Date(serviceNow) : new Date();
  return todayIso(new Date(now.getTime() + 86400000));
}

function span(w) {
  return w ? `${fmtTime(w.start)}〜${fmtTime(w.end)}` : "—";
}

function entryItem(e) {
  const badges = [];
  if (e.needs_call) badges.push(el("span", { class: "cl-badge cl-call" }, t("cl.call")));
  if (e.changes.length) badges.push(el("span", { class: "cl-badge cl-changed" }, t("cl.changed")));
  const changed = e.first_promise && e.promise && e.first_promise.start !== e.promise.start;
  return el(
    "li",
    { dataset: { bookingId: e.booking_id } },
    el("div", {}, ...badges, el("strong", {}, span(e.promise)), ` ${e.rider_name}（${e.kana}）`),
    el("div", {}, `☎ ${e.phone || "—"}　${t(`cl.channel.${e.channel}`)}　${e.pickup_name} → ${e.dropoff_name}　${e.booking_id}`),
    changed ? el("div", { class: "help" }, t("cl.first", { window: span(e.first_promise) })) : null,
    ...e.changes.map((c) => el("div", { class: "help" }, `${fmtTime(c.at)} ${c.message_ja} / ${c.message_en}`)),
    e.reminder ? el("div", { class: "help" }, t("cl.reminder", { status: t(`cl.status.${e.reminder}`) })) : null,
  );
}

function render() {
  const list = $("cl-list");
  list.replaceChildren(...(entries.length ? entries.map(entryItem) : [el("li", {}, t("cl.none"))]));
}

async function load() {
  try {
    const out = await api("/call-list", { query: { service_date: $("cl-date").value } });
    entries = out.entries;
    render();
  } catch (err) {
    showError(err);
  }
}

async function remind() {
  try {
    const out = await api("/outbox/reminders", { method: "POST", query: { service_date: $("cl-date").value } });
    flash(t("cl.reminded", { n: out.queued }));
    await load();
  } catch (err) {
    showError(err);
  }
}

document.addEventListener("noriai:signed-in", (ev) => {
  const panel = $("call-list");
  if (!panel) return;
  if (!["operator", "dispatcher"].includes(ev.detail?.role)) {
    panel.hidden = true;
    return;
  }
  $("cl-date").value = tomorrow();
  $("cl-load").addEventListener("click", load);
  $("cl-date").addEventListener("change", load);
  $("cl-remind").addEventListener("click", remind);
  onLangChange(render);
  load();
});
