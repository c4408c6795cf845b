// Helpers shared by the room (room.js) and the facilitator panel (staff-panel.js).
// User text only ever enters the page through textContent and text nodes (links through
// createElement("a")), never as HTML.
import { formatLocal, viewerZone } from "./local-time.js";

/** An inline SVG icon drawn from one path (24×24 box), hidden from screen readers. */
export function icon(path) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "icon");
  const shape = document.createElementNS(ns, "path");
  shape.setAttribute("d", path);
  svg.append(shape);
  return svg;
}

export function make(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function button(text, className, action) {
  const b = make("button", className, text);
  b.type = "button";
  if (action) b.dataset.action = action;
  return b;
}

export function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // crypto.randomUUID needs a secure context; build the same version 4 UUID by hand.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// "7:32", "1 h 5 min", "2 d 3 h": a countdown that stays short.
export function duration(ms) {
  const total = Math.max(0, Math.round(ms / 1000));
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (days) return `${days} d ${hours} h`;
  if (hours) return `${hours} h ${minutes} min`;
  return `${minutes}:${String(seconds).padStart(2, "0")}`;
}

// The first `limit` characters (code points, so no emoji is cut in half), with "…" if cut.
export function excerpt(text, limit) {
  const chars = [...text];
  return chars.length > limit ? `${chars.slice(0, limit).join("").trimEnd()}…` : text;
}

let clockFormat;
try {
  clockFormat = new Intl.DateTimeFormat("en-GB", {
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: viewerZone(),
  });
} catch {
  clockFormat = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
}

// A <time> showing "20:03" in the reader's zone, with the full date as its tooltip.
export function setTime(node, iso) {
  const date = new Date(iso);
  node.dateTime = iso;
  node.title = formatLocal(date);
  const text = clockFormat.format(date);
  if (node.textContent !== text) node.textContent = text;
}

// ---- links ------------------------------------------------------------------------------

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"]+/gi;

// Drop sentence punctuation after a link, but keep a ")" that closes a "(" inside it.
function trimLink(raw) {
  let url = raw;
  const unbalanced = (open, close) =>
    url.endsWith(close) && url.split(open).length < url.split(close).length;
  while (/[.,;:!?'*]$/.test(url) || unbalanced("(", ")") || unbalanced("[", "]")) {
    url = url.slice(0, -1);
  }
  return url;
}

function isWebLink(text) {
  try {
    const url = new URL(text);
    return (url.protocol === "http:" || url.protocol === "https:") && Boolean(url.hostname);
  } catch {
    return false;
  }
}

// Append `body` to `target` as text, with http(s) links as <a> elements.
export function renderBody(target, body) {
  let at = 0;
  for (const match of body.matchAll(URL_PATTERN)) {
    const url = trimLink(match[0]);
    if (!isWebLink(url)) continue;
    target.append(body.slice(at, match.index));
    const a = document.createElement("a");
    a.setAttribute("href", url);
    a.rel = "noopener noreferrer nofollow ugc";
    a.target = "_blank";
    a.textContent = url;
    target.append(a);
    at = match.index + url.length;
  }
  target.append(body.slice(at));
}
