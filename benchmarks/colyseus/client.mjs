// The one client process of benchmarks/presence_peer.py: it drives medverse (the `ws` package,
// medverse's own protocol) and Colyseus (the official SDK, @colyseus/sdk) with the same pose
// loop, the same clock and the same timing code.
//
// It reads one JSON command per line on stdin and answers with JSON lines on stdout:
//   {"cmd": "run", "peer": "medverse" | "colyseus", "url": "http://127.0.0.1:port",
//    "room": "presence_state" (colyseus) | "space": "bench", "password": ... (medverse),
//    "clients": 50, "hz": 20, "warmup": 3, "seconds": 15, "observers": 10}
//     -> {"event": "connected"}, {"event": "measure_start"}, {"event": "measure_end"},
//        {"event": "result", ...}
//   {"cmd": "quit"}
//
// Timing: every pose carries its send time (performance.now() since the run began, float32
// seconds) in one of its 27 numbers; an observer client takes performance.now() when the
// WebSocket message reaches JavaScript, before decoding it, and records now - stamp for every
// other participant's pose in it. All clients live in this process, so the clocks agree.
// Observers decode everything (for Colyseus: the SDK applies the state patch); the other
// clients only count what they receive, so the client process stays out of the measurement.

import { createInterface } from "node:readline";

import WS from "ws";

import { ENTRY_SIZE, POSE_SIZE, STAMP_FIELD, STAMP_INDEX, writePose } from "./pose.mjs";

// One WebSocket implementation for both peers: the SDK uses globalThis.WebSocket when there is
// one (Node 22's built-in), the `ws` package otherwise. Neither side compresses: Colyseus's
// server turns permessage-deflate off by default, and medverse's clients here do not offer it.
class PlainWebSocket extends WS {
  constructor(url, options) {
    super(url, { ...(options && !Array.isArray(options) ? options : {}), perMessageDeflate: false });
  }
}
globalThis.WebSocket = PlainWebSocket;
const { Client: ColyseusClient } = await import("@colyseus/sdk");

const out = (msg) => process.stdout.write(JSON.stringify(msg) + "\n");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Wait up to 2 s for a socket to close (a server far behind has a long queue before the close
 *  frame), then drop it. */
async function closed(ws) {
  if (ws.readyState !== WS.CLOSED) {
    await Promise.race([new Promise((resolve) => ws.once("close", resolve)), sleep(2000)]);
  }
  if (ws.readyState !== WS.CLOSED) ws.terminate();
}

/** Samples of now - stamp (ms) and counters, for one run. */
class Recorder {
  constructor(epoch) {
    this.epoch = epoch;
    this.measuring = false; // poses sent now count as sent
    this.fromS = Infinity; // poses stamped in [fromS, toS) count as received
    this.toS = Infinity;
    this.delays = new Float64Array(1 << 16);
    this.count = 0;
  }

  nowS() {
    return (performance.now() - this.epoch) / 1000;
  }

  record(arrivalS, stampS) {
    if (stampS < this.fromS || stampS >= this.toS) return;
    if (this.count === this.delays.length) {
      const bigger = new Float64Array(this.delays.length * 2);
      bigger.set(this.delays);
      this.delays = bigger;
    }
    this.delays[this.count++] = (arrivalS - stampS) * 1000;
  }

  summary() {
    const a = this.delays.subarray(0, this.count).slice().sort();
    const q = (p) => (a.length ? a[Math.min(a.length - 1, Math.floor(p * a.length))] : null);
    return { samples: a.length, p50_ms: q(0.5), p90_ms: q(0.9), p99_ms: q(0.99), p999_ms: q(0.999),
             max_ms: a.length ? a[a.length - 1] : null };
  }
}

/** What every participant has: a socket to count bytes on, and counters. */
class Participant {
  constructor(index, observer, recorder) {
    this.index = index;
    this.observer = observer;
    this.recorder = recorder;
    this.frame = new Uint8Array(POSE_SIZE);
    this.messages = 0;
    this.payloadBytes = 0;
    this.sent = 0;
    this.stopped = false;
  }

  socket() {
    return this.ws()._socket;
  }

  counters() {
    const s = this.socket();
    return { messages: this.messages, payload: this.payloadBytes, sent: this.sent,
             wireIn: s ? s.bytesRead : 0, wireOut: s ? s.bytesWritten : 0 };
  }

  /** A client that is not an observer only counts what it receives, as cheaply as `ws` allows
   *  (no MessageEvent, no copy into an ArrayBuffer): the client process has many sockets to serve. */
  countOnly() {
    const ws = this.ws();
    ws.onmessage = null;
    ws.binaryType = "nodebuffer";
    ws.on("message", (data) => this.arrived(data));
  }

  /** Every message from the server passes here first (the same for both peers). */
  arrived(data) {
    const arrivalS = this.recorder.nowS();
    this.messages++;
    this.payloadBytes += typeof data === "string" ? Buffer.byteLength(data) : data.byteLength;
    return arrivalS;
  }

  async poseLoop(hz) {
    const periodMs = 1000 / hz;
    await sleep(Math.random() * periodMs); // clients are not in phase
    let next = performance.now();
    while (!this.stopped) {
      const t = this.recorder.nowS();
      writePose(this.frame, this.index, t, t);
      try {
        this.sendPose(this.frame);
      } catch {
        return;
      }
      if (this.recorder.measuring) this.sent++;
      next += periodMs;
      await sleep(Math.max(0, next - performance.now()));
    }
  }
}

class MedverseParticipant extends Participant {
  async connect(opts) {
    const username = `${opts.user_prefix}${String(this.index).padStart(3, "0")}`;
    const r = await fetch(`${opts.url}/api/auth/login`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ username, password: opts.password }),
    });
    if (!r.ok) throw new Error(`sign-in of ${username} failed: ${r.status} ${await r.text()}`);
    const cookie = r.headers.getSetCookie().map((c) => c.split(";")[0]).find((c) => c.startsWith("medverse_session="));
    const ws = new PlainWebSocket(`${opts.url.replace("http", "ws")}/ws/spaces/${opts.space}`,
                                  { headers: { Cookie: cookie } });
    ws.binaryType = "arraybuffer";
    this.socketRef = ws;
    await new Promise((resolve, reject) => {
      ws.onerror = (e) => reject(new Error(`${username}: ${e.message}`));
      ws.onclose = (e) => reject(new Error(`${username}: closed ${e.code}`));
      ws.onopen = () => ws.send(JSON.stringify({ type: "hello", since: null, protocol: 1 }));
      ws.onmessage = (ev) => {
        const arrivalS = this.arrived(ev.data);
        if (typeof ev.data === "string") {
          if (JSON.parse(ev.data).type === "participants") resolve();
        } else if (this.observer) {
          this.readBatch(ev.data, arrivalS);
        }
      };
    });
    ws.onclose = null;
    ws.onerror = () => {};
    if (!this.observer) this.countOnly();
  }

  readBatch(buffer, arrivalS) {
    // POSE_BATCH: u8 type 2, u8, u16 count, u32 tick, then count entries of 116 bytes
    const view = new DataView(buffer);
    if (view.getUint8(0) !== 2) return;
    const count = view.getUint16(2, true);
    for (let i = 0, o = 8; i < count; i++, o += ENTRY_SIZE) {
      this.recorder.record(arrivalS, view.getFloat32(o + 8 + 4 * STAMP_INDEX, true));
    }
  }

  ws() {
    return this.socketRef;
  }

  sendPose(frame) {
    this.socketRef.send(frame);
  }

  async close() {
    this.stopped = true;
    this.socketRef.close();
    await closed(this.socketRef);
  }
}

class ColyseusParticipant extends Participant {
  async connect(opts) {
    const client = new ColyseusClient(opts.url);
    this.room = await client.joinOrCreate(opts.room);
    const room = this.room;
    const events = room.connection.events;
    const sdkOnMessage = events.onmessage;
    let arrivalS = 0;
    if (opts.room === "presence_broadcast") {
      room.onMessage("p", (bytes) => {
        // 116 bytes: u32 sender, u8 flags, 3 reserved, then the 27 floats
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        this.recorder.record(arrivalS, view.getFloat32(8 + 4 * STAMP_INDEX, true));
      });
    } else {
      const last = new Map();
      room.onStateChange((state) => {
        state.poses.forEach((pose, sessionId) => {
          const stamp = pose[STAMP_FIELD];
          if (sessionId !== room.sessionId && last.get(sessionId) !== stamp) {
            last.set(sessionId, stamp);
            this.recorder.record(arrivalS, stamp);
          }
        });
      });
    }
    if (this.observer) {
      events.onmessage = (ev) => { arrivalS = this.arrived(ev.data); sdkOnMessage(ev); };
    } else {
      this.countOnly();
    }
  }

  ws() {
    return this.room.connection.transport.ws;
  }

  sendPose(frame) {
    this.room.sendBytes("p", frame);
  }

  async close() {
    // close the socket as a closing browser tab would; the SDK must not try to reconnect
    this.stopped = true;
    const events = this.room.connection.events;
    events.onmessage = events.onclose = events.onerror = () => {};
    const ws = this.ws();
    ws.close();
    await closed(ws);
  }
}

async function run(opts) {
  const recorder = new Recorder(performance.now());
  const Kind = opts.peer === "medverse" ? MedverseParticipant : ColyseusParticipant;
  const clients = [];
  for (let i = 0; i < opts.clients; i++) clients.push(new Kind(i, i < opts.observers, recorder));
  // sign-ins cost the medverse server a password hash each: a few at a time
  for (let i = 0; i < clients.length; i += 5) {
    await Promise.all(clients.slice(i, i + 5).map((c) => c.connect(opts)));
  }
  out({ event: "connected" });
  const loops = clients.map((c) => c.poseLoop(opts.hz));
  await sleep(opts.warmup * 1000);

  const sum = (list) => list.reduce((acc, c) => {
    for (const k of Object.keys(c)) acc[k] = (acc[k] || 0) + c[k];
    return acc;
  }, {});
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const before = sum(clients.map((c) => c.counters()));
  recorder.measuring = true;
  recorder.fromS = recorder.nowS();
  out({ event: "measure_start" });
  await sleep(opts.seconds * 1000);
  recorder.measuring = false;
  recorder.toS = recorder.nowS();
  const after = sum(clients.map((c) => c.counters()));
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  out({ event: "measure_end" });
  await sleep(2000); // the poses sent in the window that are still on their way

  const perClientS = (k) => (after[k] - before[k]) / clients.length / wallS;
  const observerPoses = recorder.count;
  // each observer should have received every pose the others sent in the window
  const expected = (after.sent - before.sent) * Math.min(opts.observers, clients.length) * (clients.length - 1) / clients.length;
  const result = {
    event: "result", peer: opts.peer, room: opts.room || null, clients: clients.length,
    observers: Math.min(opts.observers, clients.length), seconds: wallS,
    delay: recorder.summary(),
    delivered_fraction: expected ? observerPoses / expected : null,
    poses_sent_per_client_s: perClientS("sent"),
    messages_in_per_client_s: perClientS("messages"),
    payload_in_bytes_per_client_s: perClientS("payload"),
    wire_in_bytes_per_client_s: perClientS("wireIn"),
    wire_out_bytes_per_client_s: perClientS("wireOut"),
    client_cpu_cores: (cpu.user + cpu.system) / 1e6 / wallS,
  };
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(loops);
  await sleep(500);
  out(result);
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  const cmd = JSON.parse(line);
  if (cmd.cmd === "quit") break;
  try {
    await run(cmd);
  } catch (e) {
    out({ event: "error", message: String(e && e.stack || e) });
  }
}
process.exit(0);
