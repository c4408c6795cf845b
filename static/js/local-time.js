// Shows every <time data-local> in the reader's own time zone, e.g. "Tue 25 Nov, 21:00 CET".
// The server renders times in the profile's zone, else the zone this script remembers in
// the "tz" cookie, else UTC. Only when that differs from the reader's zone (a first visit)
// does the browser re-render them, so zone names stay those of the IANA database.

const profileZone = document.body.dataset.profileZone || "";

export function viewerZone() {
  return profileZone || Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

export function formatLocal(date, zone = viewerZone()) {
  const p = partsOf(date, zone, {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
    timeZoneName: "short",
  });
  return `${p.weekday} ${p.day} ${p.month}, ${p.hour}:${p.minute} ${p.timeZoneName}`;
}

function partsOf(date, zone, options) {
  return Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", { hourCycle: "h23", timeZone: zone, ...options })
      .formatToParts(date).map((p) => [p.type, p.value]),
  );
}

// The zone's short name at `date`, like "GMT" or "CEST" (or the IANA name if it has none).
export function zoneAbbreviation(date, zone = viewerZone()) {
  return partsOf(date, zone, { timeZoneName: "short" }).timeZoneName || zone;
}

// "Tue 1 Dec 2026, 20:00 to 21:00 GMT", as the server's describe_span writes it.
function formatSpan(start, end, zone) {
  const long = { weekday: "short", day: "numeric", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", timeZoneName: "short" };
  const a = partsOf(start, zone, long);
  const b = partsOf(end, zone, long);
  const day = (p) => `${p.weekday} ${p.day} ${p.month} ${p.year}`;
  if (day(a) === day(b)) return `${day(a)}, ${a.hour}:${a.minute} to ${b.hour}:${b.minute} ${b.timeZoneName}`;
  return `${day(a)}, ${a.hour}:${a.minute} ${a.timeZoneName} to ${day(b)}, ${b.hour}:${b.minute} ${b.timeZoneName}`;
}

// Re-renders what the server wrote in another zone: full times, short "20:03" clocks,
// spans, and the notes that name the zone of the short ones.
export function localiseTimes(root = document) {
  const zone = viewerZone();
  for (const el of root.querySelectorAll("time[data-local]")) {
    const date = new Date(el.getAttribute("datetime"));
    if (el.dataset.local === "clock") {
      const p = partsOf(date, zone, { hour: "2-digit", minute: "2-digit" });
      el.textContent = `${p.hour}:${p.minute}`;
    } else if (el.dataset.local === "span") {
      el.textContent = formatSpan(date, new Date(el.dataset.end), zone);
    } else {
      el.textContent = formatLocal(date);
    }
  }
  for (const el of root.querySelectorAll("[data-local-zone]")) {
    const abbreviation = zoneAbbreviation(new Date(el.dataset.localZone), zone);
    el.textContent = abbreviation === zone ? zone : `${zone} (${abbreviation})`;
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
