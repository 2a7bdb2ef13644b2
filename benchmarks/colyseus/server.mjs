// A Colyseus server with rooms equivalent to a medverse space's presence, for
// benchmarks/presence_peer.py. Run: node server.mjs --port 2567
//
// Every room takes the same 112-byte POSE frame as medverse (docs/protocol.md), sent with
// room.sendBytes("p", frame), and validates it the same way (length, type, flags, finite
// numbers within 10 km). What differs is how poses reach the others:
//
//   presence_state        the Colyseus way for positions: each participant's pose lives in
//                         the room state (a MapSchema of Pose, 27 float32 fields); Colyseus
//                         sends every client the delta since the last patch at its default
//                         patchRate (50 ms = 20 Hz).
//   presence_state_25ms   the same with patchRate 25 ms (40 Hz, medverse's presence tick).
//   presence_broadcast    room messages: every pose is relayed at once to every other client
//                         with broadcastBytes (116 bytes: u32 sender, u8 flags, 3 reserved,
//                         27 floats, the layout of a medverse batch entry).

import { parseArgs } from "node:util";

import { Room, Server } from "@colyseus/core";
import { schema, t } from "@colyseus/schema";
import { WebSocketTransport } from "@colyseus/ws-transport";

import { ENTRY_SIZE, POSE_FIELDS, POSE_FLOATS, readPose } from "./pose.mjs";

const poseFields = { flags: t.uint8() };
for (const name of POSE_FIELDS) poseFields[name] = t.float32();
const Pose = schema(poseFields, "Pose");
const PresenceState = schema({ poses: t.map(Pose) }, "PresenceState");

class StatePresenceRoom extends Room {
  state = new PresenceState();
  maxClients = 1000;

  onCreate(options) {
    if (options.patchRate) this.patchRate = options.patchRate;
    this.onMessageBytes("p", (client, bytes) => {
      const floats = readPose(bytes);
      const pose = floats && this.state.poses.get(client.sessionId);
      if (!pose) return;
      pose.flags = bytes[1];
      for (let i = 0; i < POSE_FLOATS; i++) pose[POSE_FIELDS[i]] = floats[i];
    });
  }

  onJoin(client) {
    this.state.poses.set(client.sessionId, new Pose());
  }

  onLeave(client) {
    this.state.poses.delete(client.sessionId);
  }
}

class BroadcastPresenceRoom extends Room {
  maxClients = 1000;
  nextId = 1;

  onCreate() {
    this.onMessageBytes("p", (client, bytes) => {
      if (readPose(bytes) === null) return;
      const entry = new Uint8Array(ENTRY_SIZE);
      new DataView(entry.buffer).setUint32(0, client.userData.id, true);
      entry[4] = bytes[1];
      entry.set(bytes.subarray(4), 8);
      this.broadcastBytes("p", entry, { except: client });
    });
  }

  onJoin(client) {
    client.userData = { id: this.nextId++ };
  }
}

const { values } = parseArgs({ options: { port: { type: "string", default: "2567" } } });
const server = new Server({ transport: new WebSocketTransport(), greet: false });
server.define("presence_state", StatePresenceRoom);
server.define("presence_state_25ms", StatePresenceRoom, { patchRate: 25 });
server.define("presence_broadcast", BroadcastPresenceRoom);
await server.listen(Number(values.port), "127.0.0.1");
console.log(`colyseus listening on 127.0.0.1:${values.port}`);
