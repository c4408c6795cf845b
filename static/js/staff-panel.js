// The facilitator panel: the run sheet, the room's controls and the backstage channel.
// room.js mounts it when the join ack says this person is staff of the session (a
// facilitator of it, or an organiser) and removes it when a re-join says otherwise. The
// server authorises every event; hiding the panel from members is a convenience only.
//
// Each control is disabled while its event is in flight and says how it went in the
// status line beside it. Buttons are disabled with aria-disabled rather than `disabled`,
// so a keyboard or screen reader user's focus stays on the button they pressed.
import { button, excerpt, make, newClientId, renderBody, setTime } from "./common.js";
import { createModerationQueue } from "./moderation-queue.js";

const OPEN_STATES = new Set(["lobby", "live"]);
const ROLE_NAMES = { facilitator: "Facilitator", organiser: "Organiser" };

export function createStaffPanel({ sessionId, request, online, slot, template, onRoom, onState, onLeave }) {
  let root = null; // the mounted panel, or null
  let els = {};
  let room = null; // the `room` controls
  let state = null; // the session's `state`
  let sheet = null; // the `run_sheet`
  const items = new Map(); // prompt id -> its run sheet <li>
  const notes = new Map(); // backstage note id -> its <li>
  // An announcement or note keeps its client_id until the server has it, so pressing
  // the button again after a timeout cannot post it twice.
  let announceDraft = null;
  let noteDraft = null;
  let reports = null; // the live queue of reports (moderation-queue.js) while mounted

  // ---- small helpers --------------------------------------------------------------------

  function usable(el) {
    return el.tagName === "BUTTON" ? el.getAttribute("aria-disabled") !== "true" : !el.disabled;
  }

  function setUsable(el, on) {
    const off = !on || Boolean(el.dataset.busy);
    if (el.tagName === "BUTTON") el.setAttribute("aria-disabled", String(off));
    else el.disabled = off;
  }

  function showStatus(node, text, isError = false) {
    node.classList.toggle("error", isError);
    if (node.textContent !== text) node.textContent = text || "";
  }

  function clearErrors(...nodes) {
    for (const node of nodes) if (node.classList.contains("error")) showStatus(node, "");
  }

  // Send `event` for `control`: it is disabled meanwhile, and the outcome (the server's
  // message, or `success`) is shown in `status`.
  async function act(control, status, event, payload, success, successStatus = status) {
    if (!root || control.dataset.busy || !usable(control)) return null;
    if (!online()) {
      showStatus(status, "You are offline; try again once the connection is back.", true);
      render(); // a select or checkbox shows the room's value again
      return null;
    }
    const hadFocus = document.activeElement === control;
    control.dataset.busy = "1";
    setUsable(control, false);
    showStatus(status, "");
    const ack = await request(event, { session_id: sessionId, ...payload });
    delete control.dataset.busy;
    if (!root) return ack; // the panel went away meanwhile (roles changed)
    if (ack.ok) {
      if (ack.room) onRoom(ack.room);
      if (ack.state) onState(ack.state);
      if (ack.run_sheet) applyRunSheet(ack.run_sheet);
      const text = typeof success === "function" ? success(ack) : success;
      if (successStatus !== status) showStatus(status, "");
      showStatus(successStatus, text || "");
    } else {
      showStatus(status, `Not done: ${ack.error.message}`, true);
    }
    render();
    // A select or checkbox was really disabled, which drops focus; give it back.
    if (hadFocus && document.activeElement === document.body && usable(control)) control.focus();
    return ack;
  }

  function onPress(el, handler) {
    el.addEventListener("click", (event) => {
      if (!usable(el)) {
        event.preventDefault();
        return;
      }
      handler(event);
    });
  }

  // ---- mounting -------------------------------------------------------------------------

  function mount() {
    slot.append(template.content.cloneNode(true));
    root = slot.querySelector("#staff-panel");
    slot.parentElement.classList.add("has-panel");
    reports = createModerationQueue({ sessionId, request, online });
    root.querySelector(".panel-intro").after(reports.element);
    const q = (id) => root.querySelector(`#${id}`);
    els = {
      postNext: q("post-next"),
      previous: q("previous-prompt"),
      skip: q("skip-prompt"),
      extend: [q("extend-prompt-2"), q("extend-prompt-5")],
      autoAdvance: q("auto-advance"),
      steerStatus: q("steer-status"),
      runSheet: q("run-sheet"),
      runSheetEmpty: q("run-sheet-empty"),
      lock: q("lock-button"),
      lockHint: q("lock-hint"),
      lockStatus: q("lock-status"),
      slowMode: q("slow-mode"),
      slowStatus: q("slow-mode-status"),
      announceForm: q("announce-form"),
      announceInput: q("announce-input"),
      announceButton: q("announce-button"),
      announceStatus: q("announce-status"),
      openRoom: q("open-room"),
      endSession: q("end-session"),
      extendForm: q("extend-form"),
      extendMinutes: q("extend-minutes"),
      extendSession: q("extend-session"),
      sessionStatus: q("session-status"),
      notes: q("backstage-list"),
      notesEmpty: q("backstage-empty"),
      noteForm: q("backstage-form"),
      noteInput: q("backstage-input"),
      noteSend: q("backstage-send"),
      noteStatus: q("backstage-status"),
    };
    wire();
  }

  function unmount() {
    if (!root) return;
    const hadFocus = root.contains(document.activeElement);
    slot.replaceChildren();
    slot.parentElement.classList.remove("has-panel");
    root = null;
    els = {};
    reports = null;
    items.clear();
    notes.clear();
    announceDraft = null;
    noteDraft = null;
    if (hadFocus) onLeave();
  }

  function steeringErrors() {
    clearErrors(els.steerStatus, ...[...items.values()].map((li) => li.querySelector(".control-status")));
  }

  function wire() {
    onPress(els.postNext, () => {
      steeringErrors();
      // Name the prompt: a click racing auto-advance then gets `conflict` instead of
      // posting the one after it.
      act(els.postNext, els.steerStatus, "post_prompt", { prompt_id: sheet.next_id }, posted);
    });
    onPress(els.previous, () => {
      steeringErrors();
      act(els.previous, els.steerStatus, "previous_prompt", {}, (ack) =>
        ack.room.current_prompt ? `Back to Q${ack.room.current_prompt.number}.` : "Gone back.");
    });
    onPress(els.skip, () => {
      steeringErrors();
      const next = nextPrompt();
      act(els.skip, els.steerStatus, "skip_prompt", {},
        next ? `Skipped “${excerpt(next.body, 60)}”. You can still post it from the run sheet.` : "Skipped.");
    });
    for (const b of els.extend) {
      onPress(b, () => {
        steeringErrors();
        const minutes = Number(b.dataset.minutes);
        act(b, els.steerStatus, "extend_prompt", { minutes }, (ack) =>
          `Q${ack.room.current_prompt.number} has ${minutes} more minutes.`);
      });
    }
    els.autoAdvance.addEventListener("change", () => {
      const enabled = els.autoAdvance.checked;
      act(els.autoAdvance, els.steerStatus, "set_auto_advance", { enabled },
        enabled ? "Auto-advance is on: the next question is posted when the time is up." : "Auto-advance is off.");
    });
    els.runSheet.addEventListener("click", (event) => {
      const b = event.target.closest("button[data-action='post']");
      if (!b || !usable(b)) return;
      const li = b.closest("li");
      steeringErrors();
      act(b, li.querySelector(".control-status"), "post_prompt",
        { prompt_id: Number(li.dataset.promptId) }, posted, els.steerStatus);
    });

    onPress(els.lock, () => {
      const locked = !(room && room.locked);
      act(els.lock, els.lockStatus, "set_locked", { locked },
        locked ? "Room locked: members can read but not write." : "Room unlocked: members can write again.");
    });
    els.slowMode.addEventListener("change", () => {
      const seconds = Number(els.slowMode.value);
      act(els.slowMode, els.slowStatus, "set_slow_mode", { seconds },
        seconds ? `Slow mode on: members may send one message every ${seconds} seconds.` : "Slow mode off.");
    });
    els.announceForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const body = els.announceInput.value.trim();
      if (!body) {
        showStatus(els.announceStatus, "Write the announcement first.", true);
        els.announceInput.focus();
        return;
      }
      if (!announceDraft || announceDraft.body !== body) announceDraft = { body, clientId: newClientId() };
      act(els.announceButton, els.announceStatus, "announce",
        { body, client_id: announceDraft.clientId }, "Announcement posted.").then((ack) => {
        if (ack && ack.ok) {
          announceDraft = null;
          if (els.announceInput && els.announceInput.value.trim() === body) els.announceInput.value = "";
        }
      });
    });
    onPress(els.openRoom, () => {
      act(els.openRoom, els.sessionStatus, "open_room", {}, "The room is open. It is live now.");
    });
    els.extendForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const minutes = Number(els.extendMinutes.value);
      if (!Number.isInteger(minutes) || minutes < 1 || minutes > 120) {
        showStatus(els.sessionStatus, "Extend by a whole number of minutes from 1 to 120.", true);
        els.extendMinutes.focus();
        return;
      }
      act(els.extendSession, els.sessionStatus, "extend_session", { minutes },
        `The session now runs ${minutes} minutes longer.`);
    });
    onPress(els.endSession, () => {
      if (!window.confirm("End the session for everyone now? The room becomes read-only.")) return;
      act(els.endSession, els.sessionStatus, "end_session", {}, "The session has ended.");
    });

    els.noteForm.addEventListener("submit", (event) => {
      event.preventDefault();
      sendNote();
    });
    els.noteInput.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing
          && !event.altKey && !event.ctrlKey && !event.metaKey) {
        event.preventDefault();
        sendNote();
      }
    });
  }

  function posted(ack) {
    if (ack.message && ack.message.prompt) return `Posted as Q${ack.message.prompt.number}.`;
    const current = ack.room && ack.room.current_prompt;
    return current ? `Q${current.number} is the current question again.` : "Done.";
  }

  function nextPrompt() {
    if (!sheet || !sheet.next_id) return null;
    return sheet.prompts.find((p) => p.id === sheet.next_id) || null;
  }

  // ---- rendering ------------------------------------------------------------------------

  function render() {
    if (!root) return;
    const open = Boolean(state && OPEN_STATES.has(state.state));
    const current = room && room.current_prompt;
    const next = nextPrompt();

    if (next) {
      const text = make("span", "post-next-text", next.body);
      if (els.postNext.textContent !== `Post next: ${next.body}`) {
        els.postNext.replaceChildren(make("span", "post-next-label", "Post next: "), text);
      }
    } else {
      const none = sheet && sheet.prompts.length ? "No more prompts to post" : "No prompts to post yet";
      if (els.postNext.textContent !== none) els.postNext.replaceChildren(none);
    }
    setUsable(els.postNext, open && Boolean(next));
    setUsable(els.previous, open && Boolean(current) && current.number > 1);
    setUsable(els.skip, open && Boolean(next));
    for (const b of els.extend) setUsable(b, open && Boolean(current));
    els.autoAdvance.checked = Boolean(room && room.auto_advance);
    setUsable(els.autoAdvance, Boolean(room));

    const locked = Boolean(room && room.locked);
    els.lock.textContent = locked ? "Unlock room" : "Lock room";
    els.lock.classList.toggle("is-on", locked);
    els.lockHint.textContent = locked
      ? "The room is locked: members can read but not write or react. You can still write."
      : "Locking pauses the chat: members can read but not write or react.";
    setUsable(els.lock, Boolean(room));

    const seconds = room ? room.slow_mode_seconds : 0;
    if (![...els.slowMode.options].some((o) => Number(o.value) === seconds)) {
      els.slowMode.append(new Option(`${seconds} s`, String(seconds)));
    }
    if (!els.slowMode.dataset.busy) els.slowMode.value = String(seconds);
    setUsable(els.slowMode, Boolean(room));

    setUsable(els.announceButton, open);
    setUsable(els.noteSend, true);
    const before = Boolean(state) && (state.state === "scheduled" || state.state === "lobby");
    els.openRoom.hidden = !before;
    setUsable(els.openRoom, before);
    setUsable(els.endSession, open);
    setUsable(els.extendSession, open);
    els.extendMinutes.disabled = !open;

    renderRunSheet(open, current);
  }

  function buildItem(id) {
    const li = make("li", "rs-item");
    li.dataset.promptId = String(id);
    const head = make("p", "rs-head");
    head.append(make("span", "rs-status"), " ", make("span", "rs-minutes"));
    const actions = make("div", "rs-actions");
    const status = make("span", "control-status");
    status.setAttribute("role", "status");
    actions.append(button("", "chip rs-post", "post"), status);
    li.append(head, make("p", "rs-body"), actions);
    return li;
  }

  function updateItem(li, p, position, open, current) {
    let status = "Upcoming";
    let kind = "upcoming";
    if (current && current.id === p.id) {
      status = `Q${p.number} · current`;
      kind = "current";
    } else if (p.number !== null && p.number !== undefined) {
      status = `Posted as Q${p.number}`;
      kind = "posted";
    } else if (p.skipped) {
      status = "Skipped";
      kind = "skipped";
    } else if (sheet.next_id === p.id) {
      status = "Next";
      kind = "next";
    }
    li.dataset.status = kind;
    const set = (selector, text) => {
      const node = li.querySelector(selector);
      if (node.textContent !== text) node.textContent = text;
    };
    set(".rs-status", status);
    set(".rs-minutes", `${p.duration_minutes} min`);
    set(".rs-body", p.body);
    const post = li.querySelector(".rs-post");
    post.hidden = kind === "current";
    const label = kind === "posted" ? "Make current" : "Post";
    const hidden = kind === "posted" ? ` (Q${p.number})` : ` prompt ${position}`;
    if (post.textContent !== label + hidden) {
      post.replaceChildren(label, make("span", "visually-hidden", hidden));
    }
    setUsable(post, open);
  }

  function renderRunSheet(open, current) {
    const prompts = sheet ? sheet.prompts : [];
    els.runSheetEmpty.hidden = prompts.length > 0;
    const keep = new Set();
    let ref = els.runSheet.firstElementChild;
    prompts.forEach((p, index) => {
      let li = items.get(p.id);
      if (!li) {
        li = buildItem(p.id);
        items.set(p.id, li);
      }
      keep.add(p.id);
      updateItem(li, p, index + 1, open, current);
      // Move only what is out of place, so a focused button keeps its focus.
      if (li === ref) ref = ref.nextElementSibling;
      else els.runSheet.insertBefore(li, ref);
    });
    for (const [id, li] of items) {
      if (!keep.has(id)) {
        li.remove();
        items.delete(id);
      }
    }
  }

  // ---- backstage ------------------------------------------------------------------------

  function addNote(note) {
    if (!root || !note || note.session_id !== sessionId || notes.has(note.id)) return;
    const li = make("li", "note");
    li.dataset.id = String(note.id);
    const meta = make("p", "note-meta");
    meta.append(make("span", "msg-author", note.author.name));
    const role = ROLE_NAMES[note.author.role];
    if (role) meta.append(" ", make("span", `role-badge role-${note.author.role}`, role));
    const time = make("time", "msg-time");
    setTime(time, note.created_at);
    meta.append(" ", time);
    const body = make("p", "note-body");
    renderBody(body, note.body);
    li.append(meta, body);
    const list = els.notes;
    const stick = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    let ref = null;
    for (let node = list.lastElementChild; node; node = node.previousElementSibling) {
      if (Number(node.dataset.id) < note.id) break;
      ref = node;
    }
    list.insertBefore(li, ref);
    notes.set(note.id, li);
    els.notesEmpty.hidden = true;
    if (stick) list.scrollTop = list.scrollHeight;
  }

  async function sendNote() {
    const body = els.noteInput.value.trim();
    if (!body) {
      showStatus(els.noteStatus, "Write the note first.", true);
      return;
    }
    if (!noteDraft || noteDraft.body !== body) noteDraft = { body, clientId: newClientId() };
    const ack = await act(els.noteSend, els.noteStatus, "backstage_send",
      { body, client_id: noteDraft.clientId }, "");
    if (ack && ack.ok && root) {
      noteDraft = null;
      addNote(ack.message);
      if (els.noteInput.value.trim() === body) els.noteInput.value = "";
    }
  }

  // ---- what room.js calls ---------------------------------------------------------------

  function applyRunSheet(next) {
    if (!next || next.session_id !== sessionId) return;
    sheet = next;
    render();
  }

  return {
    get mounted() {
      return root !== null;
    },
    // After every join: mount or unmount for the role, and take the ack's values.
    sync(isStaff, ack) {
      if (!isStaff) {
        unmount();
        return;
      }
      if (!root) mount();
      state = ack.state;
      room = ack.room;
      sheet = ack.run_sheet;
      for (const note of ack.backstage || []) addNote(note);
      reports.sync(ack.reports);
      render();
    },
    applyRoom(next) {
      room = next;
      render();
    },
    applyState(next) {
      state = next;
      render();
    },
    applyRunSheet,
    addNote,
    // A report was filed, resolved or dismissed (the staff-only `report` event).
    applyReport(report) {
      if (reports) reports.apply(report);
    },
  };
}
