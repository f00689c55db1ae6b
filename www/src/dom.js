// Tiny DOM helpers: the page needs no framework.

/** Creates an element with attributes (booleans set or omit the attribute) and children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v == null) continue;
    if (k === "hidden" || k === "disabled" || k === "muted" || k === "controls" || k === "loop" || k === "playsinline") {
      el[k === "playsinline" ? "playsInline" : k] = true;
      if (k !== "muted") el.setAttribute(k, "");
    } else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** 1234 ms → "1.23 s"; above a minute "1 min 5 s". */
export function fmtSec(ms) {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${s.toFixed(2)} s`;
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

const nf = new Intl.NumberFormat("en-US");
export const fmtInt = (n) => nf.format(Math.round(n));
