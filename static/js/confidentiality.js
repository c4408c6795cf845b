// The confidentiality guard in a composer (a chat message or a question). Before text is
// sent, the server's rules are asked (`check_message`; the rules live on the server only)
// whether it may identify a client. If so, a calm prompt above the text box offers
// "Edit …" (back to the text, the words found selected) or "Send anyway". If the check
// cannot run (offline, no answer in time), the text goes without `confidentiality_checked`
// and the warning in the server's ack is shown as a note once it has been sent.
import { button, make } from "./common.js";

const CHECK_TIMEOUT_MS = 4000;
let guards = 0;

const unchecked = { send: true, checked: false };

function timeout(ms) {
  return new Promise((resolve) => {
    setTimeout(() => resolve({ ok: false, error: { code: "timeout" } }), ms);
  });
}

// `noun` names what is written ("message", "question"); `input` is its text box.
// `review(body)` resolves to { send, checked }: send says whether to send now, checked
// whether to send it with confidentiality_checked. `warn(warning)` shows an ack's warning.
export function createGuard({ sessionId, request, online, input, noun }) {
  guards += 1;
  const id = `guard-${guards}`;
  const prompt = make("div", "guard-prompt");
  prompt.id = id;
  prompt.hidden = true;
  prompt.setAttribute("role", "alertdialog");
  prompt.setAttribute("aria-labelledby", `${id}-title`);
  prompt.setAttribute("aria-describedby", `${id}-text`);
  const title = make("p", "guard-title", "This may identify a client");
  title.id = `${id}-title`;
  const text = make("p", "guard-text");
  text.id = `${id}-text`;
  const editButton = button(`Edit ${noun}`, "", "edit");
  const sendButton = button("Send anyway", "quiet", "send");
  const actions = make("div", "guard-actions");
  actions.append(editButton, sendButton);
  prompt.append(title, text, actions);

  const note = make("div", "guard-note");
  const noteText = make("p", "guard-note-text");
  noteText.setAttribute("role", "status");
  const dismissButton = button("Dismiss", "quiet", "dismiss");
  dismissButton.hidden = true;
  note.append(noteText, dismissButton);

  // Right above the box the words are in (and inside whatever row holds its label).
  input.before(prompt, note);

  let pending = null; // { resolve, body, findings } from Send until the writer decides

  function finish(result) {
    if (!pending) return;
    const { resolve } = pending;
    pending = null;
    prompt.hidden = true;
    resolve(result);
  }

  function clearNote() {
    noteText.textContent = "";
    dismissButton.hidden = true;
  }

  // Back to the text, with the first words found selected so they are easy to change.
  function edit() {
    if (!pending) return;
    const { body, findings } = pending;
    finish({ send: false, checked: false });
    input.focus();
    const offset = input.value.indexOf(body);
    if (offset >= 0 && findings.length) {
      input.setSelectionRange(offset + findings[0].start, offset + findings[0].end);
    }
  }

  async function review(body) {
    if (pending) return { send: false, checked: false }; // already asking about this text
    clearNote();
    if (!online()) return unchecked;
    const snapshot = input.value;
    const decided = new Promise((resolve) => {
      pending = { resolve, body, findings: [] };
    });
    const ack = await Promise.race([
      request("check_message", { session_id: sessionId, body }),
      timeout(CHECK_TIMEOUT_MS),
    ]);
    if (!pending) return decided; // dropped meanwhile
    if (input.value !== snapshot) {
      finish({ send: false, checked: false }); // the writer kept typing: nothing unseen goes
    } else if (!ack.ok) {
      finish(unchecked); // the server will check it and warn in the ack
    } else if (!ack.findings.length) {
      finish({ send: true, checked: true });
    } else {
      pending.findings = ack.findings;
      text.textContent = `It ${ack.summary}. Edit it, or send anyway?`;
      prompt.hidden = false;
      editButton.focus();
    }
    return decided;
  }

  function warn(warning) {
    noteText.textContent = warning.message;
    dismissButton.hidden = false;
  }

  editButton.addEventListener("click", edit);
  sendButton.addEventListener("click", () => {
    finish({ send: true, checked: true });
    input.focus();
  });
  prompt.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      edit();
    }
  });
  input.addEventListener("input", () => finish({ send: false, checked: false }));
  dismissButton.addEventListener("click", () => {
    clearNote();
    input.focus();
  });

  return { review, warn, get pending() { return pending !== null; } };
}
