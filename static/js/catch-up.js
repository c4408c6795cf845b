// Catching up without being overwhelmed (WCAG 2.2.2): the reader may pause live updates, so
// new messages wait instead of moving the chat; and when they have scrolled up to read,
// new messages go in below without moving their view. Either way one button says how many
// new messages there are and takes the reader to them.
//
// room.js keeps owning the messages: a held message is built and known (so reconnects and
// gap checks treat it as received) but not yet placed in the list. This module only
// decides what waits, counts it, and asks room.js to place it (`reveal`).
import { button, make } from "./common.js";

const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

function noun(n) {
  return n === 1 ? "message" : "messages";
}

/**
 * The pause toggle (appended to `toolbar`) and the "N new messages" bar (after `log`).
 * `reveal(ids)` places held messages, oldest first; `visible(id)` says whether a message
 * passes the chat's filter (hidden ones are not counted); `nearBottom()` whether the log
 * shows its newest message; `say(text)` writes the chat's status line.
 */
export function createCatchUp({ log, toolbar, reveal, visible, nearBottom, say }) {
  const held = new Set(); // ids waiting while paused, in arrival order
  const below = new Set(); // ids placed below the view of a reader who scrolled up
  let paused = false;
  let atBottom = true; // from the last scroll, so a burst of arrivals is judged by one view

  // One name whatever the state, as a toggle's should be: aria-pressed says whether it is on.
  const toggle = button("Pause live updates", "quiet catch-up-pause");
  toggle.setAttribute("aria-pressed", "false");
  toolbar.append(toggle);

  const bar = make("div", "catch-up-bar");
  bar.hidden = true;
  const note = make("p", "catch-up-note muted", "Live updates are paused.");
  const jump = button("", "catch-up-jump");
  bar.append(note, jump);
  log.after(bar);

  function count() {
    let n = 0;
    for (const id of held) if (visible(id)) n += 1;
    for (const id of below) if (visible(id)) n += 1;
    return n;
  }

  function render() {
    const n = count();
    note.hidden = !paused || n > 0;
    jump.hidden = n === 0;
    bar.hidden = note.hidden && jump.hidden;
    if (n === 0 && document.activeElement === jump) log.focus({ preventScroll: true });
    const text = `${n} new ${noun(n)} — show ${n === 1 ? "it" : "them"}`;
    if (jump.textContent !== text) jump.textContent = text;
  }

  function toEnd() {
    log.scrollTo({ top: log.scrollHeight, behavior: reduceMotion.matches ? "auto" : "smooth" });
  }

  // Place what waited and go to the newest; returns how many the reader can see.
  function showAll() {
    const n = count();
    if (held.size) reveal([...held].sort((a, b) => a - b));
    held.clear();
    below.clear();
    toEnd();
    render();
    return n;
  }

  function pause() {
    paused = true;
    toggle.setAttribute("aria-pressed", "true");
    render();
    say("Live updates paused. New messages will wait below the chat until you show them.");
  }

  // Live again (the toggle, or sending a message as in Slack): everything waiting shows.
  function resume() {
    if (!paused) return;
    paused = false;
    toggle.setAttribute("aria-pressed", "false");
    const n = showAll();
    say(n ? `Live updates resumed. Showing ${n} new ${noun(n)}.` : "Live updates resumed.");
  }

  toggle.addEventListener("click", () => (paused ? resume() : pause()));

  // The bar's button shows what waited but leaves a pause on: the reader chose that pace.
  jump.addEventListener("click", () => {
    log.focus({ preventScroll: true });
    const n = showAll();
    say(`Showing ${n} new ${noun(n)}.`);
  });

  log.addEventListener("scroll", () => {
    atBottom = nearBottom();
    if (atBottom && below.size) {
      below.clear();
      render();
    }
  }, { passive: true });

  return {
    /** A new message from someone else arrived: true when it must wait (paused). */
    holds(id) {
      if (paused) {
        held.add(id);
      } else if (!atBottom) {
        below.add(id);
      } else {
        return false;
      }
      render();
      return paused;
    },
    /** The message was deleted: it no longer counts, and a held one never shows. */
    drop(id) {
      if (held.delete(id) || below.delete(id)) render();
    },
    /** Count again (the filter changed). */
    refresh: render,
    resume,
  };
}
