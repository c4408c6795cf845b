// Introductions in the room (docs/protocol.md, `introduce`): the offer above the composer,
// once per member and room, and the "who's here" strip at the top of the chat, which lists
// the room's introductions (name and first line), open in the lobby and the first 15
// minutes, folded to its toggle after. Members on either side of a block from this one
// (`hidden_member_ids`) are left out of the strip; their messages in the log stay, as
// everyone else's do. User text enters the page only through textContent.
import { make, newClientId } from "./common.js";

const MAX_BODY = 2000;
const OPEN_MINUTES = 15;
const RECHECK_MS = 30000;
const FIRST_LINE = 90;

export function createIntroductions({ sessionId, request, online, say, serverNow, composerInput, onPosted }) {
  const $ = (id) => document.getElementById(id);
  const panel = $("introduce");
  const input = $("introduce-input");
  const counter = $("introduce-counter");
  const error = $("introduce-error");
  const post = $("introduce-post");
  const skip = $("introduce-skip");
  const strip = $("whos-here");
  const toggle = $("whos-here-toggle");
  const count = $("whos-here-count");
  const list = $("whos-here-list");

  let clientId = null; // one per offer, so a retry after a timeout never posts twice
  let announced = false;
  let hidden = new Set();
  const listed = new Map(); // message id -> the introduction, in id order once sorted
  let state = null;
  let folded = null; // the member's own choice of open or folded, once they toggle

  function updateCounter() {
    const n = [...input.value].length;
    counter.textContent = `${n.toLocaleString("en-GB")} / ${MAX_BODY.toLocaleString("en-GB")}`;
    counter.classList.toggle("over", n > MAX_BODY);
  }

  // The panel leaves; focus that was in it goes to the composer, not to the page's top.
  function close() {
    const hadFocus = panel.contains(document.activeElement);
    panel.hidden = true;
    clientId = null;
    if (hadFocus) composerInput.focus();
  }

  function offer(introduction) {
    if (!introduction) {
      if (!panel.hidden) close();
      return;
    }
    if (clientId) return; // offered already on this page: keep what they are editing
    clientId = newClientId();
    input.value = introduction.draft;
    error.textContent = "";
    updateCounter();
    panel.hidden = false;
    if (!announced) {
      announced = true;
      say("You can introduce yourself to the room: the box is above your message box.");
    }
  }

  async function submit() {
    if (!clientId || post.dataset.busy) return;
    if (!online()) {
      error.textContent = "You are offline; try again once the connection is back.";
      return;
    }
    post.dataset.busy = "1";
    post.setAttribute("aria-disabled", "true");
    const ack = await request("introduce", { session_id: sessionId, body: input.value, client_id: clientId });
    delete post.dataset.busy;
    post.removeAttribute("aria-disabled");
    if (ack.ok) {
      close();
      onPosted(ack.message);
      say("Your introduction is posted.");
    } else if (ack.error.code === "conflict") {
      close();
      say(ack.error.message);
    } else {
      error.textContent = `Not posted: ${ack.error.message}`;
    }
  }

  async function decline() {
    if (!clientId) return;
    close();
    say("Skipped. You can still say hello in the chat.");
    const ack = await request("skip_introduction", { session_id: sessionId });
    if (!ack.ok) say(`Your choice was not saved, so the offer may come back: ${ack.error.message}`);
  }

  // ---- the "who's here" strip -------------------------------------------------------------

  function firstLine(body) {
    const line = body.split("\n").find((l) => l.trim()) || "";
    const chars = [...line.trim()];
    return chars.length > FIRST_LINE ? `${chars.slice(0, FIRST_LINE).join("")}…` : chars.join("");
  }

  function openNow() {
    if (!state) return false;
    if (state.state === "scheduled" || state.state === "lobby") return true;
    if (state.state !== "live") return false;
    return serverNow() < Date.parse(state.starts_at) + OPEN_MINUTES * 60000;
  }

  function render() {
    const shown = [...listed.values()]
      .filter((m) => !hidden.has(m.author.id))
      .sort((a, b) => a.id - b.id);
    list.replaceChildren(...shown.map((m) => {
      const li = make("li", "whos-here-item");
      li.append(make("strong", "whos-here-name", m.author.name), " ", make("span", "whos-here-line", firstLine(m.body)));
      li.title = m.body;
      return li;
    }));
    count.textContent = String(shown.length);
    strip.hidden = shown.length === 0;
    const open = folded === null ? openNow() : !folded;
    toggle.setAttribute("aria-expanded", String(open));
    list.hidden = !open;
  }

  async function load() {
    listed.clear();
    let before = null;
    for (;;) {
      const payload = { session_id: sessionId };
      if (before) payload.before_id = before;
      const ack = await request("introductions", payload);
      if (!ack.ok) return;
      for (const m of ack.introductions) listed.set(m.id, m);
      render();
      if (!ack.more_before || ack.introductions.length === 0) return;
      before = ack.introductions[0].id;
    }
  }

  input.addEventListener("input", updateCounter);
  post.addEventListener("click", submit);
  skip.addEventListener("click", decline);
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      decline();
    }
  });
  toggle.addEventListener("click", () => {
    folded = toggle.getAttribute("aria-expanded") === "true";
    render();
  });
  setInterval(render, RECHECK_MS);

  return {
    // A (re)join: the offer, whom to leave out, and the strip afresh.
    sync(ack) {
      hidden = new Set(ack.hidden_member_ids || []);
      offer(ack.introduction);
      load();
    },
    applyState(next) {
      state = next;
      render();
    },
    // A `message` event: a new introduction joins the strip; a changed one is replaced.
    heard(message) {
      if (!message || message.kind !== "introduction") return;
      if (message.removed) listed.delete(message.id);
      else listed.set(message.id, message);
      render();
    },
    removed(id) {
      if (listed.delete(id)) render();
    },
  };
}
