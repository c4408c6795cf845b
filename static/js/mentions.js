// @mentions: "@Display Name" in a message's text. Names may hold spaces, so a mention is
// recognised by the names the room knows rather than by a pattern of its own.
// Also: marking the messages that mention me, and suggesting names as someone types "@".
import { make } from "./common.js";

const MAX_SUGGESTIONS = 6;
// "@" at the start or after a non-word character, then the start of a name (up to three
// words, since names hold spaces), right before the caret.
const TYPING_MENTION = /(?:^|[^\p{L}\p{N}_])@([\p{L}\p{N}_][\p{L}\p{N}_'’.-]*(?: [\p{L}\p{N}_'’.-]*){0,2})$/u;
const WORD_BREAK = /[\s'’.-]+/gu;
const CARET_KEYS = new Set(["ArrowLeft", "ArrowRight", "Home", "End"]);

function escapeForPattern(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// One compiled pattern per name: every message that arrives is tested against mine.
const patterns = new Map();

function patternFor(name) {
  if (!patterns.has(name)) {
    patterns.set(name, new RegExp(`(^|[^\\p{L}\\p{N}_])@${escapeForPattern(name)}(?![\\p{L}\\p{N}_])`, "iu"));
  }
  return patterns.get(name);
}

// True when `body` mentions `name` ("@Ana", "@ana," or "@Dr Maya Okafor!"), but not a
// longer name that starts with it ("@Anabel").
export function mentions(body, name) {
  return Boolean(name) && patternFor(name).test(body);
}

// Whether a message someone else wrote mentions `me`.
export function mentionsMe(message, me) {
  return Boolean(message.author && message.author.id !== me.id && message.body
    && mentions(message.body, me.name));
}

// Mark a rendered chat message (`li.msg`) that mentions me: a class for the eye, and
// words in its meta line for screen readers, which read the meta before the text.
export function markMention(li, message, me) {
  const hit = mentionsMe(message, me);
  li.classList.toggle("msg-mentions-me", hit);
  const meta = li.querySelector(".msg-meta");
  const note = meta && meta.querySelector(".mention-note");
  if (hit && meta && !note) meta.append(make("span", "visually-hidden mention-note", "Mentions you"));
  if (!hit && note) note.remove();
}

// 0 when the whole name starts with `query`, 1 when a later word of it does, else -1.
function matchRank(name, query) {
  const n = name.toLocaleLowerCase();
  const q = query.toLocaleLowerCase();
  if (n.startsWith(q)) return 0;
  for (const gap of n.matchAll(WORD_BREAK)) {
    if (n.slice(gap.index + gap[0].length).startsWith(q)) return 1;
  }
  return -1;
}

/**
 * Suggest names in a textarea while "@name" is typed (the WAI-ARIA combobox pattern with
 * a listbox popup). The names are the room's: who wrote the `messages()` shown (latest
 * first), the session's `facilitators` (names), and whoever `setPresent` was last given
 * (staff learn who is here; members do not). `me` ({id, name}) is never offered. The
 * textarea keeps focus throughout: the active option is its aria-activedescendant.
 */
export function createMentionSuggestions({ input, me, messages, facilitators }) {
  let present = [];

  function* people() {
    const latest = new Map(); // name -> { id, name, at }
    for (const m of messages()) {
      const known = latest.get(m.author.name);
      if (!known || known.at < m.id) latest.set(m.author.name, { ...m.author, at: m.id });
    }
    yield* [...latest.values()].sort((a, b) => b.at - a.at);
    for (const name of facilitators) yield { id: null, name };
    yield* present;
  }

  const listId = `${input.id}-mentions`;
  const box = make("ul", "mention-list");
  box.id = listId;
  box.setAttribute("role", "listbox");
  box.setAttribute("aria-label", "People to mention");
  box.hidden = true;
  const status = make("p", "visually-hidden");
  status.setAttribute("role", "status");
  input.after(box, status);
  // A combobox rather than a plain textbox, so aria-expanded is allowed and screen
  // readers say that suggestions can pop up.
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", listId);
  input.setAttribute("aria-expanded", "false");

  let matches = []; // names offered, best first
  let active = -1;
  let start = -1; // index of the "@" being completed
  let accepting = false;

  function candidates(query) {
    const seen = new Set();
    const found = [];
    for (const person of people()) {
      const key = person.name.toLocaleLowerCase();
      if (seen.has(key) || person.id === me.id || key === me.name.toLocaleLowerCase()) continue;
      seen.add(key);
      const rank = matchRank(person.name, query);
      if (rank >= 0) found.push({ name: person.name, rank, order: found.length });
    }
    found.sort((a, b) => a.rank - b.rank || a.order - b.order);
    return found.slice(0, MAX_SUGGESTIONS).map((f) => f.name);
  }

  function close() {
    if (box.hidden) return;
    box.hidden = true;
    box.replaceChildren();
    matches = [];
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    status.textContent = "";
  }

  function setActive(index) {
    active = index;
    [...box.children].forEach((option, i) => option.setAttribute("aria-selected", String(i === index)));
    const option = box.children[index];
    input.setAttribute("aria-activedescendant", option.id);
    option.scrollIntoView({ block: "nearest" });
  }

  // Fixed to the textarea, above it when there is room (the composer sits low on the
  // screen), so the popup never shifts the layout around it.
  function position() {
    const rect = input.getBoundingClientRect();
    const above = rect.top;
    const below = window.innerHeight - rect.bottom;
    box.style.left = `${rect.left}px`;
    box.style.width = `${rect.width}px`;
    if (above >= below) {
      box.style.top = "";
      box.style.bottom = `${window.innerHeight - rect.top + 4}px`;
      box.style.maxHeight = `${Math.max(above - 8, 48)}px`;
    } else {
      box.style.bottom = "";
      box.style.top = `${rect.bottom + 4}px`;
      box.style.maxHeight = `${Math.max(below - 8, 48)}px`;
    }
  }

  function open(names) {
    const same = names.length === matches.length && names.every((n, i) => n === matches[i]);
    if (same && !box.hidden) return;
    matches = names;
    box.replaceChildren(...names.map((name, i) => {
      const option = make("li", "mention-option", name);
      option.id = `${listId}-${i}`;
      option.setAttribute("role", "option");
      return option;
    }));
    box.hidden = false;
    input.setAttribute("aria-expanded", "true");
    position();
    setActive(0);
    status.textContent = `${names.length} ${names.length === 1 ? "suggestion" : "suggestions"}`;
  }

  function update() {
    const caret = input.selectionStart;
    if (caret !== input.selectionEnd) {
      close();
      return;
    }
    const typed = TYPING_MENTION.exec(input.value.slice(0, caret));
    const names = typed ? candidates(typed[1]) : [];
    if (names.length === 0) {
      close();
      return;
    }
    start = caret - typed[1].length - 1;
    open(names);
  }

  // "@par|" becomes "@Full Name |"; the caret stays after the space.
  function accept(index) {
    const name = matches[index];
    const caret = input.selectionStart;
    const after = input.value.slice(caret);
    const insert = `@${name}${/^\s/.test(after) ? "" : " "}`;
    input.value = input.value.slice(0, start) + insert + after;
    const at = start + insert.length + (/^\s/.test(after) ? 1 : 0);
    input.setSelectionRange(at, at);
    close();
    // The counter and the confidentiality check follow the text through "input"; the
    // list stays closed until the writer types again.
    accepting = true;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    accepting = false;
  }

  input.addEventListener("input", (event) => {
    if (event.isComposing || accepting) return;
    update();
  });
  input.addEventListener("click", update);
  input.addEventListener("blur", close);
  // Listening on the form while capturing runs before the textarea's own handlers
  // (Enter sends the message there), so Enter can pick a name instead.
  (input.form || input.parentElement).addEventListener("keydown", (event) => {
    if (event.target !== input) return;
    if (CARET_KEYS.has(event.key)) {
      setTimeout(update, 0); // the caret moves after this event
      return;
    }
    if (box.hidden || event.isComposing || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "ArrowDown") {
      setActive((active + 1) % matches.length);
    } else if (event.key === "ArrowUp") {
      setActive((active - 1 + matches.length) % matches.length);
    } else if ((event.key === "Enter" || event.key === "Tab") && !event.shiftKey) {
      accept(active);
    } else if (event.key === "Escape") {
      close();
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  }, true);
  // Pressing an option must not take focus from the textarea (which would close the list).
  box.addEventListener("mousedown", (event) => event.preventDefault());
  box.addEventListener("click", (event) => {
    const option = event.target.closest("[role=option]");
    if (option) accept([...box.children].indexOf(option));
  });
  window.addEventListener("resize", () => {
    if (!box.hidden) position();
  });
  document.addEventListener("scroll", () => {
    if (!box.hidden) position();
  }, { capture: true, passive: true });

  return {
    // Who is in the room now, as {id, name} (only staff are sent the names).
    setPresent(list) {
      present = Array.isArray(list) ? list : [];
    },
  };
}
