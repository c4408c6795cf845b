// Reporting a message or a question to the session's moderators (its facilitators and the
// organisers). room.js and questions.js show a "Report" button on what others wrote and
// call `open`; this module owns the dialog: a native <dialog>, so focus stays inside it
// while it is open and Escape cancels. The reported person is never told who reported
// them; the reporter is told only that the report arrived. Text enters the page through
// textContent only.
import { button, excerpt, make } from "./common.js";

const MAX_NOTE = 1000;
const REASONS = [
  { value: "harassment", label: "Harassment or hostility",
    hint: "Someone is attacked, belittled or made to feel unwelcome." },
  { value: "confidentiality", label: "Client confidentiality",
    hint: "It could identify a client, or shares someone's private story without consent." },
  { value: "safeguarding", label: "Safeguarding concern",
    hint: "Someone may be at risk of harm. The moderators see this first." },
  { value: "spam", label: "Spam or advertising",
    hint: "Selling, promotion or repeated off-topic posts." },
  { value: "other", label: "Something else", hint: "Say what in the note." },
];
const THANKS = "Thank you. The moderators have your report; they will look at it soon.";
const AT_RISK = "If someone is at immediate risk, contact your local emergency services now.";
const OFFLINE = "You are offline; try again once the connection is back.";

export function createReports({ sessionId, request, online }) {
  let els = null; // the dialog's parts, built on first use
  let target = null; // { message_id } or { question_id }
  let opener = null; // the button that opened the dialog gets focus back

  function radio(reason) {
    const row = make("div", "report-reason");
    const input = make("input");
    input.type = "radio";
    input.name = "reason";
    input.value = reason.value;
    input.id = `report-reason-${reason.value}`;
    const hintId = `${input.id}-hint`;
    input.setAttribute("aria-describedby", hintId);
    const label = make("label", "", reason.label);
    label.htmlFor = input.id;
    const hint = make("p", "hint", reason.hint);
    hint.id = hintId;
    const text = make("div");
    text.append(label, hint);
    row.append(input, text);
    return row;
  }

  function build() {
    const dialog = make("dialog", "report-dialog");
    dialog.id = "report-dialog";
    dialog.setAttribute("aria-labelledby", "report-title");
    const title = make("h2", "", "Report");
    title.id = "report-title";

    const form = make("form", "report-form");
    form.method = "dialog";
    form.noValidate = true;
    const quoted = make("p", "report-excerpt");
    const who = make("p", "hint",
      "Only this session's facilitators and the organisers see your report, and your name with it. "
      + "The person you report is never told who reported them.");
    const reasons = make("fieldset", "report-reasons");
    reasons.append(make("legend", "", "What is the problem?"), ...REASONS.map(radio));
    const noteLabel = make("label", "", "Anything the moderators should know (optional)");
    noteLabel.htmlFor = "report-note";
    const note = make("textarea", "report-note");
    note.id = "report-note";
    note.rows = 3;
    note.maxLength = MAX_NOTE;
    const error = make("p", "error report-error");
    error.id = "report-error";
    error.setAttribute("role", "alert");
    const send = button("Send report", "", "send");
    send.type = "submit";
    const cancel = button("Cancel", "quiet", "cancel");
    const buttons = make("div", "button-row");
    buttons.append(send, cancel);
    form.append(quoted, who, reasons, noteLabel, note, error, buttons);

    const done = make("div", "report-done");
    done.hidden = true;
    const thanks = make("p", "report-thanks", THANKS);
    thanks.tabIndex = -1;
    const atRisk = make("p", "report-at-risk", AT_RISK);
    const close = button("Close", "", "close");
    done.append(thanks, atRisk, close);

    dialog.append(title, form, done);
    document.body.append(dialog);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submit();
    });
    cancel.addEventListener("click", () => dialog.close());
    close.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      if (opener && opener.isConnected) opener.focus();
      opener = null;
    });
    return { dialog, title, form, quoted, reasons, note, error, send, done, thanks, atRisk };
  }

  function chosen() {
    const checked = els.form.querySelector("input[name='reason']:checked");
    return checked ? checked.value : "";
  }

  async function submit() {
    if (els.send.getAttribute("aria-disabled") === "true") return;
    const reason = chosen();
    if (!reason) {
      els.error.textContent = "Choose what the problem is.";
      els.form.querySelector("input[name='reason']").focus();
      return;
    }
    if (!online()) {
      els.error.textContent = OFFLINE;
      return;
    }
    els.error.textContent = "";
    els.send.setAttribute("aria-disabled", "true");
    const ack = await request("report", {
      session_id: sessionId, ...target, reason, note: els.note.value.trim(),
    });
    els.send.removeAttribute("aria-disabled");
    if (!ack.ok) {
      els.error.textContent = `Your report was not sent: ${ack.error.message}`;
      return;
    }
    els.form.hidden = true;
    els.title.textContent = "Report sent";
    els.atRisk.hidden = reason !== "safeguarding";
    els.done.hidden = false;
    els.thanks.focus();
  }

  return {
    // Ask what is wrong with `what` ({ message_id } or { question_id }); `text` is
    // the reported words, quoted in the dialog; `from` gets focus back afterwards.
    open(what, kind, text, from) {
      if (!els) els = build();
      target = what;
      opener = from || null;
      els.title.textContent = `Report this ${kind}`;
      els.quoted.textContent = `“${excerpt(text, 200)}”`;
      els.form.reset();
      els.form.hidden = false;
      els.done.hidden = true;
      els.error.textContent = "";
      els.dialog.showModal();
      els.form.querySelector("input[name='reason']").focus();
    },
  };
}
