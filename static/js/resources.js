// The room's resources: links that facilitators and members share (title, link, note),
// upvoted by others, one featured by staff. room.js creates it and feeds it the join ack's
// `resources`, the `state` and every `resource` event. The server checks every link and
// authorises every action; which buttons show is a convenience only. User text only ever
// enters the page through textContent, and links only through an <a>'s href, which the
// server accepts for http and https links alone.
import { button, icon, make, newClientId } from "./common.js";

const SHARING_STATES = new Set(["lobby", "live"]);
const OFFLINE = "You are offline; try again once the connection is back.";
const FIELDS = ["title", "url", "note"];
// An arrow pointing up (Feather icons, MIT licence), as on the questions' upvote button.
const UP = "M12 19V5M5 12l7-7 7 7";

export function createResources({ sessionId, request, online, me }) {
  const $ = (id) => document.getElementById(id);
  const list = $("resource-list");
  const empty = $("resources-empty");
  const announcer = $("resources-announcer");
  const form = $("resource-form");
  const shareButton = $("resource-share-button");
  const formError = $("resource-error");
  const inputs = { title: $("resource-title"), url: $("resource-url"), note: $("resource-note") };

  const resources = new Map(); // id -> the resource as the server last sent it
  const items = new Map(); // id -> its <li>
  const voted = new Set(); // ids this person upvoted
  let staff = false;
  let state = null;
  // The resource being shared keeps its client_id until the server has it, so pressing
  // Share again after a timeout or a reconnect cannot share it twice.
  let draftId = null;

  function announce(text) {
    announcer.textContent = "";
    setTimeout(() => {
      announcer.textContent = text;
    }, 50);
  }

  function byPlace(a, b) {
    return Number(b.featured) - Number(a.featured) || b.votes - a.votes || b.id - a.id;
  }

  function buildItem(id) {
    const li = make("li", "resource-item");
    li.dataset.id = String(id);
    li.tabIndex = -1; // focus lands here when the button that had it goes away
    const vote = make("div", "qa-vote");
    const up = button(undefined, "qa-upvote", "vote");
    up.setAttribute("aria-pressed", "false");
    up.append(icon(UP), make("span", "visually-hidden resource-upvote-name"));
    const count = make("p", "qa-votes");
    count.append(make("span", "resource-votes-n"), make("span", "visually-hidden resource-votes-noun"));
    vote.append(up, count);

    const main = make("div", "resource-main");
    const title = make("p", "resource-title");
    const link = document.createElement("a");
    link.className = "resource-link";
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.append(make("span", "resource-link-text"), make("span", "visually-hidden", " (opens in a new tab)"));
    title.append(link, " ", make("span", "resource-domain"), " ", make("span", "badge resource-featured", "Featured"));
    const actions = make("div", "qa-actions");
    actions.append(
      button("Feature", "chip staff-action", "feature"),
      button("Remove", "chip", "remove"),
    );
    main.append(title, make("p", "resource-note"), make("p", "resource-meta"), actions);
    li.append(vote, main);
    return li;
  }

  function fill(li, r) {
    const find = (selector) => li.querySelector(selector);
    const mine = r.author.id === me.id;
    const link = find(".resource-link");
    link.href = r.url;
    find(".resource-link-text").textContent = r.title;
    find(".resource-domain").textContent = r.domain;
    find(".resource-featured").hidden = !r.featured;
    li.classList.toggle("resource-featured-item", r.featured);
    const note = find(".resource-note");
    note.textContent = r.note;
    note.hidden = !r.note;
    find(".resource-meta").textContent = mine ? "Shared by you" : `Shared by ${r.author.name}`;
    // Upvotes say that others found it useful: a sharer sees the count, not the button.
    const up = find(".qa-upvote");
    up.hidden = mine;
    up.setAttribute("aria-pressed", String(voted.has(r.id)));
    find(".resource-upvote-name").textContent = `Upvote: ${r.title}`;
    find(".resource-votes-n").textContent = String(r.votes);
    find(".resource-votes-noun").textContent = r.votes === 1 ? " upvote" : " upvotes";
    const feature = find("[data-action='feature']");
    feature.hidden = !staff;
    feature.textContent = r.featured ? "Unfeature" : "Feature";
    feature.append(make("span", "visually-hidden", `: ${r.title}`));
    const remove = find("[data-action='remove']");
    remove.hidden = !(staff || mine);
    remove.classList.toggle("staff-action", staff && !mine);
    remove.textContent = "Remove";
    remove.append(make("span", "visually-hidden", `: ${r.title}`));
  }

  // Put the items in the panel's order, keeping focus where it was.
  function render() {
    const focused = document.activeElement;
    const ordered = [...resources.values()].sort(byPlace);
    ordered.forEach((r, at) => {
      const li = items.get(r.id);
      fill(li, r);
      if (list.children[at] !== li) list.insertBefore(li, list.children[at] || null);
    });
    empty.hidden = ordered.length > 0;
    if (focused && focused !== document.activeElement && list.contains(focused)) focused.focus();
  }

  function upsert(r) {
    if (!r || r.session_id !== sessionId) return;
    if (r.removed) {
      const li = items.get(r.id);
      if (li) {
        const hadFocus = li.contains(document.activeElement);
        li.remove();
        if (hadFocus) $("resources-heading").focus();
      }
      items.delete(r.id);
      resources.delete(r.id);
      voted.delete(r.id);
      render();
      return;
    }
    const known = resources.has(r.id);
    if (!known) items.set(r.id, buildItem(r.id));
    resources.set(r.id, r);
    render();
    if (!known && r.author.id !== me.id) announce(`New resource: ${r.title}`);
  }

  // The join ack's list: everything as it is now, and what this person upvoted.
  function sync(entries, isStaff) {
    staff = isStaff;
    resources.clear();
    voted.clear();
    for (const [id, li] of items) {
      if (!entries.some((r) => r.id === id)) li.remove();
    }
    for (const r of entries || []) {
      if (!items.has(r.id)) items.set(r.id, buildItem(r.id));
      resources.set(r.id, r);
      if (r.voted) voted.add(r.id);
    }
    for (const id of [...items.keys()]) if (!resources.has(id)) items.delete(id);
    render();
  }

  function applyState(next) {
    if (!next || next.session_id !== sessionId) return;
    state = next;
    const open = SHARING_STATES.has(state.state);
    shareButton.disabled = !open;
    if (!open) formError.textContent = state.state === "ended" ? "The session has ended; sharing is closed." : "";
    else if (formError.textContent.startsWith("The session has ended")) formError.textContent = "";
  }

  function showErrors(error) {
    const fields = (error && error.fields) || {};
    for (const name of FIELDS) {
      const message = fields[name] || "";
      $(`resource-${name}-error`).textContent = message;
      if (message) inputs[name].setAttribute("aria-invalid", "true");
      else inputs[name].removeAttribute("aria-invalid");
    }
    formError.textContent = error && !Object.keys(fields).length ? error.message : "";
    const first = FIELDS.find((name) => fields[name]);
    if (first) inputs[first].focus();
  }

  form.addEventListener("input", () => {
    draftId = null; // a changed resource is a new one
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!online()) {
      showErrors({ message: OFFLINE });
      return;
    }
    draftId = draftId || newClientId();
    shareButton.disabled = true;
    const ack = await request("share_resource", {
      session_id: sessionId,
      title: inputs.title.value,
      url: inputs.url.value,
      note: inputs.note.value,
      client_id: draftId,
    });
    shareButton.disabled = !(state && SHARING_STATES.has(state.state));
    if (!ack.ok) {
      showErrors(ack.error);
      return;
    }
    draftId = null;
    showErrors(null);
    form.reset();
    upsert(ack.resource);
    announce(`Shared: ${ack.resource.title}`);
    inputs.title.focus();
  });

  list.addEventListener("click", async (event) => {
    const b = event.target.closest("button[data-action]");
    if (!b) return;
    const li = b.closest(".resource-item");
    const id = Number(li.dataset.id);
    const r = resources.get(id);
    if (!r) return;
    if (!online()) {
      announce(OFFLINE);
      return;
    }
    const payload = { session_id: sessionId, resource_id: id };
    let ack;
    if (b.dataset.action === "vote") {
      const active = !voted.has(id);
      ack = await request("vote_resource", { ...payload, active });
      if (ack.ok) {
        if (active) voted.add(id);
        else voted.delete(id);
        upsert({ ...r, votes: ack.votes });
      }
    } else if (b.dataset.action === "feature") {
      ack = await request("feature_resource", { ...payload, featured: !r.featured });
    } else if (b.dataset.action === "remove") {
      ack = await request("remove_resource", payload);
    }
    if (ack && !ack.ok) announce(ack.error.message);
  });

  return { sync, upsert, applyState };
}
