// What the room tells you without you looking: a facilitator's prompt read out at once
// (always), and, if you opt in (off by default, remembered on this device), a browser
// notification and a gentle chime when the session goes live or someone mentions you,
// and a quieter chat log for screen readers that reads out only prompts, announcements
// and mentions of you. The settings are the "Room settings" panel in the chat toolbar.
import { excerpt, make } from "./common.js";
import { mentionsMe } from "./mentions.js";

const STORAGE_KEY = "traineetalk.room-alerts";
const DEFAULTS = { notify: false, sound: false, quiet: false };
const EXCERPT = 120;
const KEPT_ANNOUNCEMENTS = 3;

function loadSettings() {
  try {
    return { ...DEFAULTS, ...JSON.parse(localStorage.getItem(STORAGE_KEY) || "{}") };
  } catch {
    return { ...DEFAULTS };
  }
}

function saveSettings(settings) {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(settings));
  } catch {
    // Storage refused (a private window, say): the settings hold for this visit only.
  }
}

// A visually hidden live region outside the page's panels, so it is heard whichever part
// of the room is on screen. "alert" interrupts; "status" waits for a pause.
function liveRegion(id, role) {
  const region = make("div", "visually-hidden");
  region.id = id;
  region.setAttribute("role", role);
  region.setAttribute("aria-atomic", "false"); // read each new line, not the whole region
  document.body.append(region);
  return region;
}

// Each announcement is a new line, so two in quick succession are both read.
function announce(region, text) {
  region.append(make("p", "", text));
  while (region.childElementCount > KEPT_ANNOUNCEMENTS) region.firstElementChild.remove();
}

const notificationsSupported = () => "Notification" in window;

// Like chat apps: a notification only when the page is not what you are looking at.
const lookingAway = () => document.visibilityState !== "visible" || !document.hasFocus();

/**
 * The room's alerts. `me` is {id, name} (kept current by room.js), `log` the chat log,
 * `title` the session's title. Call `onState(previous, next)` with state names when the
 * session's state changes and `onLiveMessage(message)` for each new live broadcast
 * (not history or catch-up).
 */
export function createRoomAlerts({ me, log, title }) {
  const $ = (id) => document.getElementById(id);
  const panel = $("room-settings");
  const notifyBox = $("alert-notify");
  const notifyStatus = $("alert-notify-status");
  const soundBox = $("alert-sound");
  const quietBox = $("alert-quiet");
  const promptRegion = liveRegion("prompt-announcer", "alert");
  const mentionRegion = liveRegion("mention-announcer", "status");
  const settings = loadSettings();
  let audio = null;
  let handledUpTo = 0; // the newest message id already alerted about

  function render() {
    notifyBox.checked = settings.notify;
    soundBox.checked = settings.sound;
    quietBox.checked = settings.quiet;
    // The log stays a log (readable by browsing); it just stops speaking by itself.
    log.setAttribute("aria-live", settings.quiet ? "off" : "polite");
  }

  function change(key, value) {
    settings[key] = value;
    saveSettings(settings);
    render();
  }

  // Browsers only let sound play after the person did something on the page: make the
  // audio context then, on the tick itself or on the first key or tap of a later visit.
  function wakeAudio() {
    if (!settings.sound) return null;
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    if (!audio) audio = new Context();
    if (audio.state === "suspended") audio.resume();
    return audio;
  }

  // A soft, short bell: one sine tone that fades in quickly and out over 0.4 s.
  function chime() {
    const context = wakeAudio();
    if (!context) return;
    const now = context.currentTime;
    const tone = context.createOscillator();
    const volume = context.createGain();
    tone.type = "sine";
    tone.frequency.setValueAtTime(784, now); // G5
    tone.frequency.exponentialRampToValueAtTime(659, now + 0.4); // settling to E5
    volume.gain.setValueAtTime(0.0001, now);
    volume.gain.exponentialRampToValueAtTime(0.08, now + 0.02);
    volume.gain.exponentialRampToValueAtTime(0.0001, now + 0.4);
    tone.connect(volume).connect(context.destination);
    tone.start(now);
    tone.stop(now + 0.42);
  }

  function notify(heading, body, tag) {
    if (!settings.notify || !notificationsSupported() || Notification.permission !== "granted") return;
    if (!lookingAway()) return;
    try {
      const shown = new Notification(heading, { body, tag });
      shown.addEventListener("click", () => {
        window.focus();
        shown.close();
      });
    } catch {
      // Some phone browsers only notify from an installed app's service worker.
    }
  }

  async function askToNotify() {
    notifyStatus.textContent = "";
    notifyStatus.classList.remove("error");
    if (!notificationsSupported()) {
      change("notify", false);
      refuse("This browser cannot show notifications.");
      return;
    }
    let answer = Notification.permission;
    if (answer === "default") {
      try {
        answer = await Notification.requestPermission();
      } catch {
        answer = "denied";
      }
    }
    if (answer === "granted") {
      change("notify", true);
      notifyStatus.textContent = "Notifications are on.";
    } else {
      change("notify", false);
      refuse(answer === "denied"
        ? "Your browser blocks notifications from this site. Allow them in the browser's site settings, then tick this again."
        : "Notifications were not allowed. Tick this again to be asked once more.");
    }
  }

  function refuse(text) {
    notifyStatus.textContent = text;
    notifyStatus.classList.add("error");
  }

  notifyBox.addEventListener("change", () => {
    if (notifyBox.checked) {
      notifyBox.checked = false; // ticked once the browser says yes
      askToNotify();
    } else {
      change("notify", false);
      notifyStatus.textContent = "";
      notifyStatus.classList.remove("error");
    }
  });
  soundBox.addEventListener("change", () => {
    change("sound", soundBox.checked);
    if (soundBox.checked) chime(); // a gesture, so audio may start; and a sample of it
  });
  quietBox.addEventListener("change", () => change("quiet", quietBox.checked));
  for (const type of ["pointerdown", "keydown"]) {
    document.addEventListener(type, () => {
      if (!audio || audio.state === "suspended") wakeAudio();
    }, { capture: true });
  }
  // A small panel, not a dialog: Escape closes it and returns to its button.
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && panel.open) {
      panel.open = false;
      panel.querySelector("summary").focus();
    }
  });
  document.addEventListener("pointerdown", (event) => {
    if (panel.open && !panel.contains(event.target)) panel.open = false;
  });

  // Ticked on another visit, but the browser no longer allows it: show it unticked.
  if (settings.notify && (!notificationsSupported() || Notification.permission !== "granted")) {
    settings.notify = false;
    saveSettings(settings);
  }
  render();

  return {
    onState(previous, next) {
      if (previous === next || next !== "live") return;
      notify(`${title} is live`, "The session has started. Come and join the conversation.", "live");
      if (settings.sound) chime();
    },

    onLiveMessage(message) {
      if (!message || message.id <= handledUpTo) return; // a repeat after a reconnect
      handledUpTo = message.id;
      if (message.author.id === me.id) return;
      const kind = message.kind || "message";
      const text = excerpt(message.body, EXCERPT);
      if (kind === "prompt" && message.prompt) {
        announce(promptRegion, `Q${message.prompt.number} from ${message.author.name}: ${message.body}`);
      } else if (kind === "announcement" && settings.quiet) {
        announce(mentionRegion, `Announcement from ${message.author.name}: ${text}`);
      }
      if (!mentionsMe(message, me)) return;
      if (kind === "message" && settings.quiet) {
        announce(mentionRegion, `${message.author.name} mentioned you: ${text}`);
      }
      // No words of the message: a notification can show on a locked phone's screen, and
      // what members write about their work stays in the room.
      notify(`${message.author.name} mentioned you`, `In ${title}. Open the room to read it.`,
        `mention-${message.id}`);
      if (settings.sound) chime();
    },
  };
}
