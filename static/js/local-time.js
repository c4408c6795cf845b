// Shows every <time data-local> in the reader's own time zone, e.g. "Tue 25 Nov, 21:00 CET".
// The server renders times in the profile's zone, else the zone this script remembers in
// the "tz" cookie, else UTC. Only when that differs from the reader's zone (a first visit)
// does the browser re-render them, so zone names stay those of the IANA database.

const profileZone = document.body.dataset.profileZone || "";

export function viewerZone() {
  return profileZone || Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

export function formatLocal(date, zone = viewerZone()) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      weekday: "short", day: "numeric", month: "short", hour: "2-digit",
      minute: "2-digit", hourCycle: "h23", timeZone: zone, timeZoneName: "short",
    }).formatToParts(date).map((p) => [p.type, p.value]),
  );
  return `${parts.weekday} ${parts.day} ${parts.month}, ${parts.hour}:${parts.minute} ${parts.timeZoneName}`;
}

export function localiseTimes(root = document) {
  for (const el of root.querySelectorAll("time[data-local]")) {
    el.textContent = formatLocal(new Date(el.getAttribute("datetime")));
  }
}

// Remember the browser's zone so the server renders the next page in it too.
// IANA names only use characters that are valid in a cookie value as they are.
if (!profileZone) {
  const zone = viewerZone();
  if (!document.cookie.split("; ").includes(`tz=${zone}`)) {
    document.cookie = `tz=${zone}; path=/; max-age=31536000; SameSite=Lax`;
  }
}
if (document.body.dataset.renderZone !== viewerZone()) localiseTimes();
