// The session page: live state and countdown, and who is here, over Socket.IO.
import { formatLocal } from "./local-time.js";

const root = document.getElementById("lobby");
const sessionId = Number(root.dataset.sessionId);
const label = document.getElementById("state-label");
const countdown = document.getElementById("countdown");
const presenceCount = document.getElementById("presence-count");
const presenceList = document.getElementById("presence-list");
const connection = document.getElementById("connection");

const LABELS = {
  scheduled: "Scheduled",
  lobby: "Lobby open",
  live: "Live now",
  ended: "This session has ended",
  cancelled: "This session is cancelled",
};

let state = JSON.parse(root.dataset.state);
let clockOffset = Date.parse(state.server_time) - Date.now();

function duration(ms) {
  const total = Math.max(0, Math.round(ms / 1000));
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (days) return `${days} d ${hours} h`;
  if (hours) return `${hours} h ${minutes} min`;
  return `${minutes}:${String(seconds).padStart(2, "0")}`;
}

function renderCountdown() {
  const now = Date.now() + clockOffset;
  const starts = Date.parse(state.starts_at);
  const ends = Date.parse(state.ends_at);
  let text = "";
  if (state.state === "scheduled" || state.state === "lobby") {
    text = `Starts in ${duration(starts - now)}`;
  } else if (state.state === "live") {
    text = `Ends in ${duration(ends - now)} (at ${formatLocal(new Date(ends))})`;
  }
  countdown.textContent = text;
}

function applyState(next) {
  if (next.session_id !== sessionId) return;
  state = next;
  clockOffset = Date.parse(next.server_time) - Date.now();
  if (label.dataset.state !== next.state) {
    label.dataset.state = next.state;
    label.textContent = LABELS[next.state] || next.state;
  }
  renderCountdown();
}

function applyPresence(p) {
  if (p.session_id !== sessionId) return;
  presenceCount.textContent = String(p.count);
  presenceList.replaceChildren(
    ...p.people.map((person) => {
      const li = document.createElement("li");
      li.textContent = person.name;
      return li;
    }),
  );
}

const socket = io({ transports: ["websocket", "polling"] });
socket.on("connect", () => {
  connection.textContent = "";
  socket.emit("join", { session_id: sessionId }, (ack) => {
    if (ack && ack.ok) {
      applyState(ack.state);
      applyPresence(ack.presence);
    } else {
      connection.textContent = ack ? ack.error.message : "Could not join.";
    }
  });
});
socket.on("disconnect", () => { connection.textContent = "Connection lost, reconnecting…"; });
socket.on("connect_error", () => { connection.textContent = "Cannot reach the server, retrying…"; });
socket.on("state", applyState);
socket.on("presence", applyPresence);

renderCountdown();
setInterval(renderCountdown, 1000);
