// The live queue of reports in the facilitator panel: open reports, urgent ones first and
// marked, with a badge count; each shows why, who reported whom, the reported words, a
// way to find them in the room, and Resolve / Dismiss with an optional note.
// staff-panel.js mounts it and feeds it the join ack's `reports` and every `report`
// event. The server authorises every action. Text enters the page through textContent.
import { button, make, setTime } from "./common.js";
import { showPaneOf } from "./room-layout.js";

const OFFLINE = "You are offline; try again once the connection is back.";
const MAX_RESOLUTION = 300;

function byUrgencyThenAge(a, b) {
  if (a.urgent !== b.urgent) return a.urgent ? -1 : 1;
  return a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id - b.id;
}

function countLabel(open, urgent) {
  const reports = `${open} open ${open === 1 ? "report" : "reports"}`;
  return urgent ? `${reports}, ${urgent} urgent` : reports;
}

// The reported message or question on the page, if it is there to show.
function findTarget(target) {
  if (target.kind === "message") return document.getElementById(`msg-${target.id}`);
  return document.querySelector(`#questions .qa-item[data-id="${target.id}"]`);
}

export function createModerationQueue({ sessionId, request, online }) {
  const open = new Map(); // report id -> report
  const section = make("section", "panel-block reports-block");
  section.id = "reports-block";
  section.setAttribute("aria-labelledby", "reports-heading");
  const heading = make("h3", "", "Reports ");
  heading.id = "reports-heading";
  heading.tabIndex = -1;
  const badge = make("span", "report-badge");
  badge.setAttribute("role", "img");
  heading.append(badge);
  const empty = make("p", "muted", "No open reports.");
  const announcer = make("p", "visually-hidden");
  announcer.setAttribute("role", "status");
  const list = make("ol", "report-list");
  section.append(heading, empty, announcer, list);

  function renderCount() {
    const all = [...open.values()];
    const urgent = all.filter((r) => r.urgent).length;
    badge.textContent = String(all.length);
    badge.setAttribute("aria-label", countLabel(all.length, urgent));
    badge.classList.toggle("report-badge-urgent", urgent > 0);
    badge.hidden = all.length === 0;
    empty.hidden = all.length > 0;
  }

  function buildItem(report) {
    const li = make("li", "report-item");
    li.dataset.id = String(report.id);
    li.tabIndex = -1;
    li.classList.toggle("report-urgent", report.urgent);
    const head = make("p", "report-head");
    if (report.urgent) head.append(make("strong", "report-urgent-tag", "Urgent"), " ");
    const time = make("time", "msg-time");
    setTime(time, report.created_at);
    head.append(make("strong", "report-reason-label", report.reason_label), " ", time);
    const who = make("p", "report-who",
      `${report.reporter.name} reported ${report.reported.name}’s ${report.target.kind}`);
    const quoted = make("blockquote", "report-quote", report.excerpt);
    li.append(head, who, quoted);
    if (report.target.removed) li.append(make("p", "hint", "This message has been removed."));
    if (report.note) li.append(make("p", "report-note-text", `Note: ${report.note}`));

    const show = button(`Show ${report.target.kind}`, "chip", "show");
    const noteId = `report-resolution-${report.id}`;
    const noteLabel = make("label", "", "Note for the audit log (optional)");
    noteLabel.htmlFor = noteId;
    const note = make("input", "report-resolution");
    note.id = noteId;
    note.maxLength = MAX_RESOLUTION;
    const resolve = button("Resolve", "", "resolved");
    const dismiss = button("Dismiss", "quiet", "dismissed");
    for (const b of [resolve, dismiss]) {
      b.append(make("span", "visually-hidden", `: ${report.reason_label} report about ${report.reported.name}`));
    }
    const row = make("div", "button-row");
    row.append(resolve, dismiss);
    const status = make("p", "control-status");
    status.setAttribute("role", "status");
    li.append(show, noteLabel, note, row, status);
    show.addEventListener("click", () => reveal(report, status));
    for (const b of [resolve, dismiss]) {
      b.addEventListener("click", () => close(report, b.dataset.action, note, b, status));
    }
    return li;
  }

  function reveal(report, status) {
    const node = findTarget(report.target);
    if (node) showPaneOf(node); // on a phone, the chat or questions tab
    if (!node || node.getClientRects().length === 0) {
      const where = report.target.kind === "message" ? "the loaded chat (it may be earlier, removed or filtered out)" : "the questions";
      status.textContent = `It is not in ${where}.`;
      return;
    }
    const folded = node.closest("details:not([open])");
    if (folded) folded.open = true;
    if (!node.hasAttribute("tabindex")) node.tabIndex = -1;
    node.classList.add("reported-highlight");
    node.addEventListener("blur", () => node.classList.remove("reported-highlight"), { once: true });
    node.scrollIntoView({ block: "center" });
    node.focus({ preventScroll: true });
    status.textContent = "";
  }

  async function close(report, outcome, note, b, status) {
    if (b.getAttribute("aria-disabled") === "true") return;
    if (!online()) {
      status.textContent = OFFLINE;
      return;
    }
    b.setAttribute("aria-disabled", "true");
    status.textContent = "";
    const ack = await request("resolve_report", {
      session_id: sessionId, report_id: report.id, outcome, note: note.value.trim(),
    });
    b.removeAttribute("aria-disabled");
    if (ack.ok) {
      apply(ack.report);
      announcer.textContent = outcome === "resolved" ? "Report resolved." : "Report dismissed.";
    } else if (ack.error.code === "conflict") {
      apply({ ...report, status: "closed" }); // someone else closed it meanwhile
      announcer.textContent = ack.error.message;
    } else {
      status.textContent = `Not done: ${ack.error.message}`;
    }
  }

  function render() {
    const hadFocus = list.contains(document.activeElement) ? document.activeElement : null;
    const wanted = [...open.values()].sort(byUrgencyThenAge);
    const items = wanted.map((r) => list.querySelector(`li[data-id="${r.id}"]`) || buildItem(r));
    const position = hadFocus ? [...list.children].indexOf(hadFocus.closest("li")) : -1;
    list.replaceChildren(...items);
    renderCount();
    // The report with focus went away: focus the next one (or the heading), not the page.
    if (hadFocus && !list.contains(hadFocus)) {
      const next = list.children[Math.min(position, list.children.length - 1)];
      (next || heading).focus();
    }
  }

  function apply(report) {
    if (!report || report.session_id !== sessionId) return;
    const isNew = !open.has(report.id);
    if (report.status === "open") open.set(report.id, report);
    else open.delete(report.id);
    render();
    if (isNew && report.status === "open") {
      announcer.textContent = `New ${report.urgent ? "urgent " : ""}report: ${report.reason_label}.`;
    }
  }

  renderCount();
  return {
    element: section,
    // After every join: the open reports as the server has them now.
    sync(reports) {
      open.clear();
      list.replaceChildren();
      for (const report of reports || []) open.set(report.id, report);
      render();
    },
    apply,
  };
}
