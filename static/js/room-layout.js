// The room page's layout. On a wide screen the chat sits beside a side column (facilitator
// panel, questions, who is here), all shown at once. On a narrow one the same panes become
// tab panels under a row of tabs (WAI-ARIA tabs: arrow keys, Home and End move between
// them, one tab stop), so a phone shows one part of the room at a time with the prompt at
// the top, the log in the middle and the composer at the bottom. The Facilitator tab
// follows the panel that staff-panel.js mounts and removes; the Questions tab counts the
// open questions; the Chat tab gets a dot when a new prompt arrives while it is not shown.
// Also the chat's "Times in GMT" note, since its message times are short ("20:03").
import { viewerZone, zoneAbbreviation } from "./local-time.js";

const $ = (id) => document.getElementById(id);
const wide = window.matchMedia("(min-width: 64rem)");
const tablist = $("room-tabs");
const layout = $("room-layout");
const header = document.querySelector(".room-header");
const chatTab = $("tab-chat");
const chatDot = $("tab-chat-dot");
const staffTab = $("tab-staff");
const questionsCount = $("tab-questions-count");
const tabs = [...tablist.querySelectorAll('[role="tab"]')];
let selected = chatTab;

const paneOf = (tab) => $(tab.getAttribute("aria-controls"));
const usableTabs = () => tabs.filter((tab) => !tab.hidden);

// Panes are tab panels only while the tabs are shown; on a wide screen they are plain
// regions side by side. A pane whose tab is hidden (Facilitator, for members) never shows.
function render() {
  const narrow = !wide.matches;
  tablist.hidden = !narrow;
  for (const tab of tabs) {
    const on = tab === selected;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    const pane = paneOf(tab);
    if (narrow) {
      pane.setAttribute("role", "tabpanel");
      pane.setAttribute("aria-labelledby", tab.id);
    } else {
      pane.removeAttribute("role");
      pane.removeAttribute("aria-labelledby");
    }
    pane.hidden = tab.hidden || (narrow && !on);
  }
  measure();
}

function select(tab, focus = false) {
  if (tab === selected) {
    if (focus) tab.focus();
    return;
  }
  selected = tab;
  if (tab === chatTab) chatDot.hidden = true;
  render();
  if (focus) tab.focus();
  // Switching while scrolled down (the tabs stuck at the top): start at the pane's top,
  // just under the tabs (scroll-padding-top keeps it clear of them).
  if (tablist.getBoundingClientRect().top <= 0) paneOf(tab).scrollIntoView({ block: "start" });
}

// The room takes the rest of the viewport: on a wide screen below the page header, on a
// narrow one below the sticky tabs (the page scrolls the header away). CSS reads these.
function measure() {
  const style = document.documentElement.style;
  style.setProperty("--room-top", `${Math.round(layout.getBoundingClientRect().top + window.scrollY)}px`);
  style.setProperty("--tabs-height", `${tablist.hidden ? 0 : tablist.offsetHeight}px`);
}

tablist.addEventListener("click", (event) => {
  const tab = event.target.closest('[role="tab"]');
  if (tab) select(tab);
});

tablist.addEventListener("keydown", (event) => {
  const list = usableTabs();
  const at = list.indexOf(document.activeElement);
  if (at < 0) return;
  const next = {
    ArrowRight: list[(at + 1) % list.length],
    ArrowLeft: list[(at - 1 + list.length) % list.length],
    Home: list[0],
    End: list[list.length - 1],
  }[event.key];
  if (!next) return;
  event.preventDefault();
  select(next, true);
});

// Show whichever pane holds `node` (a reported message the moderation queue points at, say).
export function showPaneOf(node) {
  const tab = tabs.find((t) => !t.hidden && paneOf(t).contains(node));
  if (tab && !wide.matches) select(tab);
}

// The Facilitator tab comes and goes with the panel (the join ack decides who is staff).
function followStaffPanel() {
  const had = !staffTab.hidden;
  staffTab.hidden = $("staff-panel-slot").childElementCount === 0;
  if (had && staffTab.hidden && selected === staffTab) {
    const lostFocus = !document.activeElement || document.activeElement === document.body;
    selected = chatTab;
    render();
    if (lostFocus && !wide.matches) chatTab.focus();
  } else {
    render();
  }
}

// "(3)" in the queue's heading becomes the tab's badge: "Questions, 3 open".
function countQuestions() {
  const n = Number((($("qa-open-count").textContent || "").match(/\d+/) || ["0"])[0]);
  questionsCount.hidden = n === 0;
  questionsCount.replaceChildren(
    Object.assign(document.createElement("span"), { className: "visually-hidden", textContent: ", " }),
    String(n),
    Object.assign(document.createElement("span"), { className: "visually-hidden", textContent: " open" }),
  );
}

// A prompt arriving live while another tab is shown puts a dot on Chat, so nobody misses
// it. Messages added in bulk (a join, history) come while the log is aria-busy: not news.
function notePrompt(changes) {
  if (wide.matches || selected === chatTab || $("chat-log").getAttribute("aria-busy") === "true") return;
  const added = changes.flatMap((change) => [...change.addedNodes]);
  if (added.some((node) => node.classList && node.classList.contains("msg-prompt"))) chatDot.hidden = false;
}

function zoneNote() {
  const note = $("chat-zone");
  note.textContent = `Times in ${zoneAbbreviation(new Date())}`;
  note.title = viewerZone();
}

new MutationObserver(followStaffPanel).observe($("staff-panel-slot"), { childList: true });
new MutationObserver(countQuestions).observe($("qa-open-count"), { childList: true, characterData: true, subtree: true });
new MutationObserver(notePrompt).observe($("messages"), { childList: true });
new ResizeObserver(measure).observe(header);
wide.addEventListener("change", render);
window.addEventListener("resize", measure);

zoneNote();
countQuestions();
followStaffPanel();
