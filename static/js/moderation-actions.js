// Moderation in the room: authors edit their messages for 5 minutes; staff remove messages
// (with a reason), edit with a note, mark messages sensitive, and mute, remove or ban
// members, each with its undo. Also how changed messages look: "Removed by a moderator",
// "(edited)", a moderator's note, and sensitive messages collapsed for members.
// Protocol: docs/protocol.md. Text only ever enters the page through textContent.
import { button, make } from "./common.js";
import { formatLocal } from "./local-time.js";

const EDIT_WINDOW_MS = 5 * 60 * 1000;
const MAX_BODY = 2000;
const MUTE_CHOICES = [10, 30, 60];

// What the member is told, calmly, when a moderator acted on them or their message.
function noticeText(n) {
  const why = n.reason ? `: ${n.reason}` : ".";
  switch (n.action) {
    case "delete_message": return `A moderator removed your message${why}`;
    case "restore_message": return "A moderator restored your message.";
    case "edit_message": return `A moderator edited your message${why}`;
    case "mark_sensitive": return "A facilitator marked your message as sensitive: others see it collapsed until they open it.";
    case "mute": return `You are muted in this session until ${formatLocal(new Date(n.until))}${why} You can still read.`;
    case "unmute": return "Your mute was lifted: you can write again.";
    case "remove": return `You were removed from this session${why}`;
    case "readmit": return "You may take part in this session again.";
    case "ban": return `An organiser suspended your account from the community${why}`;
    default: return "";
  }
}

export function createModeration({ sessionId, request, online, me, isStaff, isOrganiser, serverNow, list, after, onMessage, onWarning, rejoin }) {
  const opened = new Set(); // sensitive messages this reader chose to show, for the page's life
  let sanctions = [];

  // ---- the member's notice and the staff's list of sanctions ----------------------------
  const notice = make("p", "moderation-notice");
  notice.id = "moderation-notice";
  notice.setAttribute("role", "status");
  notice.hidden = true;
  const sanctionsBox = make("section", "sanctions");
  sanctionsBox.setAttribute("aria-labelledby", "sanctions-heading");
  const sanctionsHeading = make("h3", "", "Muted and removed members");
  sanctionsHeading.id = "sanctions-heading";
  const sanctionsList = make("ul", "sanctions-list");
  const sanctionsStatus = make("p", "control-status");
  sanctionsStatus.setAttribute("role", "status");
  sanctionsBox.append(sanctionsHeading, sanctionsList, sanctionsStatus);
  sanctionsBox.hidden = true;
  after.after(notice, sanctionsBox);

  function showNotice(n) {
    if (!n || (n.session_id !== sessionId && n.action !== "ban")) return;
    const text = noticeText(n);
    if (!text) return;
    notice.textContent = text;
    notice.hidden = false;
    if (n.action === "readmit") rejoin();
  }

  function renderSanctions() {
    sanctionsBox.hidden = !isStaff() || sanctions.length === 0;
    sanctionsList.replaceChildren(...sanctions.map((s) => {
      const li = make("li", "sanction");
      const what = s.kind === "mute" ? `muted until ${formatLocal(new Date(s.until))}` : "removed from this session";
      li.append(make("strong", "", s.user.name), ` ${what}: `, make("span", "", s.reason), " ");
      const undo = button(s.kind === "mute" ? "Unmute" : "Readmit", "chip staff-action");
      undo.dataset.userId = String(s.user.id);
      undo.dataset.event = s.kind === "mute" ? "unmute_member" : "readmit_member";
      undo.append(make("span", "visually-hidden", ` ${s.user.name}`));
      li.append(undo);
      return li;
    }));
  }

  sanctionsList.addEventListener("click", async (event) => {
    const b = event.target.closest("button[data-event]");
    if (!b || b.dataset.busy) return;
    b.dataset.busy = "1";
    const ack = await request(b.dataset.event, { session_id: sessionId, user_id: Number(b.dataset.userId) });
    delete b.dataset.busy;
    sanctionsStatus.textContent = ack.ok ? "Done." : `Not done: ${ack.error.message}`;
  });

  function applySanctions(event) {
    if (!event || event.session_id !== sessionId) return;
    sanctions = event.sanctions || [];
    renderSanctions();
  }

  // ---- how a message looks ----------------------------------------------------------------
  function ownEditable(li) {
    return li.dataset.status === "sent" && Number(li.dataset.authorId) === me.id
      && !li.classList.contains("msg-removed")
      && serverNow() - Date.parse(li.dataset.createdAt) < EDIT_WINDOW_MS;
  }

  function setSensitiveOpen(li, open) {
    const body = li.querySelector(".msg-body");
    const toggle = li.querySelector(".sensitive-toggle");
    if (!body || !toggle) return;
    body.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    toggle.textContent = open ? "Hide" : "Show";
  }

  // Called for every message built; `li` has the room's usual parts.
  function decorate(li, message) {
    li.dataset.createdAt = message.created_at;
    li.dataset.sensitive = message.sensitive ? "true" : "";
    const body = li.querySelector(".msg-body");
    if (message.removed) {
      li.classList.add("msg-removed");
      body.replaceChildren(make("span", "removed-label", "Removed by a moderator"));
    } else {
      if (message.edited) {
        const mark = make("span", "edited-mark", "(edited)");
        if (message.edited_at) mark.title = `Edited ${formatLocal(new Date(message.edited_at))}`;
        li.querySelector(".msg-meta").append(" ", mark);
      }
      if (message.moderator_note) {
        body.after(make("p", "moderator-note", `Edited by a moderator: ${message.moderator_note}`));
      }
      if (message.sensitive) {
        body.id = `msg-body-${message.id}`;
        const note = make("p", "sensitive-note");
        if (isStaff()) {
          note.append(make("span", "sensitive-marker", "Marked sensitive"), " (members see it collapsed)");
        } else {
          const toggle = button("Show", "chip sensitive-toggle");
          toggle.dataset.mod = "toggle-sensitive";
          toggle.setAttribute("aria-controls", body.id);
          note.append("Sensitive content — marked by the facilitator. ", toggle);
        }
        body.before(note);
        if (!isStaff()) setSensitiveOpen(li, opened.has(message.id));
      }
    }
    const bar = li.querySelector(".msg-actions");
    const edit = button("Edit", "chip edit-button");
    edit.dataset.mod = "edit";
    const mark = button(message.sensitive ? "Unmark sensitive" : "Mark sensitive", "chip sensitive-button staff-action");
    mark.dataset.mod = "sensitive";
    const moderate = button("Moderate…", "chip moderate-button staff-action");
    moderate.dataset.mod = "moderate";
    moderate.setAttribute("aria-haspopup", "dialog");
    const restore = button("Restore", "chip restore-button staff-action");
    restore.dataset.mod = "restore";
    bar.append(edit, mark, moderate, restore);
  }

  // Called whenever the room re-checks a message's buttons (role, window, room state).
  function sync(li) {
    const edit = li.querySelector(".edit-button");
    if (!edit) return;
    const staff = isStaff();
    const stored = li.dataset.status === "sent";
    const removed = li.classList.contains("msg-removed");
    const others = Number(li.dataset.authorId) !== me.id;
    edit.hidden = !(ownEditable(li) || (staff && others && stored && !removed));
    edit.classList.toggle("staff-action", staff && others); // editing someone else's words
    li.querySelector(".sensitive-button").hidden = !staff || !stored || removed;
    li.querySelector(".moderate-button").hidden = !staff || !stored || removed || !others;
    li.querySelector(".restore-button").hidden = !staff || !removed;
    // Staff remove someone else's message through "Moderate…", which asks why.
    const del = li.querySelector(".delete-button");
    if (del && (removed || (staff && others))) del.hidden = true;
    if (del && !staff && !others && !ownEditable(li)) del.hidden = true;
  }

  // The edit window closes while the page is open: take the buttons away when it does.
  setInterval(() => {
    for (const li of list.querySelectorAll("li.msg-mine")) sync(li);
  }, 10000);

  // ---- inline editing ---------------------------------------------------------------------
  function openEditor(li, message) {
    if (li.querySelector(".msg-editor")) return;
    const withNote = Number(li.dataset.authorId) !== me.id;
    const id = message.id;
    const form = make("form", "msg-editor");
    form.noValidate = true;
    const area = make("textarea");
    area.id = `edit-${id}`;
    area.rows = 3;
    area.value = message.body;
    const label = make("label", "", withNote ? "Edit this message" : "Edit your message");
    label.htmlFor = area.id;
    form.append(label, area);
    let noteInput = null;
    if (withNote) {
      noteInput = make("input");
      noteInput.id = `edit-note-${id}`;
      noteInput.maxLength = 300;
      const noteLabel = make("label", "", "Note shown to everyone (required)");
      noteLabel.htmlFor = noteInput.id;
      form.append(noteLabel, noteInput);
    }
    const save = make("button", "", "Save");
    save.type = "submit";
    const cancel = button("Cancel", "quiet");
    const error = make("p", "error");
    error.setAttribute("role", "alert");
    const row = make("div", "button-row");
    row.append(save, cancel);
    form.append(row, error);
    const body = li.querySelector(".msg-body");
    body.hidden = true;
    body.after(form);
    area.focus();

    const close = () => {
      form.remove();
      body.hidden = li.dataset.sensitive === "true" && !isStaff() && !opened.has(id);
      li.querySelector(".edit-button").focus();
    };
    cancel.addEventListener("click", close);
    form.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = area.value.trim();
      if (!text || [...text].length > MAX_BODY) {
        error.textContent = `Write 1 to ${MAX_BODY.toLocaleString("en-GB")} characters.`;
        return;
      }
      if (withNote && !noteInput.value.trim()) {
        error.textContent = "Add a note: everyone sees why it was edited.";
        noteInput.focus();
        return;
      }
      if (!online()) {
        error.textContent = "You are offline; try again once the connection is back.";
        return;
      }
      const payload = { session_id: sessionId, message_id: id, body: text };
      if (withNote) payload.note = noteInput.value.trim();
      save.disabled = true;
      const ack = await request("edit_message", payload);
      save.disabled = false;
      if (!ack.ok) {
        error.textContent = `Not saved: ${ack.error.message}`;
        return;
      }
      onMessage(ack.message);
      if (ack.warning) onWarning(ack.warning); // the edit may identify a client: say so
    });
  }

  // ---- the "Moderate…" dialog -------------------------------------------------------------
  const dialog = make("dialog", "mod-dialog");
  dialog.setAttribute("aria-labelledby", "mod-dialog-heading");
  const dialogForm = make("form");
  dialogForm.method = "dialog";
  dialogForm.noValidate = true;
  const heading = make("h2", "", "Moderate");
  heading.id = "mod-dialog-heading";
  const choices = make("fieldset", "mod-choices");
  const legend = make("legend", "", "What to do");
  const reasonInput = make("textarea");
  reasonInput.id = "mod-reason";
  reasonInput.rows = 2;
  reasonInput.maxLength = 300;
  const reasonLabel = make("label", "", "Reason (the member is told it)");
  reasonLabel.htmlFor = reasonInput.id;
  const dialogError = make("p", "error");
  dialogError.setAttribute("role", "alert");
  const confirm = make("button", "danger", "Confirm");
  confirm.type = "submit";
  const dismiss = button("Cancel", "quiet");
  const row = make("div", "button-row");
  row.append(confirm, dismiss);
  dialogForm.append(heading, choices, reasonLabel, reasonInput, dialogError, row);
  dialog.append(dialogForm);
  document.body.append(dialog);
  let target = null; // { message, li, opener }

  function choice(value, text) {
    const id = `mod-choice-${value}`;
    const wrap = make("p", "check-row");
    const radio = make("input");
    radio.type = "radio";
    radio.name = "mod-action";
    radio.value = value;
    radio.id = id;
    const label = make("label", "", text);
    label.htmlFor = id;
    wrap.append(radio, label);
    return wrap;
  }

  function openDialog(message, li, opener) {
    target = { message, li, opener };
    const name = message.author.name;
    heading.textContent = `Moderate ${name}'s message`;
    const options = [choice("remove_message", "Remove this message (others see “Removed by a moderator”)")];
    for (const minutes of MUTE_CHOICES) options.push(choice(`mute:${minutes}`, `Mute ${name} for ${minutes} minutes`));
    options.push(choice("remove_member", `Remove ${name} from this session`));
    if (isOrganiser()) options.push(choice("ban_member", `Ban ${name} from the community`));
    choices.replaceChildren(legend, ...options);
    choices.querySelector("input").checked = true;
    reasonInput.value = "";
    dialogError.textContent = "";
    dialog.showModal();
    reasonInput.focus();
  }

  dismiss.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    if (target && target.opener.isConnected) target.opener.focus();
    target = null;
  });
  dialogForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!target) return;
    const picked = choices.querySelector("input:checked").value;
    const reason = reasonInput.value.trim();
    if (!reason) {
      dialogError.textContent = "Give a reason: the member is told it.";
      reasonInput.focus();
      return;
    }
    if (!online()) {
      dialogError.textContent = "You are offline; try again once the connection is back.";
      return;
    }
    const { message } = target;
    const base = { session_id: sessionId };
    let ack;
    confirm.disabled = true;
    if (picked === "remove_message") {
      ack = await request("delete_message", { ...base, message_id: message.id, reason });
    } else if (picked.startsWith("mute:")) {
      const minutes = Number(picked.slice(5));
      ack = await request("mute_member", { ...base, user_id: message.author.id, minutes, reason });
    } else {
      ack = await request(picked, { ...base, user_id: message.author.id, reason });
    }
    confirm.disabled = false;
    if (!ack.ok) {
      dialogError.textContent = `Not done: ${ack.error.message}`;
      return;
    }
    const status = target.li.querySelector(".msg-status");
    dialog.close();
    if (status && status.isConnected) status.replaceChildren(make("span", "msg-done", "Done."));
  });

  // ---- clicks on the message buttons ------------------------------------------------------
  async function simple(li, b, event, payload) {
    if (!online() || b.dataset.busy) return;
    b.dataset.busy = "1";
    const ack = await request(event, { session_id: sessionId, ...payload });
    delete b.dataset.busy;
    if (!ack.ok && li.isConnected) {
      const error = make("span", "error", `Not done: ${ack.error.message}`);
      error.setAttribute("role", "alert");
      li.querySelector(".msg-status").replaceChildren(error);
    }
  }

  // `find(id)` gives the message as the room shows it.
  function handleClick(event, find) {
    const b = event.target.closest("button[data-mod]");
    if (!b) return;
    const li = b.closest("li.msg");
    const id = Number(li.dataset.id);
    const message = find(id);
    if (!message) return;
    const action = b.dataset.mod;
    if (action === "toggle-sensitive") {
      const open = b.getAttribute("aria-expanded") !== "true";
      if (open) opened.add(id);
      else opened.delete(id);
      setSensitiveOpen(li, open);
    } else if (action === "edit") {
      if (Number(li.dataset.authorId) === me.id && !ownEditable(li) && !isStaff()) {
        sync(li);
        return;
      }
      openEditor(li, message);
    } else if (action === "sensitive") {
      simple(li, b, "set_sensitive", { message_id: id, sensitive: !message.sensitive });
    } else if (action === "restore") {
      simple(li, b, "restore_message", { message_id: id });
    } else if (action === "moderate") {
      openDialog(message, li, b);
    }
  }

  return { decorate, sync, handleClick, notice: showNotice, applySanctions };
}
