// A session's room: live state and countdown, who is here, the current question, and the
// chat, over Socket.IO; staff also get the facilitator panel (staff-panel.js).
// The contract is docs/protocol.md. User text only ever enters the page through
// textContent and text nodes (links through createElement("a")), never as HTML.
import { formatLocal } from "./local-time.js";
import { createCatchUp } from "./catch-up.js";
import { button, duration, icon, make, newClientId, renderBody, setTime } from "./common.js";
import { createGuard } from "./confidentiality.js";
import { createIntroductions } from "./introductions.js";
import { createMentionSuggestions, markMention, mentions } from "./mentions.js";
import { createModeration } from "./moderation-actions.js";
import { createQuestions } from "./questions.js";
import { createResources } from "./resources.js";
import { createReports } from "./reports.js";
import { createRoomAlerts } from "./room-alerts.js";
import { createStaffPanel } from "./staff-panel.js";

const MAX_BODY = 2000;
const ACK_TIMEOUT_MS = 10000;
const NEAR_LIMIT = 1800;
const EXCERPT = 140;
// Icons as SVG paths (Feather icons, MIT licence) so they show without an emoji font.
const ICONS = {
  heart: "M20.84 4.61a5.5 5.5 0 0 0-7.78 0L12 5.67l-1.06-1.06a5.5 5.5 0 0 0-7.78 7.78l1.06 1.06L12 21.23l7.78-7.78 1.06-1.06a5.5 5.5 0 0 0 0-7.78z",
  thumbs_up: "M14 9V5a3 3 0 0 0-3-3l-4 9v11h11.28a2 2 0 0 0 2-1.7l1.38-9a2 2 0 0 0-2-2.3zM7 22H4a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2h3",
};
const REACTIONS = [
  { kind: "heart", name: "Heart" },
  { kind: "thumbs_up", name: "Thumbs up" },
  { kind: "same_here", name: "Same here" },
];
const BADGES = { facilitator: "Facilitator", organiser: "Organiser" };
// Errors worth retrying on their own; anything else waits for the writer to decide.
const TRANSIENT = new Set(["rate_limited", "unavailable", "timeout"]);
const OPEN_STATES = new Set(["lobby", "live"]);
const LABELS = {
  scheduled: "Scheduled",
  lobby: "Lobby open",
  live: "Live now",
  ended: "This session has ended",
  cancelled: "This session is cancelled",
};
const PAUSED = "The facilitator has paused the chat. You can still read.";

const $ = (id) => document.getElementById(id);
const root = $("lobby");
const sessionId = Number(root.dataset.sessionId);
const label = $("state-label");
const countdown = $("countdown");
const presenceCount = $("presence-count");
const presenceNoun = $("presence-noun");
const presenceList = $("presence-list");
const connection = $("connection");
const notice = $("room-notice");
const rehearsalBanner = $("rehearsal-banner");
const questionBanner = $("current-question");
const questionText = $("current-question-text");
const questionTime = $("current-question-time");
const pinnedBanner = $("pinned");
const pinnedMessage = $("pinned-message");
const unpinButton = $("unpin-button");
const pinnedStatus = $("pinned-status");
const chatTools = $("chat-tools");
const filterSelect = $("filter-select");
const log = $("chat-log");
const list = $("messages");
const empty = $("chat-empty");
const filterEmpty = $("filter-empty");
const historyMore = $("history-more");
const loadEarlierButton = $("load-earlier");
const chatStatus = $("chat-status");
const composer = $("composer");
const composerNote = $("composer-note");
const roomInfo = $("room-info");
const answering = $("answering");
const answerSelect = $("answer-select");
const input = $("composer-input");
const counter = $("composer-counter");
const sendButton = $("send-button");
const composerWait = $("composer-wait");
const composerError = $("composer-error");
const replying = $("replying");
const replyingText = $("replying-text");

const me = {
  id: Number(root.dataset.myId),
  name: root.dataset.myName || "",
  pronouns: root.dataset.myPronouns || "",
  role: "member",
};

let state = JSON.parse(root.dataset.state);
let clockOffset = Date.parse(state.server_time) - Date.now();

// ---- chat state -------------------------------------------------------------------------

const shown = new Map(); // message id -> { message, li }
const deleted = new Set(); // ids known to be deleted (the join ack lists all of them)
const mine = new Map(); // message id -> Set of this user's reaction kinds
const outbox = []; // unsent messages, in the order they were written
let lastSeenId = 0; // highest message id ever received; never lowered by deletions
let floor = 0; // from this id up, every message is either shown or known deleted
let joinedOnce = false; // re-joins send last_seen_id
let ready = false; // joined on the current connection: may send, react, page
let generation = 0; // bumped on each connection, so stale answers are recognised
let sending = null; // the outbox item in flight: one at a time keeps them in order
let retryTimer = null;
let moreBefore = false;
let earlierLoad = null; // the page of history being fetched, if any
let replyTo = null; // { id, author, excerpt } while replying
let staff = false;
let room = null; // the room's controls (the `room` event), once joined
// What the next message answers: "current" follows whichever prompt is current,
// "none" is general chat, anything else is the id (a string) of a posted prompt.
let answerChoice = "current";
// What the chat shows: "" everything, "prompts" prompts and announcements, "mentions" the
// messages that mention me, or a prompt id: that prompt and its answers.
let filterId = "";
let slowWait = null; // { until (ms, local clock), message } while slow mode holds the outbox

// ---- small helpers ----------------------------------------------------------------------

function say(text) {
  chatStatus.textContent = text;
}

function codePoints(text) {
  return [...text].length;
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

// Members may write (and react) while the room is open, unless a facilitator locked it.
function writable() {
  return OPEN_STATES.has(state.state) && !(room && room.locked && !staff);
}

function postedPrompts() {
  return room ? room.prompts : [];
}

function promptById(id) {
  return postedPrompts().find((p) => p.id === id) || null;
}

// ---- building messages ------------------------------------------------------------------

function buildMeta(message) {
  const meta = make("p", "msg-meta");
  const author = message.author;
  const kind = message.kind || "message";
  if (kind === "prompt" && message.prompt) {
    meta.append(make("span", "kind-label prompt-label", `Q${message.prompt.number}`), " ",
      make("span", "msg-from", "from"), " ");
  } else if (kind === "announcement") {
    meta.append(make("span", "kind-label announcement-label", "Announcement"), " ",
      make("span", "msg-from", "from"), " ");
  } else if (kind === "introduction") {
    meta.append(make("span", "kind-label introduction-label", "Introduction"), " ");
  }
  meta.append(make("span", "msg-author", author.name));
  if (author.pronouns) meta.append(" ", make("span", "msg-pronouns", `(${author.pronouns})`));
  if (BADGES[author.role]) {
    meta.append(" ", make("span", `role-badge role-${author.role}`, BADGES[author.role]));
  }
  if (kind === "message" && message.prompt) {
    const tag = make("span", "answer-tag", `A${message.prompt.number}`);
    tag.title = `An answer to Q${message.prompt.number}`;
    meta.append(" ", tag);
  }
  const time = make("time", "msg-time");
  setTime(time, message.created_at);
  meta.append(" ", time);
  return meta;
}

function fillReplyContext(node, preview) {
  node.replaceChildren();
  if (preview.deleted) {
    node.append("In reply to a message that was deleted");
    return;
  }
  const text = preview.excerpt.length >= EXCERPT ? `${preview.excerpt}…` : preview.excerpt;
  node.append("In reply to ", make("span", "msg-reply-author", preview.author), ": ",
    make("span", "msg-reply-excerpt", text));
}

function buildReplyContext(preview) {
  const node = make("p", "msg-reply");
  node.dataset.replyTo = String(preview.id);
  fillReplyContext(node, preview);
  return node;
}

function buildBody(body) {
  const node = make("p", "msg-body");
  renderBody(node, body);
  return node;
}

function buildActions(message) {
  const bar = make("div", "msg-actions");
  bar.append(button("Reply", "chip reply-button", "reply"));
  for (const r of REACTIONS) {
    const b = button(undefined, "chip reaction", "react");
    b.dataset.kind = r.kind;
    b.title = r.name;
    b.setAttribute("aria-pressed", "false");
    if (ICONS[r.kind]) {
      b.append(icon(ICONS[r.kind]), make("span", "visually-hidden", r.name));
    } else {
      b.append(make("span", "reaction-name", r.name));
    }
    b.append(" ", make("span", "reaction-count"));
    bar.append(b);
  }
  const pin = button("Pin", "chip pin-button staff-action", "pin");
  pin.hidden = true;
  bar.append(pin);
  const toQuestion = button("Make a question", "chip to-question-button staff-action", "to-question");
  toQuestion.hidden = true;
  bar.append(toQuestion);
  const del = button("Delete", "chip delete-button", "delete");
  del.hidden = !(message.author.id === me.id || staff);
  bar.append(del);
  const report = button("Report", "chip report-button", "report");
  report.hidden = true;
  bar.append(report);
  return bar;
}

function setKind(li, message) {
  const kind = message.kind || "message";
  li.classList.toggle("msg-prompt", kind === "prompt");
  li.classList.toggle("msg-announcement", kind === "announcement");
  li.classList.toggle("msg-introduction", kind === "introduction");
  li.dataset.prompt = message.prompt ? String(message.prompt.id) : "";
  markMatch(li, message);
}

function buildMessage(message, pending) {
  const li = make("li", "msg");
  li.dataset.clientId = message.client_id;
  li.dataset.authorId = String(message.author.id);
  if (message.author.id === me.id) li.classList.add("msg-mine");
  setKind(li, message);
  li.append(buildMeta(message));
  if (message.reply_preview) li.append(buildReplyContext(message.reply_preview));
  li.append(buildBody(message.body));
  li.append(make("div", "msg-status"));
  li.append(buildActions(message));
  markMention(li, message, me);
  moderation.decorate(li, message); // edited, sensitive, removed; edit and moderate buttons
  if (pending) {
    li.dataset.status = "sending";
  } else {
    markStored(li, message);
  }
  syncActions(li);
  return li;
}

function markStored(li, message) {
  li.id = `msg-${message.id}`;
  li.dataset.id = String(message.id);
  li.dataset.status = "sent";
  li.querySelector(".msg-status").replaceChildren();
  setKind(li, message);
  setCounts(li, message.reactions);
  syncMine(li, message.id);
}

function setCounts(li, counts) {
  for (const b of li.querySelectorAll("button.reaction")) {
    const count = counts[b.dataset.kind] || 0;
    b.dataset.count = String(count);
    const text = count > 0 ? String(count) : "";
    const span = b.querySelector(".reaction-count");
    if (span.textContent !== text) span.textContent = text;
  }
}

function syncMine(li, id) {
  const kinds = mine.get(id);
  for (const b of li.querySelectorAll("button.reaction")) {
    b.setAttribute("aria-pressed", String(Boolean(kinds && kinds.has(b.dataset.kind))));
  }
}

function isPinned(id) {
  return Boolean(room && room.pinned && room.pinned.id === id);
}

// Reply and reactions need a stored message and a writable room; delete and pin (staff)
// need a stored one.
function syncActions(li) {
  const stored = li.dataset.status === "sent";
  const can = writable();
  for (const b of li.querySelectorAll(".reply-button, .reaction")) b.disabled = !stored || !can;
  const del = li.querySelector(".delete-button");
  del.hidden = !(Number(li.dataset.authorId) === me.id || staff);
  del.disabled = !stored;
  const pin = li.querySelector(".pin-button");
  pin.hidden = !staff || !stored;
  setText(pin, stored && isPinned(Number(li.dataset.id)) ? "Unpin" : "Pin");
  // Staff turn a member's chat message into a question for the queue.
  const plain = !li.classList.contains("msg-prompt") && !li.classList.contains("msg-announcement");
  li.querySelector(".to-question-button").hidden = !staff || !stored || !plain;
  // Members report what others wrote; staff moderate it directly instead.
  li.querySelector(".report-button").hidden = staff || !stored || Number(li.dataset.authorId) === me.id;
  moderation.sync(li);
}

// ---- the list: stored messages in id order, then the unsent ones ------------------------

function place(li, id) {
  let ref = null;
  for (let node = list.lastElementChild; node; node = node.previousElementSibling) {
    if (node === li) continue;
    if (node.dataset.status === "sent" && Number(node.dataset.id) < id) break;
    ref = node;
  }
  if (li.parentNode === list && li.nextElementSibling === ref) return;
  list.insertBefore(li, ref);
}

function nearBottom() {
  return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
}

// Run `change`; keep the reader at the newest message if they were there (or `force`).
function keepingScroll(change, force = false) {
  const stick = force || nearBottom();
  change();
  if (stick) log.scrollTop = log.scrollHeight;
}

// Many messages at once (a join, a page of history): tell screen readers to wait.
function quietly(change) {
  log.setAttribute("aria-busy", "true");
  change();
  requestAnimationFrame(() => setTimeout(() => log.removeAttribute("aria-busy"), 0));
}

function updateEmpty() {
  empty.hidden = !joinedOnce || list.childElementCount > 0;
  historyMore.hidden = !moreBefore;
  const none = Boolean(filterId) && list.childElementCount > 0 && !list.querySelector(".msg.match");
  filterEmpty.hidden = !none;
  if (none) {
    setText(filterEmpty, filterEmptyText());
  }
}

// `live`: a new arrival (broadcast or catch-up), which waits while the reader has paused.
function addStored(message, live = false) {
  if (!message || message.session_id !== sessionId) return;
  lastSeenId = Math.max(lastSeenId, message.id);
  if (deleted.has(message.id)) return;
  if (message.author.id === me.id) {
    const item = outbox.find((i) => i.clientId === message.client_id);
    if (item) {
      settle(item, message);
      return;
    }
  }
  if (shown.has(message.id)) return;
  const li = buildMessage(message, false);
  shown.set(message.id, { message, li });
  if (!live || message.author.id === me.id || !catchUp.holds(message.id)) place(li, message.id);
  updateEmpty();
}

function addMany(messages, live = false) {
  quietly(() => messages.forEach((message) => addStored(message, live)));
}

// Messages that waited while the reader paused (catch-up.js) take their places now.
function showHeld(ids) {
  quietly(() => {
    for (const id of ids) {
      const entry = shown.get(id);
      if (!entry) continue;
      for (const node of entry.li.querySelectorAll(".msg-reply")) {
        if (deleted.has(Number(node.dataset.replyTo))) fillReplyContext(node, { deleted: true });
      }
      place(entry.li, id);
    }
  });
  updateEmpty();
}

// An unsent message was stored: it becomes the stored one in place, so screen readers
// hear it once, and the broadcast or a catch-up can never add it a second time.
function settle(item, message) {
  outbox.splice(outbox.indexOf(item), 1);
  const li = item.li;
  if (shown.has(message.id)) {
    li.remove();
    return;
  }
  const meta = buildMeta(message);
  const oldMeta = li.querySelector(".msg-meta");
  if (meta.textContent !== oldMeta.textContent) oldMeta.replaceWith(meta);
  else setTime(oldMeta.querySelector("time"), message.created_at);
  const body = li.querySelector(".msg-body");
  if (message.body !== item.body) body.replaceWith(buildBody(message.body));
  li.dataset.clientId = message.client_id;
  markStored(li, message);
  syncActions(li);
  shown.set(message.id, { message, li });
  place(li, message.id);
  updateEmpty();
}

function markDeleted(id) {
  deleted.add(id);
  mine.delete(id);
  catchUp.drop(id);
  const entry = shown.get(id);
  if (entry) {
    if (entry.li.contains(document.activeElement)) log.focus();
    entry.li.remove();
    shown.delete(id);
  }
  for (const node of list.querySelectorAll(`.msg-reply[data-reply-to="${id}"]`)) {
    fillReplyContext(node, { id, deleted: true });
  }
  if (replyTo && replyTo.id === id) {
    setReply(null);
    say("The message you were replying to was deleted.");
  }
  // A deleted message is no longer pinned (the server has dropped the pin too).
  if (isPinned(id)) {
    room = { ...room, pinned: null };
    renderPinned();
  }
  updateEmpty();
}

// A message changed after it was sent (edited, marked sensitive, removed by a moderator or
// restored): build it again in its place.
function replaceMessage(message) {
  if (!message || message.session_id !== sessionId) return;
  const entry = shown.get(message.id);
  if (!entry) return;
  const hadFocus = entry.li.contains(document.activeElement);
  const li = buildMessage(message, false);
  entry.li.replaceWith(li);
  shown.set(message.id, { message, li });
  if (hadFocus) (li.querySelector(".msg-actions button:not([hidden])") || log).focus();
  if (message.removed) {
    if (replyTo && replyTo.id === message.id) setReply(null);
    if (isPinned(message.id)) {
      room = { ...room, pinned: null };
      renderPinned();
    }
  }
}

function firstMissing(from, to) {
  for (let id = Math.max(from, 1); id < to; id++) {
    if (!shown.has(id) && !deleted.has(id)) return id;
  }
  return 0;
}

// ---- talking to the server --------------------------------------------------------------

async function request(event, payload) {
  try {
    return await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload);
  } catch {
    return { ok: false, error: { code: "timeout", message: "The server did not answer in time." } };
  }
}

// Ask for every message after `afterId`, page by page (a long catch-up, or a gap).
async function fetchAfter(afterId, gen) {
  let after = afterId;
  while (gen === generation) {
    const ack = await request("history", { session_id: sessionId, after_id: after });
    if (gen !== generation) return;
    if (!ack.ok) {
      say(`Some messages could not be loaded: ${ack.error.message}`);
      return;
    }
    keepingScroll(() => addMany(ack.messages, true));
    if (!ack.more_after || ack.messages.length === 0) return;
    after = ack.messages[ack.messages.length - 1].id;
  }
}

function join() {
  const gen = generation;
  const payload = { session_id: sessionId };
  if (joinedOnce) payload.last_seen_id = lastSeenId;
  request("join", payload).then((ack) => {
    if (gen !== generation || !socket.connected) return;
    if (!ack.ok) {
      if (ack.error.code === "timeout" || TRANSIENT.has(ack.error.code)) {
        join();
      } else if (ack.error.agreement_version) {
        // The group agreement changed (or was never accepted): read it, then come back.
        window.location.assign(`/agreement?next=${encodeURIComponent(window.location.pathname)}`);
      } else {
        connection.textContent = `Could not join the room: ${ack.error.message}`;
      }
      return;
    }
    joined(ack, gen);
  });
}

async function joined(ack, gen) {
  me.id = ack.you.id;
  me.name = ack.you.name;
  me.role = ack.you.role;
  staff = me.role !== "member";
  connection.textContent = "";
  rehearsalBanner.hidden = !ack.rehearsal;
  panel.sync(staff, ack);
  questions.sync(ack.queue, staff);
  resources.sync(ack.resources || [], staff);
  introductions.sync(ack);
  applyState(ack.state);
  applyRoom(ack.room);
  applyPresence(ack.presence);
  for (const id of ack.deleted_ids || []) markDeleted(id);
  mine.clear();
  for (const [id, kinds] of Object.entries(ack.my_reactions || {})) {
    mine.set(Number(id), new Set(kinds));
  }
  const first = !joinedOnce;
  keepingScroll(() => addMany(ack.messages, !first), first);
  for (const message of ack.revised || []) replaceMessage(message);
  moderation.applySanctions({ session_id: sessionId, sanctions: ack.sanctions || [] });
  if (first) {
    joinedOnce = true;
    moreBefore = ack.more_before;
    floor = moreBefore && ack.messages.length ? ack.messages[0].id : 1;
  }
  // Counts may have moved while we were away; a returning join has them for every
  // message (a first join's messages carry their own).
  const counts = ack.reaction_counts;
  for (const [id, entry] of shown) {
    if (counts) setCounts(entry.li, counts[id] || {});
    syncMine(entry.li, id);
    syncActions(entry.li);
  }
  updateEmpty();
  ready = true;
  if (ack.more_after) await fetchAfter(lastSeenId, gen);
  // Anything stored while we were joining, and broadcast before we were in the room.
  const missing = firstMissing(floor, lastSeenId + 1);
  if (missing) await fetchAfter(missing - 1, gen);
  if (gen !== generation) return;
  if (filterId && moreBefore) loadAllEarlier();
  clearTimeout(retryTimer);
  retryTimer = null;
  pump();
}

// One page of older messages; concurrent callers share the request in flight.
function loadEarlier() {
  if (!earlierLoad) earlierLoad = fetchEarlier().finally(() => { earlierLoad = null; });
  return earlierLoad;
}

async function fetchEarlier() {
  if (!moreBefore || !ready) return false;
  const ids = [...shown.keys()];
  if (ids.length === 0) return false;
  loadEarlierButton.textContent = "Loading earlier messages…";
  const ack = await request("history", { session_id: sessionId, before_id: Math.min(...ids) });
  loadEarlierButton.textContent = "Load earlier messages";
  if (!ack.ok) {
    say(`Earlier messages could not be loaded: ${ack.error.message}`);
    return false;
  }
  const height = log.scrollHeight;
  const top = log.scrollTop;
  addMany(ack.messages);
  log.scrollTop = top + (log.scrollHeight - height);
  moreBefore = ack.more_before;
  floor = moreBefore && ack.messages.length ? ack.messages[0].id : 1;
  const hadFocus = document.activeElement === loadEarlierButton;
  updateEmpty();
  if (hadFocus && !moreBefore) log.focus();
  return true;
}

// Every older page, so a filtered view misses no early answer.
async function loadAllEarlier() {
  while (moreBefore && ready) {
    if (!(await loadEarlier())) return false;
  }
  return !moreBefore;
}

// ---- the outbox -------------------------------------------------------------------------

function showItemStatus(item) {
  const box = item.li.querySelector(".msg-status");
  item.li.dataset.status = item.status === "failed" ? "failed" : "sending";
  if (!item.error) {
    box.replaceChildren(make("span", "sending-label", "Sending…"));
    return;
  }
  const actions = make("span", "msg-retry");
  let text;
  if (item.status === "failed") {
    text = `Not sent: ${item.error.message}`;
    actions.append(button("Retry", "chip", "retry"));
  } else if (item.error.code === "rate_limited") {
    // Slow mode or flood control: it goes by itself when the wait is over.
    text = room && room.slow_mode_seconds
      ? "Waiting for slow mode; it will be sent automatically."
      : "Waiting a moment; it will be sent automatically.";
  } else {
    text = `Not sent yet: ${item.error.message} Trying again shortly.`;
    actions.append(button("Retry", "chip", "retry"));
  }
  // Editing puts the text back into the composer, which is only there while the room is open.
  if (OPEN_STATES.has(state.state)) actions.append(button("Edit", "chip", "edit"));
  actions.append(button("Discard", "chip", "discard"));
  const span = make("span", item.error.code === "rate_limited" && item.status !== "failed" ? "msg-waiting" : "error", text);
  box.replaceChildren(span, " ", actions);
}

function scheduleRetry(ms) {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(() => {
    retryTimer = null;
    pump();
  }, ms);
}

// Slow mode refused a message: say how long until the outbox tries again, and count down.
function startSlowWait(error) {
  const seconds = Math.max(1, Number(error.retry_after) || 1);
  slowWait = { until: Date.now() + seconds * 1000, message: error.message };
  renderSlowWait();
  say(`${error.message} Your message will be sent in ${seconds} ${seconds === 1 ? "second" : "seconds"}.`);
  return seconds * 1000;
}

function renderSlowWait() {
  const left = slowWait ? slowWait.until - Date.now() : 0;
  if (left <= 0 || !outbox.length) {
    slowWait = null;
    composerWait.hidden = true;
    setText(composerWait, "");
    return;
  }
  composerWait.hidden = false;
  setText(composerWait, `${slowWait.message} Your next message will be sent in ${duration(left)}.`);
}

// Send the oldest unsent message (one at a time, so they are stored in the order written).
function pump() {
  if (!ready || sending || retryTimer) return;
  const item = outbox.find((i) => i.status === "queued");
  if (!item) return;
  sending = item;
  if (item.error) {
    item.error = null; // an automatic retry: "Sending…" again, without buttons meanwhile
    showItemStatus(item);
  }
  const attempt = ++item.attempt;
  const gen = generation;
  const payload = { session_id: sessionId, body: item.body, client_id: item.clientId };
  if (item.replyTo) payload.reply_to = item.replyTo;
  if (item.answerTo !== undefined) payload.answer_to = item.answerTo;
  if (item.checked) payload.confidentiality_checked = true;
  request("send_message", payload).then((ack) => {
    // A late success is still a success: it settles the message wherever it is.
    if (ack.ok) {
      keepingScroll(() => addStored(ack.message));
      if (ack.warning) guard.warn(ack.warning); // sent without the check: say so, calmly
      if (slowWait) {
        slowWait = null;
        renderSlowWait();
      }
    }
    const current = sending === item && attempt === item.attempt && gen === generation;
    if (current) sending = null;
    if (current && !ack.ok && outbox.includes(item)) {
      item.error = ack.error;
      if (ack.error.code === "rate_limited" && ack.error.retry_after !== undefined) {
        // Slow mode says exactly how long to wait; a little extra absorbs clock skew.
        scheduleRetry(startSlowWait(ack.error) + 250);
      } else if (TRANSIENT.has(ack.error.code)) {
        item.tries = (item.tries || 0) + 1;
        scheduleRetry(Math.min(60000, 2000 * 2 ** Math.min(item.tries, 5)));
      } else {
        item.status = "failed"; // invalid, room_closed, forbidden...: the writer decides
      }
      showItemStatus(item);
    }
    pump();
  });
}

// What the message being written answers, as chosen in the composer. "Current" is
// resolved now, to the prompt the writer sees, so a message that waits in the outbox
// (offline, slow mode) still answers the question it was written for.
function chosenAnswer() {
  if (answerChoice === "none") return { answerTo: null, prompt: null };
  const current = room && room.current_prompt;
  const id = answerChoice === "current" ? current && current.id : Number(answerChoice);
  const p = id ? promptById(id) || (current && current.id === id ? current : null) : null;
  if (!p) return { answerTo: undefined, prompt: null }; // nothing posted yet
  return { answerTo: p.id, prompt: { id: p.id, number: p.number } };
}

async function submit() {
  composerError.textContent = "";
  if (!writable() || guard.pending) return;
  const body = input.value.replace(/\r\n?/g, "\n").trim();
  if (!body) return;
  const length = codePoints(body);
  if (length > MAX_BODY) {
    composerError.textContent = `Keep messages to ${MAX_BODY.toLocaleString("en-GB")} characters or fewer; this one has ${length.toLocaleString("en-GB")}.`;
    return;
  }
  // Might it identify a client? The writer decides; offline it goes unchecked.
  const review = await guard.review(body);
  if (!review.send || !writable()) return;
  const answer = chosenAnswer();
  const item = {
    clientId: newClientId(),
    body,
    replyTo: replyTo ? replyTo.id : null,
    preview: replyTo ? { ...replyTo, deleted: false } : null,
    answerTo: answer.answerTo,
    checked: review.checked,
    status: "queued",
    attempt: 0,
    error: null,
  };
  item.li = buildMessage({
    client_id: item.clientId,
    author: { id: me.id, name: me.name, pronouns: me.pronouns, role: me.role },
    body,
    kind: "message",
    prompt: answer.prompt,
    reply_preview: item.preview,
    reactions: {},
    created_at: new Date().toISOString(),
  }, true);
  showItemStatus(item);
  outbox.push(item);
  if (!ready) connection.textContent = socket.connected ? "Joining the room…" : OFFLINE_WITH_OUTBOX;
  catchUp.resume(); // writing rejoins the conversation, as in Slack: what waited shows first
  keepingScroll(() => {
    list.append(item.li);
    updateEmpty();
  }, true);
  if (filterId && !item.li.classList.contains("match")) {
    say("Your message is hidden by the filter. Choose “All messages” to see it.");
  }
  input.value = "";
  updateCounter();
  setReply(null);
  pump();
}

function onItemAction(item, action) {
  if (action === "retry") {
    item.status = "queued";
    item.error = null;
    item.tries = 0;
    showItemStatus(item);
    clearTimeout(retryTimer);
    retryTimer = null;
    pump();
    return;
  }
  if (action === "edit" && composer.hidden) return;
  if (action === "discard" && !window.confirm("Discard this unsent message?")) return;
  if (sending === item) sending = null;
  outbox.splice(outbox.indexOf(item), 1);
  item.li.remove();
  updateEmpty();
  renderSlowWait();
  if (action === "edit") {
    input.value = input.value ? `${item.body}\n${input.value}` : item.body;
    if (item.preview && !deleted.has(item.replyTo)) setReply(item.preview);
    updateCounter();
    input.focus();
  } else {
    input.focus();
  }
  pump();
}

// ---- reply, react, delete, pin ----------------------------------------------------------

function setReply(target) {
  replyTo = target;
  replying.hidden = !target;
  replyingText.textContent = target ? `Replying to ${target.author}: ${target.excerpt}` : "";
}

async function react(li, id, b) {
  if (!ready) {
    say("You are offline; reactions work again once the connection is back.");
    return;
  }
  if (b.dataset.busy) return;
  const kind = b.dataset.kind;
  const active = !(mine.get(id) && mine.get(id).has(kind));
  b.dataset.busy = "1";
  const ack = await request("react", { session_id: sessionId, message_id: id, reaction: kind, active });
  delete b.dataset.busy;
  if (!ack.ok) {
    say(`Your reaction was not saved: ${ack.error.message}`);
    return;
  }
  say("");
  if (!mine.has(id)) mine.set(id, new Set());
  if (active) mine.get(id).add(kind);
  else mine.get(id).delete(kind);
  setCounts(li, ack.counts);
  syncMine(li, id);
}

async function remove(id) {
  if (!window.confirm("Delete this message for everyone?")) return;
  if (!ready) {
    say("You are offline; try again once the connection is back.");
    return;
  }
  const ack = await request("delete_message", { session_id: sessionId, message_id: id });
  if (ack.ok) markDeleted(id);
  else say(`The message was not deleted: ${ack.error.message}`);
}

// Staff pin a message for everyone (or unpin it); `status` says if it did not work.
async function pin(messageId, b, status) {
  if (!ready) {
    status.replaceChildren(make("span", "error", "You are offline; try again once the connection is back."));
    return;
  }
  if (b.dataset.busy) return;
  const unpinning = messageId === null;
  // aria-disabled rather than disabled while in flight, so keyboard focus stays put.
  b.dataset.busy = "1";
  b.setAttribute("aria-disabled", "true");
  status.replaceChildren();
  const ack = await request("pin_message", { session_id: sessionId, message_id: messageId });
  delete b.dataset.busy;
  b.removeAttribute("aria-disabled");
  if (!ack.ok) {
    const error = make("span", "error", `Not ${unpinning ? "unpinned" : "pinned"}: ${ack.error.message}`);
    error.setAttribute("role", "alert");
    status.replaceChildren(error);
    return;
  }
  applyRoom(ack.room);
  say(unpinning ? "Unpinned." : "Pinned for everyone.");
}

list.addEventListener("click", (event) => {
  const b = event.target.closest("button[data-action]");
  if (!b) return;
  const li = b.closest("li.msg");
  const action = b.dataset.action;
  if (!li.dataset.id) {
    const item = outbox.find((i) => i.li === li);
    if (item) onItemAction(item, action);
    return;
  }
  const id = Number(li.dataset.id);
  const entry = shown.get(id);
  if (!entry) return;
  if (action === "reply") {
    const { message } = entry;
    setReply({ id, author: message.author.name, excerpt: [...message.body].slice(0, EXCERPT).join("") });
    input.focus();
  } else if (action === "react") {
    react(li, id, b);
  } else if (action === "delete") {
    remove(id);
  } else if (action === "pin") {
    pin(isPinned(id) ? null : id, b, li.querySelector(".msg-status"));
  } else if (action === "to-question") {
    makeQuestion(id, b, li.querySelector(".msg-status"));
  } else if (action === "report") {
    reporting.open({ message_id: id }, "message", entry.message.body, b);
  }
});

// Staff turn a chat message into a question in the queue, with one click.
async function makeQuestion(messageId, b, status) {
  if (!ready) {
    status.replaceChildren(make("span", "error", "You are offline; try again once the connection is back."));
    return;
  }
  if (b.dataset.busy) return;
  b.dataset.busy = "1";
  b.setAttribute("aria-disabled", "true");
  status.replaceChildren();
  const result = await questions.fromMessage(messageId);
  delete b.dataset.busy;
  b.removeAttribute("aria-disabled");
  const span = make("span", result.ok ? "msg-done" : "error", result.text);
  if (!result.ok) span.setAttribute("role", "alert");
  status.replaceChildren(span);
  if (result.ok) say(result.text);
}

unpinButton.addEventListener("click", () => {
  if (room && room.pinned) pin(null, unpinButton, pinnedStatus);
});

// ---- the composer -----------------------------------------------------------------------

function updateCounter() {
  const n = codePoints(input.value);
  const over = n > MAX_BODY;
  counter.textContent = `${n.toLocaleString("en-GB")} / ${MAX_BODY.toLocaleString("en-GB")}`
    + (over ? ` (${(n - MAX_BODY).toLocaleString("en-GB")} too many)` : "");
  counter.classList.toggle("near", n >= NEAR_LIMIT && !over);
  counter.classList.toggle("over", over);
  if (over) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

composer.addEventListener("submit", (event) => {
  event.preventDefault();
  submit();
});
input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing
      && !event.altKey && !event.ctrlKey && !event.metaKey) {
    event.preventDefault();
    submit();
  } else if (event.key === "Escape" && replyTo) {
    event.preventDefault();
    setReply(null);
  }
});
input.addEventListener("input", updateCounter);
$("cancel-reply").addEventListener("click", () => {
  setReply(null);
  input.focus();
});
answerSelect.addEventListener("change", () => {
  answerChoice = answerSelect.value;
});
filterSelect.addEventListener("change", () => {
  applyFilter(filterSelect.value);
});
loadEarlierButton.addEventListener("click", loadEarlier);
new IntersectionObserver((entries) => {
  if (entries.some((e) => e.isIntersecting)) loadEarlier();
}, { root: log }).observe(historyMore);

window.addEventListener("beforeunload", (event) => {
  if (outbox.length) event.preventDefault();
});

// ---- prompts: the current question, answering, filtering --------------------------------

function option(value, text) {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = text;
  return o;
}

// Replace a select's options only when they changed, so an open list is left alone.
function setOptions(select, options, value) {
  const key = JSON.stringify(options);
  if (select.dataset.key !== key) {
    select.dataset.key = key;
    select.replaceChildren(...options.map(([v, t]) => option(v, t)));
  }
  if (select.value !== value) select.value = value;
}

function renderAnswering() {
  const prompts = postedPrompts();
  const current = room && room.current_prompt;
  answering.hidden = prompts.length === 0 && !current;
  // A chosen prompt that becomes current is followed from then on, like "current".
  if (answerChoice !== "current" && answerChoice !== "none") {
    const stillPosted = prompts.some((p) => String(p.id) === answerChoice);
    if (!stillPosted || (current && String(current.id) === answerChoice)) answerChoice = "current";
  }
  const options = [];
  if (current) options.push(["current", `Q${current.number} (current)`]);
  for (const p of prompts) {
    if (!current || p.id !== current.id) options.push([String(p.id), `Q${p.number}: ${p.body}`]);
  }
  options.push(["none", "Not an answer (general chat)"]);
  setOptions(answerSelect, options, answerChoice === "current" && !current ? "none" : answerChoice);
}

// Whether a message passes the filter, from its kind, the prompt it belongs to (an id as a
// string, "" for none) and whether it mentions me.
function passesFilter(kind, promptId, mentionsMe) {
  if (filterId === "prompts") return kind === "prompt" || kind === "announcement";
  if (filterId === "mentions") return mentionsMe;
  return !filterId || promptId === filterId;
}

// `message` when the item is (re)built; a filter change re-marks from what the item holds.
function markMatch(li, message) {
  if (message) li.dataset.mentionsMe = String(mentions(message.body || "", me.name));
  const kind = li.classList.contains("msg-prompt") ? "prompt"
    : li.classList.contains("msg-announcement") ? "announcement" : "message";
  li.classList.toggle("match", passesFilter(kind, li.dataset.prompt, li.dataset.mentionsMe === "true"));
}

// What the filter shows, in words: "Q2 and its answers", "mentions of you".
function filterName() {
  if (filterId === "prompts") return "prompts and announcements";
  if (filterId === "mentions") return "mentions of you";
  const p = promptById(Number(filterId));
  return p ? `Q${p.number} and its answers` : "this question and its answers";
}

function filterEmptyText() {
  if (filterId === "prompts") return "No prompts or announcements yet.";
  if (filterId === "mentions") return "No mentions of you yet.";
  const p = promptById(Number(filterId));
  return p ? `Nothing for Q${p.number} yet.` : "Nothing to show yet.";
}

function renderFilterOptions() {
  chatTools.hidden = false; // once joined: the filters and the pause are always useful
  const options = [["", "All messages"], ["prompts", "Prompts and announcements"], ["mentions", "Mentions of me"]];
  for (const p of postedPrompts()) options.push([String(p.id), `Q${p.number} and its answers`]);
  setOptions(filterSelect, options, filterId);
}

// Show only what passes the filter (a class on the list hides the rest), or everything.
// A filter looks through the whole session, so every earlier page is loaded first.
async function applyFilter(value) {
  filterId = value;
  list.classList.toggle("filtering", Boolean(filterId));
  for (const { li } of shown.values()) markMatch(li); // held ones too (catch-up.js)
  for (const item of outbox) markMatch(item.li);
  catchUp.refresh();
  updateEmpty();
  log.scrollTop = log.scrollHeight;
  if (!filterId) {
    say("Showing all messages.");
    return;
  }
  if (moreBefore) {
    say(`Loading earlier messages so that nothing in ${filterName()} is missed…`);
    await loadAllEarlier();
    if (filterId !== value) return;
    log.scrollTop = log.scrollHeight;
  }
  const n = list.querySelectorAll(".msg.match").length;
  say(`Showing ${filterName()}: ${n} ${n === 1 ? "message" : "messages"}.`);
}

function renderQuestion() {
  const current = room && room.current_prompt;
  questionBanner.hidden = !current;
  if (!current) return;
  setText(questionText, `Q${current.number}: ${current.body}`);
  renderQuestionClock();
}

function renderQuestionClock() {
  const current = room && room.current_prompt;
  if (!current || !current.ends_at) {
    setText(questionTime, "");
    return;
  }
  const left = Date.parse(current.ends_at) - (Date.now() + clockOffset);
  const over = left <= 0;
  questionTime.classList.toggle("over", over);
  setText(questionTime, over ? "Time's up" : `${duration(left)} left`);
}

function renderPinned() {
  const message = room && room.pinned;
  pinnedBanner.hidden = !message;
  unpinButton.hidden = !staff;
  if (!message) {
    pinnedMessage.replaceChildren();
    pinnedMessage.dataset.id = "";
    pinnedStatus.replaceChildren();
    return;
  }
  if (pinnedMessage.dataset.id !== String(message.id)) {
    pinnedMessage.dataset.id = String(message.id);
    pinnedMessage.replaceChildren(buildMeta(message), buildBody(message.body));
  }
}

// ---- state, countdown, presence, controls -----------------------------------------------

function renderCountdown() {
  const now = Date.now() + clockOffset;
  const starts = Date.parse(state.starts_at);
  const ends = Date.parse(state.ends_at);
  let text = "";
  if (state.state === "scheduled" || state.state === "lobby") {
    text = `Starts in ${duration(starts - now)}`;
  } else if (state.state === "live") {
    text = `Ends in ${duration(ends - now)} (at ${formatLocal(new Date(ends))})`;
  }
  countdown.textContent = text;
}

function tick() {
  renderCountdown();
  renderQuestionClock();
  renderSlowWait();
}

// What the chat allows: writing in lobby and live unless locked (for members), reading always.
function applyRoomState() {
  const s = state.state;
  const open = OPEN_STATES.has(s);
  if (s === "ended" || s === "cancelled") {
    const hadFocus = composer.contains(document.activeElement);
    composer.hidden = true;
    notice.textContent = s === "ended"
      ? "This session has ended. The room is read-only."
      : "This session was cancelled. The room is closed.";
    notice.hidden = false;
    if (hadFocus) notice.focus();
  } else {
    notice.hidden = true;
    notice.textContent = "";
    composer.hidden = false;
    const locked = Boolean(room && room.locked);
    const can = writable();
    const hadFocus = document.activeElement === input || document.activeElement === sendButton;
    input.disabled = !can;
    sendButton.disabled = !can;
    answerSelect.disabled = !can;
    let note = "";
    if (!open) {
      note = `The room opens at ${formatLocal(new Date(state.lobby_opens_at))}. You can write here from then.`;
    } else if (!can) {
      note = PAUSED;
    }
    setText(composerNote, note);
    composerNote.hidden = !note;
    // Focus must not vanish with the textarea it was in: put it on the note that says why.
    if (hadFocus && !can) composerNote.focus();

    const info = [];
    if (open && locked && staff) info.push("The room is locked: members can read but not write. You can still write.");
    const seconds = room ? room.slow_mode_seconds : 0;
    if (seconds) {
      info.push(staff
        ? `Slow mode is on for members: one message every ${seconds} seconds.`
        : `Slow mode: one message every ${seconds} seconds.`);
    }
    setText(roomInfo, info.join(" "));
    roomInfo.hidden = info.length === 0;
  }
  for (const entry of shown.values()) syncActions(entry.li);
  for (const item of outbox) if (item.error) showItemStatus(item);
}

function applyState(next) {
  if (!next || next.session_id !== sessionId) return;
  alerts.onState(state.state, next.state);
  state = next;
  clockOffset = Date.parse(next.server_time) - Date.now();
  if (label.dataset.state !== next.state) {
    label.dataset.state = next.state;
    label.textContent = LABELS[next.state] || next.state;
  }
  applyRoomState();
  renderCountdown();
  panel.applyState(next);
  questions.applyState(next);
  resources.applyState(next);
  introductions.applyState(next);
  // Members may download the transcript once the session has ended.
  if (next.state === "ended") document.getElementById("transcript-links").hidden = false;
}

// The room's controls changed (or we joined): the question, the pin, lock and slow mode.
function applyRoom(next) {
  if (!next || next.session_id !== sessionId) return;
  const wasSlow = room ? room.slow_mode_seconds : 0;
  room = next;
  if (next.server_time) clockOffset = Date.parse(next.server_time) - Date.now();
  renderQuestion();
  renderPinned();
  renderAnswering();
  renderFilterOptions();
  applyRoomState();
  panel.applyRoom(next);
  questions.applyRoom(next);
  // Slow mode turned off (or shortened) while the outbox waits: try again now.
  if (slowWait && next.slow_mode_seconds < wasSlow) {
    slowWait = null;
    renderSlowWait();
    clearTimeout(retryTimer);
    retryTimer = null;
    pump();
  }
}

function applyPresence(p) {
  if (!p || p.session_id !== sessionId) return;
  presenceCount.textContent = String(p.count);
  presenceNoun.textContent = p.count === 1 ? "person" : "people";
  suggestions.setPresent(p.people);
  // Only facilitators and organisers are sent the names; members see the count.
  if (Array.isArray(p.people)) {
    presenceList.replaceChildren(...p.people.map((person) => make("li", "", person.name)));
    presenceList.hidden = false;
  } else {
    presenceList.replaceChildren();
    presenceList.hidden = true;
  }
}

// ---- the connection ---------------------------------------------------------------------

const OFFLINE_WITH_OUTBOX =
  "Connection lost, reconnecting… Your unsent messages will be sent when it is back.";
const socket = io({ transports: ["websocket", "polling"] });
window.chatSocket = socket; // tests drop and restore the connection through it

const panel = createStaffPanel({
  sessionId,
  request,
  online: () => ready,
  slot: $("staff-panel-slot"),
  template: $("staff-panel-template"),
  onRoom: applyRoom,
  onState: applyState,
  onLeave: () => log.focus(),
});
const moderation = createModeration({
  sessionId,
  request,
  online: () => ready,
  me,
  isStaff: () => staff,
  isOrganiser: () => root.dataset.myOrganiser === "true",
  serverNow: () => Date.now() + clockOffset,
  list,
  after: chatStatus,
  onMessage: (message) => keepingScroll(() => replaceMessage(message)),
  onWarning: (warning) => guard.warn(warning),
  rejoin: () => join(),
});
list.addEventListener("click", (event) => {
  moderation.handleClick(event, (id) => (shown.has(id) ? shown.get(id).message : null));
});
const catchUp = createCatchUp({
  log,
  toolbar: chatTools,
  reveal: showHeld,
  visible: (id) => shown.has(id) && shown.get(id).li.classList.contains("match"),
  nearBottom,
  say,
});
const reporting = createReports({ sessionId, request, online: () => ready });
const guard = createGuard({ sessionId, request, online: () => ready, input, noun: "message" });
const questions = createQuestions({ sessionId, request, online: () => ready, me, onReport: reporting.open });
const resources = createResources({ sessionId, request, online: () => ready, me });
const suggestions = createMentionSuggestions({
  input,
  me,
  messages: () => Array.from(shown.values(), (entry) => entry.message),
  facilitators: JSON.parse(root.dataset.facilitators || "[]"),
});
const introductions = createIntroductions({
  sessionId, request, online: () => ready, say, serverNow: () => Date.now() + clockOffset,
  composerInput: input, onPosted: (message) => keepingScroll(() => addStored(message, true)),
});
const alerts = createRoomAlerts({ me, log, title: root.querySelector("h1").textContent });

socket.on("connect", () => {
  generation += 1;
  ready = false;
  sending = null;
  join();
});
socket.on("disconnect", () => {
  generation += 1;
  ready = false;
  if (sending) sending.attempt += 1; // its answer, if any, no longer holds the queue
  sending = null;
  connection.textContent = outbox.length ? OFFLINE_WITH_OUTBOX : "Connection lost, reconnecting…";
});
// A refusal (unlike a lost connection) is not retried by Socket.IO itself: a server that
// is restarting refuses with `unavailable`, so try again shortly, spread out like reconnects.
const REFUSED_RETRY_MS = 2000;
socket.on("connect_error", (err) => {
  const code = err && err.data && err.data.code;
  connection.textContent = code === "unauthenticated"
    ? "You are signed out. Sign in again to join the room."
    : "Cannot reach the server, retrying…";
  if (code === "unavailable") {
    setTimeout(() => socket.connect(), REFUSED_RETRY_MS * (0.5 + Math.random()));
  }
});
socket.on("state", applyState);
socket.on("presence", applyPresence);
socket.on("room", applyRoom);
socket.on("message", (message) => {
  if (!message || message.session_id !== sessionId) return;
  const before = lastSeenId;
  if (message.id > before) alerts.onLiveMessage(message); // even while the view is paused
  keepingScroll(() => addStored(message, true));
  introductions.heard(message);
  // A broadcast we missed (ids go up by one per message): fetch what is between.
  if (ready && message.id > before + 1) {
    const missing = firstMissing(Math.max(before + 1, floor), message.id);
    if (missing) fetchAfter(missing - 1, generation);
  }
});
socket.on("reactions", (event) => {
  if (!event || event.session_id !== sessionId) return;
  const entry = shown.get(event.message_id);
  if (entry) setCounts(entry.li, event.counts);
});
socket.on("message_deleted", (event) => {
  if (!event || event.session_id !== sessionId) return;
  // A moderator's removal leaves a tombstone in its place; an author's delete vanishes.
  if (event.removed_by === "moderator" && event.message) replaceMessage(event.message);
  else markDeleted(event.message_id);
  introductions.removed(event.message_id);
});
socket.on("message_edited", (message) => {
  keepingScroll(() => replaceMessage(message));
  introductions.heard(message);
});
socket.on("moderation_notice", (notice) => moderation.notice(notice));
socket.on("sanctions", (event) => moderation.applySanctions(event));
socket.on("run_sheet", (sheet) => panel.applyRunSheet(sheet));
socket.on("question", (question) => questions.upsert(question));
socket.on("question_removed", (event) => questions.remove(event));
socket.on("resource", (resource) => resources.upsert(resource));
socket.on("backstage_message", (note) => panel.addNote(note));
socket.on("report", (report) => panel.applyReport(report));
// A facilitator was added or removed: join again (as after a reconnect) to learn our role,
// so the panel appears or goes away without a reload.
socket.on("roles_changed", (event) => {
  if (event && event.session_id === sessionId && socket.connected) join();
});
// The account was deleted (in another tab): stop, and say why instead of reconnecting.
socket.on("signed_out", (event) => {
  socket.disconnect();
  ready = false;
  connection.textContent = (event && event.message) || "You are signed out.";
});

applyRoomState();
updateCounter();
renderCountdown();
questions.applyState(state);
resources.applyState(state);
questions.init();
introductions.applyState(state);
setInterval(tick, 1000);
