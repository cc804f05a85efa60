// The town map: roads from GET /api/v1/map drawn on a <canvas>, routes, stops and
// vehicles drawn on an SVG overlay (DOM elements with data attributes, so they are
// accessible, clickable and testable). Pan: drag, arrow keys. Zoom: wheel, pinch, + − 0.

import { api } from "./common.js";

const SVG_NS = "http://www.w3.org/2000/svg";

const ROAD_STYLE = {
  motorway: ["#c9a227", 3.2],
  trunk: ["#c9a227", 3.0],
  primary: ["#d9a441", 2.6],
  secondary: ["#c8b27a", 2.0],
  tertiary: ["#b9b9b9", 1.6],
  unclassified: ["#cfcfcf", 1.0],
  residential: ["#d6d6d6", 0.9],
  living_street: ["#dedede", 0.8],
  road: ["#dedede", 0.8],
  service: ["#e4e4e4", 0.6],
};

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  return node;
}

export class TownMap {
  /**
   * @param {HTMLElement} root  the #map container (holds the canvas and the svg)
   * @param {object} opts  `onStop(stop, vehicle)` when a stop marker is activated
   */
  constructor(root, { onStop } = {}) {
    this.root = root;
    this.canvas = root.querySelector("canvas");
    this.overlay = root.querySelector("svg");
    this.status = root.querySelector(".map-status");
    this.onStop = onStop;
    this.layers = [];
    this.bbox = null;
    this.vehicles = [];
    this.view = { scale: 1, x: 0, y: 0 }; // screen = (world - origin) * scale + offset
    this.pointers = new Map();
    this._bind();
    new ResizeObserver(() => this._resize()).observe(root);
  }

  async load() {
    const data = await api("/map", { query: { tolerance_m: 3 } });
    this.bbox = data.bbox;
    const [minLon, minLat, maxLon, maxLat] = data.bbox;
    this.lon0 = (minLon + maxLon) / 2;
    this.lat0 = (minLat + maxLat) / 2;
    this.kx = Math.cos((this.lat0 * Math.PI) / 180);
    // Project once: world units are degrees of latitude, x scaled by cos(lat0), y up.
    this.layers = data.layers.map((layer) => ({
      cls: layer.class,
      lines: layer.lines.map((line) => Float64Array.from(line.flatMap(([lon, lat]) => this.project(lon, lat)))),
    }));
    this.root.dataset.roads = String(data.n_roads);
    this.root.dataset.bbox = data.bbox.join(",");
    this.fit();
    this.root.dataset.ready = "true";
    return data;
  }

  project(lon, lat) {
    return [(lon - this.lon0) * this.kx, lat - this.lat0];
  }

  toScreen(wx, wy) {
    return [wx * this.view.scale + this.view.x, -wy * this.view.scale + this.view.y];
  }

  lonLatToScreen(lon, lat) {
    const [wx, wy] = this.project(lon, lat);
    return this.toScreen(wx, wy);
  }

  fit() {
    if (!this.bbox) return;
    const [minLon, minLat, maxLon, maxLat] = this.bbox;
    const [x0, y0] = this.project(minLon, minLat);
    const [x1, y1] = this.project(maxLon, maxLat);
    const w = this.root.clientWidth || 600;
    const h = this.root.clientHeight || 400;
    const scale = 0.95 * Math.min(w / (x1 - x0), h / (y1 - y0));
    this.view = { scale, x: w / 2 - ((x0 + x1) / 2) * scale, y: h / 2 + ((y0 + y1) / 2) * scale };
    this.draw();
  }

  zoom(factor, cx = this.root.clientWidth / 2, cy = this.root.clientHeight / 2) {
    const v = this.view;
    const next = Math.min(Math.max(v.scale * factor, this._fitScale() * 0.5), this._fitScale() * 64);
    const f = next / v.scale;
    this.view = { scale: next, x: cx - (cx - v.x) * f, y: cy - (cy - v.y) * f };
    this.draw();
  }

  pan(dx, dy) {
    this.view = { ...this.view, x: this.view.x + dx, y: this.view.y + dy };
    this.draw();
  }

  _fitScale() {
    if (!this.bbox) return 1;
    const [minLon, minLat, maxLon, maxLat] = this.bbox;
    const w = this.root.clientWidth || 600;
    const h = this.root.clientHeight || 400;
    return Math.min(w / ((maxLon - minLon) * this.kx), h / (maxLat - minLat));
  }

  /**
   * Routes to draw: `[{id, color, label, path: [[lon,lat],...], position: [lon,lat]|null,
   *   stops: [{key, lon, lat, kind, bookingId, label, state}]}]`.
   */
  setVehicles(vehicles) {
    this.vehicles = vehicles;
    this.drawOverlay();
  }

  _resize() {
    const dpr = window.devicePixelRatio || 1;
    const w = this.root.clientWidth;
    const h = this.root.clientHeight;
    if (!w || !h) return;
    const first = !this.canvas.width;
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(h * dpr);
    this.canvas.style.width = `${w}px`;
    this.canvas.style.height = `${h}px`;
    this.overlay.setAttribute("viewBox", `0 0 ${w} ${h}`);
    if (first && this.bbox) this.fit();
    else this.draw();
  }

  draw() {
    this.drawRoads();
    this.drawOverlay();
  }

  drawRoads() {
    const ctx = this.canvas.getContext("2d");
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#f6f4ef";
    ctx.fillRect(0, 0, this.canvas.width / dpr, this.canvas.height / dpr);
    const { scale, x, y } = this.view;
    const zoomBoost = Math.max(1, Math.log2(scale / (this._fitScale() || 1)) * 0.6 + 1);
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    for (const layer of this.layers) {
      const [colour, width] = ROAD_STYLE[layer.cls] || ROAD_STYLE.road;
      ctx.strokeStyle = colour;
      ctx.lineWidth = width * zoomBoost;
      ctx.beginPath();
      for (const pts of layer.lines) {
        ctx.moveTo(pts[0] * scale + x, -pts[1] * scale + y);
        for (let i = 2; i < pts.length; i += 2) ctx.lineTo(pts[i] * scale + x, -pts[i + 1] * scale + y);
      }
      ctx.stroke();
    }
  }

  drawOverlay() {
    const g = svg("g", { class: "overlay-root" });
    for (const v of this.vehicles) {
      const group = svg("g", { class: "route", "data-vehicle-id": v.id });
      if (v.path && v.path.length > 1) {
        const points = v.path.map(([lon, lat]) => this.lonLatToScreen(lon, lat).map((n) => n.toFixed(1)).join(",")).join(" ");
        group.append(svg("polyline", { points, stroke: v.color, class: "route-line" }));
      }
      for (const s of v.stops || []) {
        if (s.lon === undefined || s.lon === null) continue;
        const [sx, sy] = this.lonLatToScreen(s.lon, s.lat);
        const dropoff = String(s.kind).endsWith("dropoff");
        const marker = svg(dropoff ? "rect" : "circle", {
          class: `stop stop-${s.kind} ${s.state ? `stop-${s.state}` : ""}`,
          fill: dropoff ? "#fff" : v.color,
          stroke: v.color,
          "data-stop-key": s.key,
          "data-booking-id": s.bookingId || "",
          "data-vehicle-id": v.id,
          "data-kind": s.kind,
          "data-state": s.state || "",
          tabindex: "-1",
          ...(dropoff ? { x: sx - 5, y: sy - 5, width: 10, height: 10 } : { cx: sx, cy: sy, r: 6 }),
        });
        const title = svg("title");
        title.textContent = s.label || "";
        marker.append(title);
        marker.addEventListener("click", () => this.onStop?.(s, v));
        group.append(marker);
      }
      if (v.position) {
        const [px, py] = this.lonLatToScreen(v.position[0], v.position[1]);
        const pos = svg("g", { class: "vehicle", "data-vehicle-id": v.id, transform: `translate(${px.toFixed(1)},${py.toFixed(1)})` });
        pos.append(svg("circle", { r: 10, fill: v.color, stroke: "#fff", "stroke-width": 3 }));
        const title = svg("title");
        title.textContent = v.label || v.id;
        pos.append(title);
        group.append(pos);
      }
      g.append(group);
    }
    this.overlay.replaceChildren(g);
  }

  _bind() {
    const root = this.root;
    root.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      const r = root.getBoundingClientRect();
      this.zoom(ev.deltaY < 0 ? 1.25 : 0.8, ev.clientX - r.left, ev.clientY - r.top);
    }, { passive: false });
    root.addEventListener("pointerdown", (ev) => {
      if (ev.target.closest("button, .stop")) return;
      root.setPointerCapture(ev.pointerId);
      this.pointers.set(ev.pointerId, [ev.clientX, ev.clientY]);
    });
    root.addEventListener("pointermove", (ev) => {
      if (!this.pointers.has(ev.pointerId)) return;
      const [px, py] = this.pointers.get(ev.pointerId);
      if (this.pointers.size === 1) {
        this.pan(ev.clientX - px, ev.clientY - py);
      } else if (this.pointers.size === 2) {
        const [other] = [...this.pointers.entries()].filter(([id]) => id !== ev.pointerId).map(([, p]) => p);
        const before = Math.hypot(px - other[0], py - other[1]);
        const after = Math.hypot(ev.clientX - other[0], ev.clientY - other[1]);
        const r = root.getBoundingClientRect();
        if (before > 0) this.zoom(after / before, (ev.clientX + other[0]) / 2 - r.left, (ev.clientY + other[1]) / 2 - r.top);
      }
      this.pointers.set(ev.pointerId, [ev.clientX, ev.clientY]);
    });
    const end = (ev) => this.pointers.delete(ev.pointerId);
    root.addEventListener("pointerup", end);
    root.addEventListener("pointercancel", end);
    root.addEventListener("keydown", (ev) => {
      if (ev.target !== root) return;
      const step = 60;
      const keys = {
        ArrowLeft: () => this.pan(step, 0),
        ArrowRight: () => this.pan(-step, 0),
        ArrowUp: () => this.pan(0, step),
        ArrowDown: () => this.pan(0, -step),
        "+": () => this.zoom(1.25),
        "=": () => this.zoom(1.25),
        "-": () => this.zoom(0.8),
        0: () => this.fit(),
      };
      const fn = keys[ev.key];
      if (fn) {
        ev.preventDefault();
        fn();
      }
    });
    root.querySelector("#zoom-in")?.addEventListener("click", () => this.zoom(1.25));
    root.querySelector("#zoom-out")?.addEventListener("click", () => this.zoom(0.8));
    root.querySelector("#zoom-fit")?.addEventListener("click", () => this.fit());
  }
}
