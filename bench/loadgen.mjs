// Load generator for bench/run.py: N real Socket.IO clients (the npm socket.io-client, which
// like a browser offers permessage-deflate) join one session; a few of them send at a set
// rate while every client records when each message arrives.
//
// Usage: node bench/loadgen.mjs PLAN.json   (run.py writes the plan; results go to stdout)
// The plan: {url, session_id, tokens[], join_window_s, idle_s, senders, rate, duration_s,
// settle_s}. After joining it writes "joined" to stderr and holds the room idle for idle_s.
// Bodies carry the send time, so latency is receipt minus send on one machine's clock.

import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { io } from "socket.io-client";

const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const clients = [];
const joinMs = [];
const joinErrors = {};
let latencies = new Float64Array(1 << 20);
let deliveries = 0;
let duplicates = 0;
let lastDelivery = 0;

function record(latency) {
  if (deliveries === latencies.length) {
    const bigger = new Float64Array(latencies.length * 2);
    bigger.set(latencies);
    latencies = bigger;
  }
  latencies[deliveries++] = latency;
}

function onMessage(seen, message) {
  const parts = typeof message.body === "string" ? message.body.split(" ") : [];
  if (parts[0] !== "bench") return; // history or prompts, not this run's traffic
  const arrived = now();
  if (seen.has(parts[1])) {
    duplicates += 1;
    return;
  }
  seen.add(parts[1]);
  record(arrived - Number(parts[2]));
  lastDelivery = arrived;
}

function open(token, index) {
  return new Promise((resolve) => {
    const started = now();
    const socket = io(plan.url, {
      transports: ["websocket"],
      auth: { token },
      reconnection: false,
      forceNew: true,
      timeout: 60000,
    });
    const seen = new Set();
    socket.on("message", (message) => onMessage(seen, message));
    socket.on("connect_error", (error) => {
      const code = error?.data?.code || error.message;
      joinErrors[code] = (joinErrors[code] || 0) + 1;
      resolve(null);
    });
    socket.on("connect", () => {
      socket.timeout(60000).emit("join", { session_id: plan.session_id }, (err, ack) => {
        if (err || !ack || !ack.ok) {
          const code = err ? "timeout" : ack?.error?.code || "no_ack";
          joinErrors[code] = (joinErrors[code] || 0) + 1;
          resolve(null);
          return;
        }
        joinMs.push(now() - started);
        clients[index] = socket;
        resolve(socket);
      });
    });
  });
}

async function joinAll() {
  const spacing = (plan.join_window_s * 1000) / plan.tokens.length;
  const started = now();
  const pending = plan.tokens.map(async (token, index) => {
    await sleep(index * spacing);
    return open(token, index);
  });
  const sockets = await Promise.all(pending);
  return { ready: sockets.filter(Boolean).length, seconds: (now() - started) / 1000 };
}

async function send() {
  const senders = clients.filter(Boolean).slice(0, plan.senders);
  const ackErrors = {};
  let sent = 0;
  let acked = 0;
  const total = Math.round(plan.rate * plan.duration_s);
  const started = now();
  for (let seq = 0; seq < total; seq += 1) {
    const due = started + (seq * 1000) / plan.rate;
    const wait = due - now();
    if (wait > 0) await sleep(wait);
    const body = `bench ${seq} ${now().toFixed(3)}`;
    const payload = { session_id: plan.session_id, body, client_id: randomUUID() };
    sent += 1;
    senders[seq % senders.length].timeout(60000).emit("send_message", payload, (err, ack) => {
      if (!err && ack && ack.ok) acked += 1;
      else {
        const code = err ? "timeout" : ack?.error?.code || "no_ack";
        ackErrors[code] = (ackErrors[code] || 0) + 1;
      }
    });
  }
  const expected = () => acked * clients.filter(Boolean).length;
  const settleBy = now() + plan.settle_s * 1000;
  while (now() < settleBy && (deliveries < expected() || acked + sum(ackErrors) < sent)) {
    await sleep(50);
  }
  return { sent, acked, ackErrors, expected: expected(), started };
}

function sum(counts) {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const join = await joinAll();
// Everyone is in: run.py measures the server's memory while the room is idle.
process.stderr.write("joined\n");
await sleep((plan.idle_s ?? 0) * 1000);
const joins = Float64Array.from(joinMs).sort();
const result = {
  clients: plan.tokens.length,
  ready: join.ready,
  join_errors: joinErrors,
  join_seconds: join.seconds,
  join_ms: { p50: percentile(joins, 50), p99: percentile(joins, 99), max: percentile(joins, 100) },
};
if (plan.rate > 0 && join.ready > 0) {
  await sleep(1000); // let the join's presence updates drain before timing messages
  const sending = await send();
  const sorted = latencies.slice(0, deliveries).sort();
  Object.assign(result, {
    sent: sending.sent,
    acked: sending.acked,
    ack_errors: sending.ackErrors,
    deliveries,
    expected_deliveries: sending.expected,
    lost: Math.max(0, sending.expected - deliveries),
    duplicates,
    delivered_per_s: deliveries / ((lastDelivery - sending.started) / 1000),
    latency_ms: {
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
    },
  });
}
for (const socket of clients) socket?.disconnect();
process.stdout.write(JSON.stringify(result) + "\n");
process.exit(0);
