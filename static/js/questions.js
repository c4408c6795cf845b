// Questions from the room: members ask the facilitator (perhaps anonymously) and upvote;
// the session's facilitators and organisers approve, spotlight ("Now discussing"), mark
// answered, dismiss, restore, edit and merge. room.js creates it and feeds it the join
// ack's `queue`, `state`, `room` and the `question` / `question_removed` events.
// The server authorises every action; which buttons show is a convenience only.
// User text only ever enters the page through textContent, never as HTML.
import { button, duration, excerpt, icon, make, newClientId, setTime } from "./common.js";
import { createGuard } from "./confidentiality.js";

const MIN_BODY = 5;
const MAX_BODY = 500;
const NEAR_LIMIT = 450;
const ASKING_STATES = new Set(["scheduled", "lobby", "live"]);
const ACTIVE = new Set(["pending", "open", "spotlit"]); // the asker may edit or withdraw
const VOTABLE = new Set(["pending", "open", "spotlit"]);
const OFFLINE = "You are offline; try again once the connection is back.";
// An arrow pointing up (Feather icons, MIT licence), for the upvote button.
const UP = "M12 19V5M5 12l7-7 7 7";

function codePoints(text) {
  return [...text].length;
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

// "What helps you let go once…": enough of a question to tell its buttons apart.
function firstWords(body) {
  const words = body.split(/\s+/).filter(Boolean);
  const some = words.slice(0, 6).join(" ");
  return excerpt(words.length > 6 ? `${some}…` : some, 60);
}

export function createQuestions({ sessionId, request, online, me, onReport }) {
  const $ = (id) => document.getElementById(id);
  const els = {
    announcer: $("qa-announcer"),
    now: $("qa-now"),
    nowList: $("qa-now-list"),
    staffTools: $("qa-staff-tools"),
    premoderate: $("qa-premoderate"),
    premoderateStatus: $("qa-premoderate-status"),
    ask: $("qa-ask"),
    askInput: $("qa-ask-input"),
    anonymous: $("qa-anonymous"),
    premoderatedNote: $("qa-premoderated-note"),
    counter: $("qa-ask-counter"),
    askButton: $("qa-ask-button"),
    askWait: $("qa-ask-wait"),
    askError: $("qa-ask-error"),
    askStatus: $("qa-ask-status"),
    closed: $("qa-closed"),
    pending: $("qa-pending"),
    pendingCount: $("qa-pending-count"),
    pendingList: $("qa-pending-list"),
    openHeading: $("qa-open-heading"),
    openCount: $("qa-open-count"),
    openEmpty: $("qa-open-empty"),
    openList: $("qa-open-list"),
    sort: $("qa-sort"),
    answered: $("qa-answered"),
    answeredSummary: $("qa-answered-summary"),
    answeredList: $("qa-answered-list"),
    dismissed: $("qa-dismissed"),
    dismissedSummary: $("qa-dismissed-summary"),
    dismissedList: $("qa-dismissed-list"),
  };
  const guard = createGuard({ sessionId, request, online, input: els.askInput, noun: "question" });

  const questions = new Map(); // id -> Q, as this person may see it
  const items = new Map(); // id -> its <li>
  const mine = new Set(); // ids this person asked
  const voted = new Set(); // ids this person upvoted
  let staff = false;
  let state = null; // the session's `state`
  let premoderated = false;
  let joined = false;
  let sortBy = "votes";
  // The question being asked keeps its client_id until the server has it, so pressing
  // Ask again after a timeout or a reconnect cannot ask it twice.
  let draft = null;
  let wait = null; // { until (ms), message } while the 30-second limit holds
  let waitTimer = null;

  // ---- small helpers --------------------------------------------------------------------

  function announce(text) {
    // Cleared first, so the same words twice are still heard.
    els.announcer.textContent = "";
    setTimeout(() => {
      els.announcer.textContent = text;
    }, 50);
  }

  function showStatus(node, text, isError = false) {
    node.classList.toggle("error", isError);
    setText(node, text || "");
  }

  function canAsk() {
    return Boolean(state) && ASKING_STATES.has(state.state);
  }

  function usable(b) {
    return b.getAttribute("aria-disabled") !== "true" && !b.disabled;
  }

  // Where a question shows for this person, or null if nowhere.
  function placeOf(q) {
    switch (q.status) {
      case "spotlit":
        return "now";
      case "open":
        return "open";
      case "pending":
        if (staff) return "pending";
        return mine.has(q.id) ? "open" : null;
      case "answered":
        return "answered";
      case "dismissed":
        return staff || mine.has(q.id) ? "dismissed" : null;
      default:
        return null; // merged, withdrawn
    }
  }

  function byVotes(a, b) {
    return b.votes - a.votes || Date.parse(a.created_at) - Date.parse(b.created_at) || a.id - b.id;
  }

  function byNewest(a, b) {
    return Date.parse(b.created_at) - Date.parse(a.created_at) || b.id - a.id;
  }

  function byOldest(a, b) {
    return Date.parse(a.created_at) - Date.parse(b.created_at) || a.id - b.id;
  }

  // ---- building one question ------------------------------------------------------------

  function buildItem(id) {
    const li = make("li", "qa-item");
    li.dataset.id = String(id);
    li.tabIndex = -1; // focus lands here when the button that had it goes away

    const vote = make("div", "qa-vote");
    const up = button(undefined, "qa-upvote", "vote");
    up.setAttribute("aria-pressed", "false");
    up.append(icon(UP), make("span", "visually-hidden qa-upvote-name"));
    const count = make("p", "qa-votes");
    count.append(make("span", "qa-votes-n"), make("span", "visually-hidden qa-votes-noun"));
    vote.append(up, count);

    const main = make("div", "qa-main");
    const meta = make("p", "qa-meta");
    meta.append(
      make("span", "qa-author"),
      make("span", "qa-tag qa-anon"),
      make("span", "qa-tag qa-mine", "You asked this"),
      make("span", "qa-tag qa-waiting", "Waiting for approval"),
      make("span", "qa-tag qa-edited", "Edited by a facilitator"),
      make("span", "qa-tag qa-from-chat", "From the chat"),
      make("time", "qa-time"),
    );
    const body = make("p", "qa-body");
    const merged = make("p", "qa-merged-note", "Your question was merged into this one.");
    const actions = make("div", "qa-actions");
    const named = (text, action, extra = "") => {
      const b = button(text, `chip ${extra}`.trim(), action);
      b.append(make("span", "visually-hidden qa-name"));
      return b;
    };
    actions.append(
      named("Approve", "approve", "staff-action"),
      named("Spotlight", "spotlight", "staff-action"),
      named("Discuss again", "spotlight-again", "staff-action"),
      named("Back to the queue", "reopen", "staff-action"),
      named("Mark answered", "answer", "staff-action"),
      named("Restore", "restore", "staff-action"),
      named("Edit", "edit"),
      named("Withdraw", "withdraw"),
      named("Dismiss", "dismiss", "qa-dismiss staff-action"),
      named("Report", "report"),
    );
    const mergeBox = make("details", "qa-merge");
    const mergeSummary = make("summary", "staff-action", "Merge into…");
    const mergeForm = make("form", "qa-merge-form");
    const selectId = `qa-merge-${id}`;
    const mergeLabel = make("label", "", "Merge this question into");
    mergeLabel.htmlFor = selectId;
    const select = make("select", "qa-merge-select");
    select.id = selectId;
    const mergeButton = button("Merge", "chip staff-action", "merge");
    mergeButton.type = "submit";
    mergeForm.append(mergeLabel, select, mergeButton);
    mergeBox.append(mergeSummary, mergeForm);
    actions.append(mergeBox);

    const editor = make("form", "qa-editor");
    editor.hidden = true;
    const editId = `qa-edit-${id}`;
    const editLabel = make("label", "", "Edit the question");
    editLabel.htmlFor = editId;
    const editInput = make("textarea", "qa-edit-input");
    editInput.id = editId;
    editInput.rows = 2;
    const editButtons = make("div", "button-row");
    const save = button("Save", "", "save");
    save.type = "submit";
    editButtons.append(save, button("Cancel", "quiet", "cancel-edit"));
    editor.append(editLabel, editInput, editButtons);

    const status = make("p", "control-status qa-status");
    status.setAttribute("role", "status");
    main.append(meta, body, merged, actions, editor, status);
    li.append(vote, main);
    return li;
  }

  function updateItem(li, q, others) {
    const isMine = mine.has(q.id);
    const ask = canAsk();
    const words = firstWords(q.body);
    li.dataset.status = q.status;
    li.classList.toggle("qa-item-mine", isMine);
    const find = (selector) => li.querySelector(selector);
    const show = (selector, on) => {
      const node = find(selector);
      node.hidden = !on;
      return node;
    };

    // Who asked: members see "Anonymous"; staff and the asker see the name.
    let author = q.author ? q.author.name : "Someone";
    let anon = "";
    if (q.anonymous) {
      if (staff && q.author) anon = "asked anonymously";
      else author = "Anonymous";
    }
    setText(find(".qa-author"), author);
    setText(show(".qa-anon", Boolean(anon)), anon);
    show(".qa-mine", isMine);
    show(".qa-waiting", q.status === "pending");
    show(".qa-edited", Boolean(q.edited));
    show(".qa-from-chat", Boolean(q.from_message_id));
    const time = find(".qa-time");
    if (time.dateTime !== q.created_at) setTime(time, q.created_at);
    setText(find(".qa-body"), q.body);
    show(".qa-merged-note", [...mine].some((id) => {
      const source = questions.get(id);
      return source && source.status === "merged" && source.merged_into === q.id;
    }));

    const up = find(".qa-upvote");
    setText(find(".qa-upvote-name"), `Upvote: ${words}`);
    up.setAttribute("aria-pressed", String(voted.has(q.id)));
    up.hidden = q.status === "dismissed";
    if (!up.dataset.busy) up.disabled = !(VOTABLE.has(q.status) && ask);
    setText(find(".qa-votes-n"), String(q.votes));
    setText(find(".qa-votes-noun"), q.votes === 1 ? " vote" : " votes");
    find(".qa-votes").hidden = q.status === "dismissed";

    const moderating = staff;
    const may = {
      approve: moderating && q.status === "pending",
      spotlight: moderating && q.status === "open",
      "spotlight-again": moderating && q.status === "answered" && ask,
      reopen: moderating && q.status === "spotlit",
      answer: moderating && (q.status === "open" || q.status === "spotlit"),
      restore: moderating && q.status === "dismissed",
      edit: (moderating && q.status !== "merged") || (isMine && ACTIVE.has(q.status) && ask),
      withdraw: isMine && ACTIVE.has(q.status) && ask,
      dismiss: moderating && ACTIVE.has(q.status),
      report: !moderating && !isMine && q.status !== "merged",
    };
    find("[data-action='edit']").classList.toggle("staff-action", moderating && !isMine);
    for (const b of li.querySelectorAll(".qa-actions > button")) {
      b.hidden = !may[b.dataset.action];
      setText(b.querySelector(".qa-name"), `: ${words}`);
    }
    const mergeBox = find(".qa-merge");
    const targets = others.filter((o) => o.id !== q.id);
    mergeBox.hidden = !(moderating && (q.status === "open" || q.status === "spotlit") && targets.length);
    if (!mergeBox.hidden) {
      const select = find(".qa-merge-select");
      const options = targets.map((o) => [String(o.id), excerpt(o.body, 70)]);
      const key = JSON.stringify(options);
      if (select.dataset.key !== key) {
        const value = select.value;
        select.dataset.key = key;
        select.replaceChildren(...options.map(([v, t]) => new Option(t, v)));
        if (options.some(([v]) => v === value)) select.value = value;
      }
    }
    const editor = find(".qa-editor");
    if (!editor.hidden && !may.edit) closeEditor(li);
    find(".qa-actions").hidden = ![...Object.values(may)].some(Boolean) && mergeBox.hidden;
  }

  // ---- the lists ------------------------------------------------------------------------

  function fill(list, wanted) {
    const focused = document.activeElement;
    let ref = list.firstElementChild;
    for (const q of wanted) {
      let li = items.get(q.id);
      if (!li) {
        li = buildItem(q.id);
        items.set(q.id, li);
      }
      // Move only what is out of place, so a focused button keeps its focus.
      if (li === ref) ref = ref.nextElementSibling;
      else list.insertBefore(li, ref);
    }
    while (ref) {
      const next = ref.nextElementSibling;
      if (!wanted.some((q) => String(q.id) === ref.dataset.id)) ref.remove();
      ref = next;
    }
    if (focused && focused !== document.activeElement && focused.isConnected && list.contains(focused)) {
      focused.focus();
    }
  }

  function render() {
    const focused = document.activeElement;
    const focusedItem = focused && focused.closest ? focused.closest(".qa-item") : null;
    const groups = { now: [], pending: [], open: [], answered: [], dismissed: [] };
    for (const q of questions.values()) {
      const where = placeOf(q);
      if (where) groups[where].push(q);
    }
    groups.now.sort(byOldest);
    groups.pending.sort(byOldest);
    groups.open.sort(sortBy === "newest" ? byNewest : byVotes);
    groups.answered.sort((a, b) => Date.parse(b.answered_at || b.created_at) - Date.parse(a.answered_at || a.created_at));
    groups.dismissed.sort(byOldest);

    const mergeable = [...groups.now, ...groups.open, ...groups.pending, ...groups.answered]
      .sort(byOldest);
    for (const list of Object.values(groups)) {
      for (const q of list) {
        if (!items.has(q.id)) items.set(q.id, buildItem(q.id));
        updateItem(items.get(q.id), q, mergeable);
      }
    }
    fill(els.nowList, groups.now);
    fill(els.pendingList, groups.pending);
    fill(els.openList, groups.open);
    fill(els.answeredList, groups.answered);
    fill(els.dismissedList, groups.dismissed);

    // Forget the elements of questions no longer shown anywhere.
    for (const [id, li] of items) {
      if (!li.isConnected) items.delete(id);
    }

    els.now.hidden = groups.now.length === 0;
    els.pending.hidden = !staff || groups.pending.length === 0;
    setText(els.pendingCount, `(${groups.pending.length})`);
    setText(els.openCount, groups.open.length ? `(${groups.open.length})` : "");
    els.openEmpty.hidden = groups.open.length > 0;
    setText(els.openEmpty, canAsk() ? "No open questions yet." : "No open questions.");
    els.answered.hidden = groups.answered.length === 0;
    setText(els.answeredSummary, `Answered (${groups.answered.length})`);
    els.dismissed.hidden = groups.dismissed.length === 0;
    setText(els.dismissedSummary, staff
      ? `Dismissed (${groups.dismissed.length})`
      : `Your questions the facilitators set aside (${groups.dismissed.length})`);

    renderForm();

    // The button that had focus went away (the question moved on, or the button is not
    // offered any more): keep the reader near where they were.
    if (focusedItem) {
      const gone = !focused.isConnected || !focused.checkVisibility();
      if (gone && focusedItem.isConnected && focusedItem.checkVisibility()) focusedItem.focus();
      else if (gone) els.openHeading.focus();
    }
  }

  function renderForm() {
    const open = canAsk();
    const hadFocus = els.ask.contains(document.activeElement);
    els.ask.hidden = !open;
    els.closed.hidden = open || !state;
    if (state && !open) {
      setText(els.closed, state.state === "cancelled"
        ? "This session was cancelled; it takes no questions."
        : "This session has ended; it no longer takes questions.");
    }
    if (hadFocus && !open) {
      els.closed.tabIndex = -1;
      els.closed.focus();
    }
    els.premoderatedNote.hidden = !(premoderated && !staff);
    els.staffTools.hidden = !staff;
    if (!els.premoderate.dataset.busy) els.premoderate.checked = premoderated;
    renderWait();
  }

  // ---- asking ---------------------------------------------------------------------------

  function updateCounter() {
    const n = codePoints(els.askInput.value.trim());
    const over = n > MAX_BODY;
    els.counter.textContent = `${n} / ${MAX_BODY}` + (over ? ` (${n - MAX_BODY} too many)` : "");
    els.counter.classList.toggle("near", n >= NEAR_LIMIT && !over);
    els.counter.classList.toggle("over", over);
    if (over) els.askInput.setAttribute("aria-invalid", "true");
    else els.askInput.removeAttribute("aria-invalid");
  }

  function renderWait() {
    const left = wait ? wait.until - Date.now() : 0;
    if (left <= 0) {
      if (wait) {
        wait = null;
        clearInterval(waitTimer);
        waitTimer = null;
      }
      els.askWait.hidden = true;
      setText(els.askWait, "");
      if (!els.askButton.dataset.busy) els.askButton.removeAttribute("aria-disabled");
      return;
    }
    els.askWait.hidden = false;
    els.askButton.setAttribute("aria-disabled", "true");
    setText(els.askWait, `${wait.message} You can ask again in ${duration(left)}.`);
  }

  function startWait(error) {
    const seconds = Math.max(1, Number(error.retry_after) || 1);
    wait = { until: Date.now() + seconds * 1000, message: error.message };
    clearInterval(waitTimer);
    waitTimer = setInterval(renderWait, 1000);
    renderWait();
  }

  async function submitAsk() {
    setText(els.askError, "");
    showStatus(els.askStatus, "");
    if (!canAsk() || els.askButton.dataset.busy) return;
    if (wait) {
      renderWait();
      return;
    }
    const body = els.askInput.value.replace(/\r\n?/g, "\n").trim();
    const n = codePoints(body);
    if (n < MIN_BODY) {
      setText(els.askError, `Write a question of at least ${MIN_BODY} characters.`);
      els.askInput.focus();
      return;
    }
    if (n > MAX_BODY) {
      setText(els.askError, `Keep questions to ${MAX_BODY} characters or fewer; this one has ${n}.`);
      els.askInput.focus();
      return;
    }
    if (!online()) {
      setText(els.askError, OFFLINE);
      return;
    }
    const review = await guard.review(body); // might it identify a client?
    if (!review.send) return;
    const anonymous = els.anonymous.checked;
    if (!draft || draft.body !== body || draft.anonymous !== anonymous) {
      draft = { body, anonymous, clientId: newClientId() };
    }
    els.askButton.dataset.busy = "1";
    els.askButton.setAttribute("aria-disabled", "true");
    const ack = await request("ask_question", {
      session_id: sessionId, body, anonymous, client_id: draft.clientId,
      confidentiality_checked: review.checked,
    });
    delete els.askButton.dataset.busy;
    els.askButton.removeAttribute("aria-disabled");
    if (ack.ok) {
      draft = null;
      if (els.askInput.value.replace(/\r\n?/g, "\n").trim() === body) els.askInput.value = "";
      updateCounter();
      mine.add(ack.question.id);
      upsert(ack.question);
      if (ack.warning) guard.warn(ack.warning);
      showStatus(els.askStatus, ack.question.status === "pending"
        ? "Thank you. Your question will appear to everyone once a facilitator approves it."
        : "Thank you. Your question is in the queue.");
      return;
    }
    const error = ack.error;
    if (error.code === "rate_limited" && error.retry_after !== undefined) {
      startWait(error);
    } else if (error.code === "timeout") {
      setText(els.askError, `Not sent yet: ${error.message} Press Ask again; it will not be asked twice.`);
    } else {
      setText(els.askError, error.message);
    }
    renderForm();
  }

  els.ask.addEventListener("submit", (event) => {
    event.preventDefault();
    submitAsk();
  });
  els.askInput.addEventListener("input", updateCounter);
  els.askInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      submitAsk();
    }
  });
  els.askButton.addEventListener("click", (event) => {
    if (els.askButton.getAttribute("aria-disabled") === "true") {
      event.preventDefault();
      if (wait) renderWait();
    }
  });
  els.sort.addEventListener("change", () => {
    sortBy = els.sort.value === "newest" ? "newest" : "votes";
    render();
    announce(sortBy === "newest" ? "Open questions sorted newest first." : "Open questions sorted by most votes.");
  });
  els.premoderate.addEventListener("change", async () => {
    const enabled = els.premoderate.checked;
    if (!online()) {
      els.premoderate.checked = premoderated;
      showStatus(els.premoderateStatus, OFFLINE, true);
      return;
    }
    els.premoderate.dataset.busy = "1";
    showStatus(els.premoderateStatus, "");
    const ack = await request("set_premoderation", { session_id: sessionId, enabled });
    delete els.premoderate.dataset.busy;
    if (ack.ok) {
      premoderated = enabled;
      showStatus(els.premoderateStatus, enabled
        ? "Pre-moderation is on: members' new questions wait for your approval."
        : "Pre-moderation is off: members' questions appear straight away.");
    } else {
      showStatus(els.premoderateStatus, `Not done: ${ack.error.message}`, true);
    }
    renderForm();
  });

  // ---- acting on a question -------------------------------------------------------------

  async function act(b, li, event, payload, success) {
    if (!usable(b) || b.dataset.busy) return null;
    const status = li.querySelector(".qa-status");
    if (!online()) {
      showStatus(status, OFFLINE, true);
      return null;
    }
    b.dataset.busy = "1";
    b.setAttribute("aria-disabled", "true");
    showStatus(status, "");
    const ack = await request(event, { session_id: sessionId, ...payload });
    delete b.dataset.busy;
    b.removeAttribute("aria-disabled");
    if (ack.ok) {
      if (success) announce(success);
    } else {
      showStatus(status, `Not done: ${ack.error.message}`, true);
    }
    render();
    return ack;
  }

  async function toggleVote(b, q) {
    if (b.dataset.busy) return;
    const status = b.closest(".qa-item").querySelector(".qa-status");
    if (!online()) {
      showStatus(status, OFFLINE, true);
      return;
    }
    const active = !voted.has(q.id);
    b.dataset.busy = "1";
    const ack = await request("vote_question", { session_id: sessionId, question_id: q.id, active });
    delete b.dataset.busy;
    if (!ack.ok) {
      showStatus(status, `Your vote was not saved: ${ack.error.message}`, true);
      render();
      return;
    }
    showStatus(status, "");
    if (active) voted.add(q.id);
    else voted.delete(q.id);
    const current = questions.get(q.id);
    if (current) questions.set(q.id, { ...current, votes: ack.votes });
    render();
    announce(active ? "Upvoted." : "Vote taken back.");
  }

  function openEditor(li, q) {
    const editor = li.querySelector(".qa-editor");
    const input = editor.querySelector("textarea");
    input.value = q.body;
    editor.hidden = false;
    li.querySelector(".qa-status").textContent = "";
    input.focus();
  }

  function closeEditor(li, focusEdit = false) {
    const editor = li.querySelector(".qa-editor");
    editor.hidden = true;
    if (focusEdit) {
      const edit = li.querySelector("button[data-action='edit']");
      if (edit && !edit.hidden) edit.focus();
      else li.focus();
    }
  }

  async function saveEdit(li, q) {
    const editor = li.querySelector(".qa-editor");
    const input = editor.querySelector("textarea");
    const status = li.querySelector(".qa-status");
    const body = input.value.replace(/\r\n?/g, "\n").trim();
    const n = codePoints(body);
    if (n < MIN_BODY || n > MAX_BODY) {
      showStatus(status, `A question needs ${MIN_BODY} to ${MAX_BODY} characters; this one has ${n}.`, true);
      input.focus();
      return;
    }
    const save = editor.querySelector("button[data-action='save']");
    const ack = await act(save, li, "edit_question", { question_id: q.id, body }, "Question saved.");
    if (ack && ack.ok) {
      const current = questions.get(q.id);
      if (current) {
        questions.set(q.id, { ...current, body, edited: current.edited || (staff && !mine.has(q.id)) });
      }
      closeEditor(li, true);
      render();
    }
  }

  function onListClick(event) {
    const b = event.target.closest("button[data-action]");
    if (!b) return;
    const li = b.closest(".qa-item");
    const q = li && questions.get(Number(li.dataset.id));
    if (!q) return;
    const id = q.id;
    const words = firstWords(q.body);
    switch (b.dataset.action) {
      case "vote":
        toggleVote(b, q);
        break;
      case "approve":
        act(b, li, "moderate_question", { question_id: id, action: "approve" }, `Approved: ${words}`);
        break;
      case "spotlight":
      case "spotlight-again":
        act(b, li, "moderate_question", { question_id: id, action: "spotlight" });
        break;
      case "reopen":
        act(b, li, "moderate_question", { question_id: id, action: "reopen" }, `Back in the queue: ${words}`);
        break;
      case "answer":
        act(b, li, "moderate_question", { question_id: id, action: "answer" }, `Marked answered: ${words}`);
        break;
      case "restore":
        act(b, li, "moderate_question", { question_id: id, action: "restore" }, `Restored: ${words}`);
        break;
      case "dismiss":
        act(b, li, "moderate_question", { question_id: id, action: "dismiss" }, `Dismissed: ${words}`);
        break;
      case "edit":
        openEditor(li, q);
        break;
      case "cancel-edit":
        closeEditor(li, true);
        break;
      case "report":
        onReport({ question_id: id }, "question", q.body, b);
        break;
      case "withdraw":
        if (!window.confirm("Withdraw your question? It disappears for everyone.")) return;
        act(b, li, "withdraw_question", { question_id: id }, "Your question was withdrawn.").then((ack) => {
          if (ack && ack.ok) drop(id);
        });
        break;
      default:
        break;
    }
  }

  function onListSubmit(event) {
    event.preventDefault();
    const li = event.target.closest(".qa-item");
    const q = li && questions.get(Number(li.dataset.id));
    if (!q) return;
    if (event.target.classList.contains("qa-editor")) {
      saveEdit(li, q);
    } else if (event.target.classList.contains("qa-merge-form")) {
      const into = Number(event.target.querySelector("select").value);
      const target = questions.get(into);
      const b = event.target.querySelector("button[data-action='merge']");
      act(b, li, "merge_questions", { question_id: q.id, into_id: into },
        target ? `Merged into: ${firstWords(target.body)}` : "Merged.");
    }
  }

  function onEditorKey(event) {
    if (event.key === "Escape" && event.target.classList.contains("qa-edit-input")) {
      event.preventDefault();
      closeEditor(event.target.closest(".qa-item"), true);
    }
  }

  for (const list of [els.nowList, els.pendingList, els.openList, els.answeredList, els.dismissedList]) {
    list.addEventListener("click", onListClick);
    list.addEventListener("submit", onListSubmit);
    list.addEventListener("keydown", onEditorKey);
  }

  // ---- what room.js calls ---------------------------------------------------------------

  function drop(id) {
    questions.delete(id);
    voted.delete(id);
    mine.delete(id);
    render();
  }

  function upsert(q) {
    if (!q || q.session_id !== sessionId) return;
    if (q.status === "withdrawn") {
      drop(q.id);
      return;
    }
    const before = questions.get(q.id);
    let next = q;
    // The public copy of an anonymous question has no author; keep the one we know.
    if (!next.author && before && before.author) next = { ...next, author: before.author };
    if (next.author && next.author.id === me.id) mine.add(next.id);
    if (next.status === "merged" && next.merged_into && voted.has(next.id)) {
      voted.delete(next.id);
      voted.add(next.merged_into); // the server moved the vote along
    }
    if (!staff && !mine.has(next.id) && (next.status === "dismissed" || next.status === "merged" || next.status === "pending")) {
      drop(next.id);
      return;
    }
    questions.set(next.id, next);
    render();
    if (joined && next.status === "spotlit" && (!before || before.status !== "spotlit")) {
      announce(`Now discussing: ${next.body}`);
    }
  }

  return {
    // After every join: the whole queue as this person may see it, and their role.
    sync(queue, isStaff) {
      staff = isStaff;
      questions.clear();
      mine.clear();
      voted.clear();
      const q = queue || { questions: [], mine: [], voted: [] };
      for (const id of q.mine || []) mine.add(id);
      for (const id of q.voted || []) voted.add(id);
      for (const question of q.questions || []) questions.set(question.id, question);
      joined = true;
      render();
    },
    applyState(next) {
      if (!next || next.session_id !== sessionId) return;
      state = next;
      render();
    },
    applyRoom(next) {
      if (!next || next.session_id !== sessionId) return;
      premoderated = Boolean(next.questions_premoderated);
      renderForm();
    },
    upsert,
    remove(event) {
      if (event && event.session_id === sessionId && !mine.has(event.id)) drop(event.id);
    },
    // Staff turn a chat message into a question; the answer says how it went.
    async fromMessage(messageId) {
      // Asked before the request: the broadcast of a new question can beat the ack.
      const known = [...questions.values()].some((q) => q.from_message_id === messageId);
      const ack = await request("message_to_question", { session_id: sessionId, message_id: messageId });
      if (!ack.ok) return { ok: false, text: `Not made a question: ${ack.error.message}` };
      upsert(ack.question);
      return {
        ok: true,
        text: known ? "Already in the questions from the room." : "Added to the questions from the room.",
      };
    },
    init() {
      updateCounter();
      renderForm();
    },
  };
}
