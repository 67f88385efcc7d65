/*
 * Floodwatch console: one page, four views (#/ Now, #/alert/ID, #/history,
 * #/inputs), reading the JSON API v1 (schema/openapi.yaml).  No framework.
 *
 * Victims, DNS names and exporter addresses come from the network and may
 * be hostile: every string is put in the page as text (el() makes text
 * nodes; nothing here uses innerHTML), charts are SVG elements built the
 * same way.  The server's CSP allows only this script and its stylesheet.
 */
"use strict";

const POLL_NOW_MS = 2000;      /* Now: active alerts */
const POLL_ALERT_MS = 5000;    /* Alert: new events of an active alert */
const POLL_INPUTS_MS = 3000;   /* Inputs: counters */
const SPARK_MAX = 20;          /* sparklines fetched for at most this many alerts */
const HISTORY_PAGE = 50;
const VECTORS = ["volumetric", "udp_flood", "syn_flood", "ack_flood", "gre_flood", "icmp_flood", "dns_flood",
  "dns_water_torture", "dns_amplification", "ntp_amplification", "memcached_amplification", "ssdp_amplification"];
const SVGNS = "http://www.w3.org/2000/svg";

/* ---- DOM helpers: text only ---- */

/* el("td", {class: "num"}, "12", child...): attributes by setAttribute, strings as text nodes. */
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  setAttrs(e, attrs);
  for (const k of kids.flat()) {
    if (k === null || k === undefined || k === false) continue;
    e.appendChild(typeof k === "object" ? k : document.createTextNode(String(k)));
  }
  return e;
}

function svg(tag, attrs, ...kids) {
  const e = document.createElementNS(SVGNS, tag);
  setAttrs(e, attrs);
  for (const k of kids.flat()) {
    if (k === null || k === undefined) continue;
    e.appendChild(typeof k === "object" ? k : document.createTextNode(String(k)));
  }
  return e;
}

function setAttrs(e, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

/* ---- formatting ---- */

let useLocal = localStorage.getItem("fw.localtime") === "1";

function pad(n, w) { return String(n).padStart(w || 2, "0"); }

function fmtDate(d, local) {
  if (local) {
    const off = -d.getTimezoneOffset();
    const sign = off >= 0 ? "+" : "-";
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
      `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ` +
      `${sign}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  }
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

/* A <time>: UTC (or local) as text, the other one on hover. */
function timeEl(iso) {
  if (!iso) return el("span", { class: "muted" }, "—");
  const d = new Date(iso);
  if (isNaN(d)) return el("span", {}, iso);
  return el("time", { datetime: iso, title: (useLocal ? "UTC " : "local ") + fmtDate(d, !useLocal) },
    fmtDate(d, useLocal));
}

function fmtDuration(ms) {
  if (!(ms >= 0)) return "—";
  let s = Math.round(ms / 1000);
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${pad(m)}m`;
  if (m) return `${m}m ${pad(s)}s`;
  return `${s}s`;
}

function fmtNum(v) {
  if (v === null || v === undefined || isNaN(v)) return "—";
  const a = Math.abs(v);
  if (a >= 1e9) return (v / 1e9).toFixed(2) + " G";
  if (a >= 1e6) return (v / 1e6).toFixed(2) + " M";
  if (a >= 1e4) return (v / 1e3).toFixed(1) + " k";
  if (a >= 100 || Number.isInteger(v)) return String(Math.round(v));
  return v.toFixed(2);
}

function fmtRate(v, unit) { return fmtNum(v) + (fmtNum(v).endsWith(" ") ? "" : " ") + unit; }

function fmtBytes(v) {
  if (!(v >= 0)) return "—";
  const u = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
  return (i ? v.toFixed(1) : String(v)) + " " + u[i];
}

function pct(v) { return v === null || v === undefined ? "—" : (v * 100).toFixed(1) + " %"; }

/* Which rate an alert is about: queries for DNS (zone evidence), packets otherwise. */
function isDns(a) { return (a.evidence && a.evidence.kind === "zone") || a.vector.startsWith("dns_flood") ||
  a.vector === "dns_water_torture"; }
function rateOf(a, e, metric) { return metric === "bps" ? e.bps : isDns(a) ? e.qps : e.pps; }
function unitOf(a, metric) { return metric === "bps" ? "bps" : isDns(a) ? "qps" : "pps"; }
function peakOf(a, metric) { return metric === "bps" ? a.peak_bps : isDns(a) ? a.peak_qps : a.peak_pps; }

function sevEl(s) {
  const names = { 1: "low", 2: "high", 3: "critical" };
  return el("span", { class: "sev sev" + Math.min(Math.max(s, 1), 3), title: "severity " + s },
    `${s} ${names[s] || ""}`.trim());
}

/* ---- API ---- */

const conn = () => document.getElementById("conn");

/* GET a JSON API path.  The origin, not location.href: a page opened as
 * http://user:pass@host/ must not put credentials in fetch() URLs. */
async function api(path) {
  let r;
  try {
    r = await fetch(new URL(path, location.origin), { credentials: "same-origin", cache: "no-store" });
  } catch (e) {
    throw new Error("the daemon does not answer (" + e.message + ")");
  }
  let body = null;
  try { body = await r.json(); } catch (e) { /* not JSON */ }
  if (!r.ok) throw new Error((body && body.error) || ("HTTP " + r.status));
  return body;
}

function setConn(ok, text) {
  const c = conn();
  c.textContent = text;
  c.className = ok ? "" : "bad";
}

function liveOk() { setConn(true, "live · updated " + fmtDate(new Date(), useLocal)); }

/* ---- router ---- */

let view = null;               /* { stop() } of the current view */

function route() {
  const h = location.hash;
  if (h && !h.startsWith("#/")) return;   /* the skip link's #main */
  if (view && view.stop) view.stop();
  view = null;
  const main = clear(document.getElementById("main"));
  const [path, query] = (h.slice(1) || "/").split("?");
  const params = new URLSearchParams(query || "");
  const parts = path.split("/").filter(Boolean);
  for (const id of ["now", "history", "inputs"])
    document.getElementById("nav-" + id).removeAttribute("aria-current");
  if (parts[0] === "alert" && /^[0-9a-f]{16}$/.test(parts[1] || "")) {
    view = alertView(main, parts[1]);
  } else if (parts[0] === "history") {
    document.getElementById("nav-history").setAttribute("aria-current", "page");
    view = historyView(main, params);
  } else if (parts[0] === "inputs") {
    document.getElementById("nav-inputs").setAttribute("aria-current", "page");
    view = inputsView(main);
  } else {
    document.getElementById("nav-now").setAttribute("aria-current", "page");
    view = nowView(main);
  }
}

/* poller(fn, ms): run fn now and every ms after it finishes; stop() ends it. */
function poller(fn, ms) {
  let timer = null, stopped = false;
  const tick = async () => {
    try { await fn(); } catch (e) { setConn(false, "error: " + e.message); }
    if (!stopped) timer = setTimeout(tick, ms);
  };
  tick();
  return { stop() { stopped = true; clearTimeout(timer); } };
}

/* ---- charts (SVG) ---- */

/* A sparkline of values (no axes). */
function sparkline(values, label) {
  const w = 120, h = 28;
  const s = svg("svg", { class: "spark", viewBox: `0 0 ${w} ${h}`, role: "img", "aria-label": label });
  s.appendChild(svg("title", {}, label));
  if (values.length < 2) return s;
  const max = Math.max(...values, 1e-9);
  const pts = values.map((v, i) => `${(i / (values.length - 1) * (w - 2) + 1).toFixed(1)},` +
    `${(h - 2 - v / max * (h - 4)).toFixed(1)}`);
  s.appendChild(svg("polyline", { points: pts.join(" "), fill: "none", stroke: "#7cc4ff", "stroke-width": 1.5 }));
  return s;
}

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/*
 * Time chart: series [{name, cls, color, dash, points: [[ms, value]...], step}], marks
 * [{at: ms, label}].  Returns an <svg> with axes, a title per point and a legend beside it.
 */
function timeChart(series, marks, unit, label) {
  const W = 900, H = 300, L = 70, R = 16, T = 16, B = 40;
  const xs = series.flatMap(s => s.points.map(p => p[0])).concat(marks.map(m => m.at));
  const ys = series.flatMap(s => s.points.map(p => p[1]));
  let x0 = Math.min(...xs), x1 = Math.max(...xs);
  if (!(x1 > x0)) { x0 -= 30000; x1 += 30000; }
  const ymax = niceMax(Math.max(...ys, 0) * 1.1);
  const X = t => L + (t - x0) / (x1 - x0) * (W - L - R);
  const Y = v => T + (1 - v / ymax) * (H - T - B);
  const g = svg("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label });
  g.appendChild(svg("title", {}, label));
  for (let i = 0; i <= 4; i++) {
    const v = ymax * i / 4, y = Y(v);
    g.appendChild(svg("line", { x1: L, x2: W - R, y1: y, y2: y, stroke: "#2a3a4a" }));
    g.appendChild(svg("text", { x: L - 6, y: y + 4, "text-anchor": "end" }, fmtNum(v)));
  }
  g.appendChild(svg("text", { x: 4, y: T + 4 }, unit));
  for (let i = 0; i <= 5; i++) {
    const t = x0 + (x1 - x0) * i / 5, x = X(t);
    const d = new Date(t);
    const txt = useLocal ? `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` :
      d.toISOString().slice(11, 19) + "Z";
    g.appendChild(svg("text", { x, y: H - B + 16, "text-anchor": "middle" }, txt));
  }
  for (const m of marks) {
    const x = X(m.at);
    g.appendChild(svg("line", { x1: x, x2: x, y1: T, y2: H - B, stroke: "#ffb347", "stroke-dasharray": "3 3",
      class: "mark" }));
    const right = x > W / 2;   /* label inside the plot */
    g.appendChild(svg("text", { x: right ? x - 3 : x + 3, y: T + 10, "text-anchor": right ? "end" : "start",
      class: "mark-label" }, m.label));
  }
  for (const s of series) {
    if (!s.points.length) continue;
    let d = "";
    s.points.forEach((p, i) => {
      const x = X(p[0]).toFixed(1), y = Y(p[1]).toFixed(1);
      if (i === 0) d += `M${x},${y}`;
      else d += s.step ? `H${x}V${y}` : `L${x},${y}`;
    });
    g.appendChild(svg("path", { d, fill: "none", stroke: s.color, "stroke-width": s.width || 2,
      "stroke-dasharray": s.dash || null, class: "series " + s.cls }));
    if (s.dots) for (const p of s.points) {
      const c = svg("circle", { cx: X(p[0]), cy: Y(p[1]), r: 3, fill: s.color });
      c.appendChild(svg("title", {}, `${fmtDate(new Date(p[0]), useLocal)}: ${fmtRate(p[1], unit)}`));
      g.appendChild(c);
    }
  }
  const legend = el("div", { class: "legend" },
    series.map(s => el("span", { class: s.cls }, s.name + (s.dash ? " (dashed)" : ""))),
    marks.length ? el("span", { class: "sw1" }, "onset / end (dashed verticals)") : null);
  return el("div", {}, g, legend);
}

/* Per-day stacked bars: days ["2023-11-14"...], counts {day: {vector: n}}. */
function dayChart(days, counts, vectors) {
  const W = 900, H = 220, L = 40, R = 10, T = 10, B = 40;
  const totals = days.map(d => vectors.reduce((s, v) => s + ((counts[d] || {})[v] || 0), 0));
  const ymax = niceMax(Math.max(...totals, 1));
  const bw = (W - L - R) / Math.max(days.length, 1);
  const g = svg("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img",
    "aria-label": "alerts per day (UTC) by vector" });
  g.appendChild(svg("title", {}, "alerts per day (UTC) by vector"));
  for (let i = 0; i <= 4; i++) {
    const v = ymax * i / 4, y = T + (1 - v / ymax) * (H - T - B);
    g.appendChild(svg("line", { x1: L, x2: W - R, y1: y, y2: y, stroke: "#2a3a4a" }));
    g.appendChild(svg("text", { x: L - 6, y: y + 4, "text-anchor": "end" }, fmtNum(v)));
  }
  const every = Math.ceil(days.length / 12);
  days.forEach((d, i) => {
    let y = H - B;
    const x = L + i * bw + bw * 0.1;
    vectors.forEach((v, vi) => {
      const n = (counts[d] || {})[v] || 0;
      if (!n) return;
      const hgt = n / ymax * (H - T - B);
      y -= hgt;
      const r = svg("rect", { x, y, width: bw * 0.8, height: hgt, fill: COLORS[VECTORS.indexOf(v) % COLORS.length],
        class: "daybar" });
      r.appendChild(svg("title", {}, `${d} ${v}: ${n}`));
      g.appendChild(r);
    });
    if (i % every === 0)
      g.appendChild(svg("text", { x: x + bw * 0.4, y: H - B + 14, "text-anchor": "middle" }, d.slice(5)));
  });
  const legend = el("div", { class: "legend" },
    vectors.map(v => el("span", { class: "sw" + (VECTORS.indexOf(v) % COLORS.length) }, v)));
  return el("div", {}, g, legend);
}

const COLORS = ["#7cc4ff", "#ffb347", "#4cc38a", "#ff6b8b", "#c49bff", "#ffe066", "#5fd7d7", "#ff8c1a",
  "#a0a0a0", "#9ad15c", "#e07bd0", "#6b8cff"];

/* ---- Now ---- */

const seen = new Set();        /* alert ids shown before: a new one raises the banner */
let seenPrimed = false;
const sparkCache = new Map();  /* id -> events so far (fetched incrementally by seq) */

async function eventsOf(id, cache) {
  const have = cache.get(id) || [];
  const after = have.length ? have[have.length - 1].seq : 0;
  const page = await api(`/api/v1/alerts/${id}/events?after=${after}&limit=10000`);
  const all = have.concat(page.events);
  cache.set(id, all);
  return all;
}

function showBanner(a) {
  const b = document.getElementById("banner");
  clear(b);
  b.appendChild(el("span", {}, "New alert: ", el("strong", {}, a.vector), " on ",
    el("strong", { class: "victim" }, a.victim), " since ", timeEl(a.started_at), " "));
  b.appendChild(el("a", { href: "#/alert/" + a.id }, "open"));
  b.appendChild(el("button", { type: "button", onclick: () => { b.hidden = true; } }, "dismiss"));
  b.hidden = false;
}

function nowView(main) {
  const title = el("h1", {}, "Active alerts");
  const body = el("div", { id: "now-body" }, el("p", { class: "muted" }, "loading…"));
  main.append(title, body);
  let watching = null;
  return poller(async () => {
    const page = await api("/api/v1/alerts?active=true&limit=200");
    const alerts = page.alerts;
    for (const a of alerts) {
      if (seenPrimed && !seen.has(a.id)) showBanner(a);
      seen.add(a.id);
    }
    seenPrimed = true;
    for (const id of sparkCache.keys()) if (!alerts.some(a => a.id === id)) sparkCache.delete(id);
    const events = await Promise.all(alerts.slice(0, SPARK_MAX).map(a => eventsOf(a.id, sparkCache)));
    if (!alerts.length && !watching) watching = await watchingSummary();
    document.title = alerts.length ? `(${alerts.length}) Floodwatch` : "Floodwatch";
    title.textContent = alerts.length ? `Active alerts (${alerts.length})` : "Active alerts";
    clear(body).appendChild(alerts.length ? nowTable(alerts, events) : emptyState(watching));
    liveOk();
  }, POLL_NOW_MS);
}

function nowTable(alerts, events) {
  const now = Date.now();
  const rows = alerts.map((a, i) => {
    const ev = events[i] || [];
    const last = ev.length ? ev[ev.length - 1] : null;
    const unit = unitOf(a);
    const cur = last ? rateOf(a, last) : null;
    return el("tr", { "data-id": a.id },
      el("td", {}, sevEl(a.severity)),
      el("td", { class: "victim" }, el("a", { href: "#/alert/" + a.id, class: "alert-link" }, a.victim)),
      el("td", {}, a.vector),
      el("td", {}, timeEl(a.started_at)),
      el("td", { class: "num" }, fmtDuration(now - Date.parse(a.started_at))),
      el("td", { class: "num" }, cur === null ? "—" : fmtRate(cur, unit)),
      el("td", { class: "num" }, fmtRate(peakOf(a), unit)),
      el("td", { class: "hide-narrow" }, ev.length ? sparkline(ev.map(e => rateOf(a, e)), `${unit} over time`) : ""));
  });
  return el("div", { class: "scroll" }, el("table", { id: "active" },
    el("caption", { class: "muted" }, "newest first; the victim opens the alert"),
    el("thead", {}, el("tr", {}, ["Severity", "Victim", "Vector", "Started", "Duration", "Current", "Peak", "Trend"]
      .map((h, i) => el("th", { scope: "col", class: (i >= 4 && i <= 6 ? "num" : "") + (i === 7 ? " hide-narrow" : "") }, h)))),
    el("tbody", {}, rows)));
}

async function watchingSummary() {
  const [st, ex] = await Promise.all([api("/api/v1/status"), api("/api/v1/exporters")]);
  return { st, ex };
}

function emptyState(w) {
  const wt = (w && w.st.watching) || {};
  const list = (xs, none) => xs && xs.length ? xs.join(", ") : none;
  const exporters = w ? w.ex.exporters.length + Object.values(w.ex.others).reduce((s, o) =>
    s + (o.exporters || o.agents || 0), 0) : 0;
  return el("div", { class: "empty", id: "empty" },
    el("strong", {}, "No active alerts."), " Floodwatch is watching:",
    el("ul", {},
      el("li", {}, "NetFlow v5/v9 on ", list(wt.netflow, "(off)"), "; IPFIX on ", list(wt.ipfix, "(off)"),
        "; sFlow on ", list(wt.sflow, "(off)")),
      el("li", {}, "DNS sources: ", list(wt.dns, "none")),
      el("li", {}, "Protected networks: ", list(wt.networks, "every destination")),
      el("li", {}, "DNS zones: ", list(wt.zones, "each name's parent and registrable domain")),
      el("li", {}, "Exporters heard from: ", String(exporters), " ", el("a", { href: "#/inputs" }, "(inputs)"))),
    el("p", { class: "muted" }, "This page updates by itself every few seconds."));
}

/* ---- Alert ---- */

function alertView(main, id) {
  const cache = new Map();
  let metric = "rate";
  let alert = null;
  const head = el("div", {}, el("p", { class: "muted" }, "loading…"));
  const chart = el("div", { id: "alert-chart" });
  const rest = el("div", {});
  main.append(head, chart, rest);
  const p = poller(async () => {
    if (alert && alert.ended_at) return;  /* ended: nothing more will come */
    alert = await api("/api/v1/alerts/" + id);
    const events = await eventsOf(id, cache);
    drawHead(alert);
    drawChart(alert, events);
    drawRest(alert, events);
    liveOk();
  }, POLL_ALERT_MS);
  function drawHead(a) {
    const cmd = "floodwatch show " + a.id;
    const copied = el("span", { class: "muted", role: "status" });
    const cmdEl = el("code", { id: "show-cmd" }, cmd);
    const copy = el("button", { type: "button", id: "copy-show", onclick: async () => {
      try { await navigator.clipboard.writeText(cmd); copied.textContent = " copied"; } catch (e) {
        const r = document.createRange(); r.selectNodeContents(cmdEl);
        getSelection().removeAllRanges(); getSelection().addRange(r);
        copied.textContent = " selected: press Ctrl+C";
      } } }, "Copy command");
    clear(head).append(
      el("h1", {}, sevEl(a.severity), " ", a.vector, " on ", el("span", { class: "victim", id: "alert-victim" }, a.victim)),
      el("dl", { class: "facts" },
        fact("Started", timeEl(a.started_at)),
        fact("Ended", a.ended_at ? timeEl(a.ended_at) : el("strong", {}, "active")),
        fact("Duration", fmtDuration((a.ended_at ? Date.parse(a.ended_at) : Date.now()) - Date.parse(a.started_at))),
        fact("End reason", a.end_reason || "—"),
        fact("Peak", fmtRate(peakOf(a), unitOf(a)) + (isDns(a) ? "" : " / " + fmtRate(a.peak_bps, "bps"))),
        fact("Events", String(a.events)),
        fact("Id", a.id)),
      el("p", {}, cmdEl, " ", copy, copied));
  }
  function drawChart(a, events) {
    const m = metric === "bps" && !isDns(a) ? "bps" : "rate";
    const unit = unitOf(a, m);
    const pts = events.map(e => [Date.parse(e.at), rateOf(a, e, m)]);
    const series = [{ name: unit + " (events)", cls: "line-rate", color: "#7cc4ff", points: pts, dots: true }];
    if (m !== "bps") {
      const thr = events.map(e => [Date.parse(e.at), thresholdOf(e.evidence)]).filter(p => p[1] !== null);
      const base = events.map(e => [Date.parse(e.at), baselineOf(e.evidence)]).filter(p => p[1] !== null);
      series.push({ name: "threshold", cls: "line-thr", color: "#ff4d4d", points: thr, dash: "6 4", step: true });
      series.push({ name: "baseline", cls: "line-base", color: "#4cc38a", points: base, dash: "2 3", step: true });
    }
    const marks = [];
    const start = events.find(e => e.event === "start"), end = events.find(e => e.event === "end");
    marks.push({ at: Date.parse(start ? start.at : a.started_at), label: "onset" });
    if (end || a.ended_at) marks.push({ at: Date.parse(end ? end.at : a.ended_at), label: "end" });
    const toggle = isDns(a) ? null : el("p", {}, "Show: ",
      el("button", { type: "button", "aria-pressed": m === "rate" ? "true" : "false",
        onclick: () => { metric = "rate"; drawChart(a, events); } }, "packets/s"), " ",
      el("button", { type: "button", "aria-pressed": m === "bps" ? "true" : "false",
        onclick: () => { metric = "bps"; drawChart(a, events); } }, "bits/s"));
    clear(chart).append(el("h2", {}, "Rate over time"), toggle || "",
      timeChart(series, marks, unit, `${unit} of ${a.vector} on the victim, with threshold and baseline`));
  }
  function drawRest(a, events) {
    clear(rest).append(el("h2", {}, "Evidence at the peak"), evidenceTables(a.evidence),
      el("h2", {}, "Timeline"), eventTable(a, events),
      el("details", {}, el("summary", {}, "Raw event JSON (" + events.length + " events)"),
        el("pre", { class: "raw", id: "raw-json" }, JSON.stringify(events, null, 2))),
      el("details", {}, el("summary", {}, "Raw alert JSON"),
        el("pre", { class: "raw" }, JSON.stringify(a, null, 2))));
  }
  return p;
}

function fact(k, v) { return el("div", {}, el("dt", {}, k), el("dd", {}, v)); }

function thresholdOf(ev) {
  if (!ev) return null;
  const v = ev.threshold_pps !== undefined ? ev.threshold_pps : ev.threshold_qps;
  return typeof v === "number" ? v : null;
}

function baselineOf(ev) {
  if (!ev) return null;
  if (ev.baseline && typeof ev.baseline.pps === "number") return ev.baseline.pps;
  return typeof ev.baseline_qps === "number" ? ev.baseline_qps : null;
}

function eventTable(a, events) {
  const unit = unitOf(a);
  return el("div", { class: "scroll" }, el("table", { id: "events" },
    el("thead", {}, el("tr", {}, ["#", "Event", "At", unit, "bps", "Reason"].map((h, i) =>
      el("th", { scope: "col", class: i === 3 || i === 4 ? "num" : "" }, h)))),
    el("tbody", {}, events.map(e => el("tr", {},
      el("td", {}, String(e.seq)), el("td", {}, e.event), el("td", {}, timeEl(e.at)),
      el("td", { class: "num" }, fmtNum(rateOf(a, e))), el("td", { class: "num" }, fmtNum(e.bps)),
      el("td", {}, e.reason || ""))))));
}

const EVIDENCE_TITLES = {
  top_sources: "Top sources", top_src_ports: "Top source ports", top_dst_ports: "Top destination ports",
  top_destinations: "Top destinations in the prefix", protocol_shares: "Protocol shares",
  reflector_port_shares: "Reflector port shares", entropy: "Entropy (observed vs baseline)",
  sample_names: "Sample query names", top_clients: "Top clients", secondary_vectors: "Secondary vectors",
  observed: "Observed", baseline: "Baseline",
};

/* The evidence object as tables: figures, then each list or map under its own heading. */
function evidenceTables(ev) {
  const out = el("div", { class: "grid", id: "evidence" });
  if (!ev || typeof ev !== "object") return out;
  const scalars = [];
  for (const [k, v] of Object.entries(ev)) {
    if (v === null || typeof v !== "object") { scalars.push([k, v]); continue; }
    const title = EVIDENCE_TITLES[k] || k;
    let table;
    if (Array.isArray(v)) {
      if (!v.length) continue;
      if (typeof v[0] === "object") {
        const cols = Object.keys(v[0]);
        table = simpleTable(cols, v.map(r => cols.map(c => cellOf(c, r[c]))));
      } else {
        table = simpleTable([k === "sample_names" ? "name" : "value"], v.map(x => [String(x)]));
      }
    } else {
      const vals = Object.values(v);
      if (!vals.length) continue;
      if (vals.every(x => x && typeof x === "object")) {
        const cols = Object.keys(vals[0]);
        table = simpleTable(["field"].concat(cols), Object.entries(v).map(([f, o]) => [f].concat(cols.map(c => cellOf(c, o[c])))));
      } else {
        table = simpleTable(["", "value"], Object.entries(v).map(([f, x]) => [f, cellOf(k, x)]));
      }
    }
    out.appendChild(el("section", { class: "card evidence", "data-key": k }, el("h2", {}, title), table));
  }
  if (scalars.length)
    out.insertBefore(el("section", { class: "card evidence", "data-key": "figures" }, el("h2", {}, "Figures"),
      simpleTable(["", "value"], scalars.map(([k, v]) => [k, cellOf(k, v)]))), out.firstChild);
  return out;
}

function cellOf(key, v) {
  if (v === null || v === undefined) return "—";
  if (typeof v === "number" && (key === "share" || key.endsWith("_shares") || key.endsWith("_share") ||
      key === "failure_ratio")) return pct(v);
  if (typeof v === "number") return fmtNum(v);
  return String(v);
}

function simpleTable(cols, rows) {
  return el("div", { class: "scroll" }, el("table", {},
    el("thead", {}, el("tr", {}, cols.map(c => el("th", { scope: "col" }, c)))),
    el("tbody", {}, rows.map(r => el("tr", {}, r.map(c => el("td", {}, c)))))));
}

/* ---- History ---- */

function historyView(main, params) {
  const f = {
    since: params.get("since") || "7d", until: params.get("until") || "", vector: params.get("vector") || "",
    victim: params.get("victim") || "", severity: params.get("severity") || "",
  };
  const input = (name, label, attrs) => el("label", {}, label,
    el("input", Object.assign({ name, id: "f-" + name, value: f[name] }, attrs)));
  const form = el("form", { class: "filters", id: "filters", role: "search", onsubmit: ev => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const k of Object.keys(f)) {
      const v = form.elements[k].value.trim();
      if (v) q.set(k, v);
    }
    location.hash = "#/history?" + q.toString();
  } },
  input("since", "From (7d, 2h, or UTC 2024-05-01T00:00:00Z)", { size: 22 }),
  input("until", "To (empty: now)", { size: 22 }),
  el("label", {}, "Vector", el("select", { name: "vector", id: "f-vector" },
    el("option", { value: "" }, "any"), VECTORS.map(v => el("option", { value: v, selected: v === f.vector }, v)))),
  input("victim", "Victim (exact)", { size: 20, placeholder: "198.51.100.7 or example.com" }),
  el("label", {}, "Severity", el("select", { name: "severity", id: "f-severity" },
    el("option", { value: "" }, "any"), [1, 2, 3].map(s => el("option", { value: s, selected: String(s) === f.severity },
      "≥ " + s)))),
  el("button", { type: "submit" }, "Apply"));
  const chart = el("div", { id: "history-chart" });
  const list = el("div", { id: "history-list" }, el("p", { class: "muted" }, "loading…"));
  main.append(el("h1", {}, "History"), form, el("h2", {}, "Alerts per day (UTC), by vector"), chart,
    el("h2", {}, "Alerts"), list);

  const base = new URLSearchParams();
  for (const k of ["since", "until", "vector", "victim"]) if (f[k]) base.set(k, f[k]);
  const minSev = Number(f.severity) || 0;
  const cursors = [null];      /* cursors[i]: the cursor that gives page i */
  let pageNo = 0;

  /* One page of matches; severity is filtered here (the API has no such filter), so a page
   * may read several of the API's and end inside one: its cursor is then that row's. */
  async function fetchPage(cursor) {
    const rows = [];
    let cur = cursor;
    for (let guard = 0; guard < 20; guard++) {
      const q = new URLSearchParams(base);
      q.set("limit", String(HISTORY_PAGE));
      if (cur) q.set("cursor", cur);
      const p = await api("/api/v1/alerts?" + q.toString());
      for (const a of p.alerts) {
        if (a.severity < minSev) continue;
        if (rows.length === HISTORY_PAGE) return { rows, next: cursorOf(rows[rows.length - 1]) };
        rows.push(a);
      }
      if (p.next_cursor === null) return { rows, next: null };
      cur = p.next_cursor;
    }
    return { rows, next: cur };
  }
  async function showPage() {
    const p = await fetchPage(cursors[pageNo]);
    cursors[pageNo + 1] = p.next;
    clear(list).append(p.rows.length ? historyTable(p.rows) :
      el("p", { class: "empty", id: "history-empty" }, "No alert matches these filters."),
      el("div", { class: "pager" },
        el("button", { type: "button", id: "prev", disabled: pageNo === 0,
          onclick: () => { pageNo--; showPage().catch(showErr); } }, "◀ Newer"),
        el("span", { class: "muted" }, "page " + (pageNo + 1)),
        el("button", { type: "button", id: "next", disabled: !p.next,
          onclick: () => { pageNo++; showPage().then(() => document.getElementById("history-list").focus())
            .catch(showErr); } }, "Older ▶")));
    liveOk();
  }
  async function showChart() {
    const counts = {};
    let cur = null, n = 0;
    do {               /* at most 5000 alerts for the chart */
      const q = new URLSearchParams(base);
      q.set("limit", "1000");
      if (cur) q.set("cursor", cur);
      const p = await api("/api/v1/alerts?" + q.toString());
      for (const a of p.alerts) {
        if (a.severity < minSev) continue;
        const d = a.started_at.slice(0, 10);
        counts[d] = counts[d] || {};
        counts[d][a.vector] = (counts[d][a.vector] || 0) + 1;
        n++;
      }
      cur = p.next_cursor;
    } while (cur && n < 5000);
    const keys = Object.keys(counts).sort();
    if (!keys.length) { clear(chart).appendChild(el("p", { class: "muted" }, "No alerts in this range.")); return; }
    const days = [];
    for (let t = Date.parse(keys[0] + "T00:00:00Z"); t <= Date.parse(keys[keys.length - 1] + "T00:00:00Z") &&
      days.length < 400; t += 86400000) days.push(new Date(t).toISOString().slice(0, 10));
    const vectors = VECTORS.filter(v => keys.some(d => counts[d][v]));
    clear(chart).appendChild(dayChart(days, counts, vectors));
  }
  function showErr(e) { clear(list).appendChild(el("p", { class: "err", role: "alert" }, e.message)); setConn(false, "error: " + e.message); }
  list.setAttribute("tabindex", "-1");
  showPage().catch(showErr);
  showChart().catch(showErr);
  return { stop() {} };
}

/* The API's cursor for a row, as fw_aq_cursor_format() makes it: "<started_at>_<id>". */
function cursorOf(a) { return a.started_at + "_" + a.id; }

function historyTable(rows) {
  return el("div", { class: "scroll" }, el("table", { id: "history" },
    el("thead", {}, el("tr", {}, ["Severity", "Victim", "Vector", "Started", "Duration", "Peak", "End"].map(h =>
      el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows.map(a => el("tr", { "data-id": a.id },
      el("td", {}, sevEl(a.severity)),
      el("td", { class: "victim" }, el("a", { href: "#/alert/" + a.id }, a.victim)),
      el("td", {}, a.vector), el("td", {}, timeEl(a.started_at)),
      el("td", { class: "num" }, fmtDuration((a.ended_at ? Date.parse(a.ended_at) : Date.now()) - Date.parse(a.started_at))),
      el("td", { class: "num" }, fmtRate(peakOf(a), unitOf(a))),
      el("td", {}, a.ended_at ? a.end_reason || "ended" : el("strong", {}, "active")))))));
}

/* ---- Inputs ---- */

function inputsView(main) {
  const body = el("div", { id: "inputs-body" }, el("p", { class: "muted" }, "loading…"));
  main.append(el("h1", {}, "Inputs"), body);
  let prev = null;             /* previous counters: {at, map} for rates */
  return poller(async () => {
    const [st, ex, ct] = await Promise.all([api("/api/v1/status"), api("/api/v1/exporters"), api("/api/v1/counters")]);
    const map = new Map(ct.counters.map(r => [r.source + "\u0000" + r.name, r.value]));
    const at = ct.at ? Date.parse(ct.at) : Date.now();
    const rate = (src, name) => {
      const k = src + "\u0000" + name;
      if (!prev || !prev.map.has(k) || !map.has(k) || at <= prev.at) return null;
      return Math.max(0, (map.get(k) - prev.map.get(k)) / ((at - prev.at) / 1000));
    };
    const val = (src, name) => map.has(src + "\u0000" + name) ? map.get(src + "\u0000" + name) : null;
    clear(body).append(statusCards(st, val, rate), exporterTable(ex, rate), sourcesTable(ct, rate));
    if (!prev || at > prev.at) prev = { at, map };
    liveOk();
  }, POLL_INPUTS_MS);
}

function meter(v, max, label) {
  return el("meter", { min: 0, max: max || 1, value: Math.min(v, max || 1), high: (max || 1) * 0.8, "aria-label": label });
}

function statusCards(st, val, rate) {
  const w = st.watching || {};
  const mem = st.memory, rings = st.rings;
  return el("div", { class: "grid" },
    el("section", { class: "card" }, el("h2", {}, "Daemon"), el("dl", { class: "facts" },
      fact("Version", st.version), fact("Up since", timeEl(st.started_at)), fact("Uptime", fmtDuration(st.uptime_s * 1000)),
      fact("Ready", st.ready ? "yes" : "no"), fact("Newest record", timeEl(st.watermark.newest_event_at)),
      fact("Lag", st.watermark.lag_s === null ? "—" : st.watermark.lag_s + " s"),
      fact("Victims tracked", String(st.detector.victims)),
      fact("Alerts started / ended", `${st.detector.alerts_started} / ${st.detector.alerts_ended}`))),
    el("section", { class: "card", id: "rings" }, el("h2", {}, "Rings and memory"), el("dl", { class: "facts" },
      fact("Ring fill", el("span", {}, meter(rings.fill, 1, "ring fill"), " ", pct(rings.fill),
        ` (${rings.queued_records} of ${rings.capacity_records} records)`)),
      fact("Ring drops", fmtNum(val("pipeline", "ring_drops")) + (rate("pipeline", "ring_drops") ? ` (${fmtNum(rate("pipeline", "ring_drops"))}/s)` : "")),
      fact("Detector tables", el("span", {}, meter(mem.detector_tables_bytes, mem.budget_bytes, "detector tables of the budget"),
        " ", fmtBytes(mem.detector_tables_bytes), " of ", fmtBytes(mem.budget_bytes), " budget")),
      fact("Resident memory", fmtBytes(mem.resident_bytes)))),
    el("section", { class: "card" }, el("h2", {}, "Listening"), el("dl", { class: "facts" },
      fact("NetFlow", (w.netflow || []).join(", ") || "off"), fact("IPFIX", (w.ipfix || []).join(", ") || "off"),
      fact("sFlow", (w.sflow || []).join(", ") || "off"), fact("DNS", (w.dns || []).join(", ") || "off"),
      fact("Networks", (w.networks || []).join(", ") || "every destination"),
      fact("Zones", (w.zones || []).join(", ") || "automatic"))));
}

function exporterTable(ex, rate) {
  const rows = ex.exporters.map(e => {
    const id = e.domain !== undefined ? "domain " + e.domain : e.sub_agent !== undefined ? "sub-agent " + e.sub_agent : "";
    const recs = e.counters.records !== undefined ? e.counters.records : e.counters.flow_samples !== undefined ?
      e.counters.flow_samples : e.screening ? e.screening.records : null;
    /* Records/s from the per address and format screening row (every format has one). */
    const rps = rate("flow " + e.address, (e.format === "sflow" ? "sflow5" : e.format) + "_records");
    const drops = Object.entries(e.errors || {}).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`)
      .concat(e.screening ? [["implausible", e.screening.implausible], ["zero_dst", e.screening.zero_dst]]
        .filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`) : []);
    return el("tr", {},
      el("td", {}, e.format), el("td", { class: "victim" }, e.address), el("td", {}, id),
      el("td", { class: "num" }, fmtNum(recs)), el("td", { class: "num" }, rps === null ? "—" : fmtNum(rps)),
      el("td", {}, drops.length ? drops.join(", ") : "none"),
      el("td", { class: "num" }, e.templates === undefined ? "—" : String(e.templates)),
      el("td", {}, e.sampling ? e.sampling.map(s => `#${s.sampler_id} 1:${s.rate}`).join(", ") : "—"),
      el("td", {}, e.record_durations ? `${e.record_durations.p50_ms} / ${e.record_durations.p99_ms} ms` : "—"),
      el("td", {}, timeEl(e.last_seen)));
  });
  const others = Object.entries(ex.others).map(([k, o]) => `${k}: ${o.exporters || o.agents || o.interfaces || 0} more`);
  return el("section", {}, el("h2", {}, "Exporters"),
    rows.length ? el("div", { class: "scroll" }, el("table", { id: "exporters" },
      el("thead", {}, el("tr", {}, ["Format", "Exporter", "Domain", "Records", "Records/s (address)", "Drops by kind", "Templates",
        "Sampling", "Duration p50 / p99", "Last seen"].map(h => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows))) : el("p", { class: "empty", id: "no-exporters" }, "No exporter heard from yet."),
    others.length ? el("p", { class: "muted" }, "Summed beyond the listed ones: " + others.join("; ")) : null);
}

/* Per-source counters: listener, decoders, DNS sources, detector, sinks. */
function sourcesTable(ct, rate) {
  const bySrc = new Map();
  for (const r of ct.counters) {
    if (r.source.includes(" ")) continue;     /* per exporter: the table above */
    if (!bySrc.has(r.source)) bySrc.set(r.source, []);
    bySrc.get(r.source).push(r);
  }
  const dns = ["querylog", "dnstap", "nflog", "dns"];
  const order = [...bySrc.keys()].sort((a, b) => (dns.includes(b) - dns.includes(a)) || a.localeCompare(b));
  return el("section", {}, el("h2", {}, "Sources and stages (DNS first)"), el("div", { class: "scroll" },
    el("table", { id: "sources" },
      el("thead", {}, el("tr", {}, ["Source", "Counters (per second since the last look)"].map(h => el("th", { scope: "col" }, h)))),
      el("tbody", {}, order.map(s => el("tr", {}, el("th", { scope: "row" }, s + (dns.includes(s) ? " (DNS)" : "")),
        el("td", {}, bySrc.get(s).filter(r => r.value > 0 || !r.name.startsWith("drop")).map(r => {
          const rt = rate(s, r.name);
          return `${r.name} ${fmtNum(r.value)}` + (rt ? ` (${fmtNum(rt)}/s)` : "");
        }).join(" · "))))))));
}

/* ---- start ---- */

function start() {
  const lt = document.getElementById("localtime");
  lt.checked = useLocal;
  lt.addEventListener("change", () => {
    useLocal = lt.checked;
    localStorage.setItem("fw.localtime", useLocal ? "1" : "0");
    route();
  });
  document.addEventListener("keydown", ev => {
    const t = ev.target.tagName;
    if (ev.altKey || ev.ctrlKey || ev.metaKey || t === "INPUT" || t === "SELECT" || t === "TEXTAREA") return;
    const to = { "1": "#/", "2": "#/history", "3": "#/inputs" }[ev.key];
    if (to) { location.hash = to; ev.preventDefault(); }
  });
  window.addEventListener("hashchange", () => { route(); document.getElementById("main").focus(); });
  route();
}

document.addEventListener("DOMContentLoaded", start);
