import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Close, Msg, PROTOCOL_VERSION } from "../../src/net/Protocol";
import type { CommandFrame, HelloFrame, SpaceSnapshotState, Welcome } from "../../src/net/Protocol";
import { CommandError, SpaceConnection } from "../../src/net/SpaceConnection";
import { FakeEnv } from "../fakes";
import type { FakeSocket } from "../fakes";

const WELCOME: Welcome = {
  type: Msg.WELCOME,
  protocol: PROTOCOL_VERSION,
  you: { pid: 3, user_id: 11, display_name: "Sam", role: "participant", is_admin: false },
  space: { id: 1, name: "lab", kind: "commons", title: "Lab" },
  seq: 4,
  presence_hz: 40,
  client_pose_hz: 20,
};

const STATE: SpaceSnapshotState = { objects: {}, chat: [], members: {}, removed: [], locked: false, policy: { edit: "instructor" }, kind: {} };

let env: FakeEnv;
let seq: number | null;
let conn: SpaceConnection;

/** Opens the current socket and answers the hello with a welcome and a snapshot. */
function join(socket: FakeSocket, welcome: Welcome = WELCOME): void {
  socket.open();
  socket.receive(welcome);
  socket.receive({ type: Msg.SNAPSHOT, seq: welcome.seq, state: STATE });
}

function commands(socket: FakeSocket): CommandFrame[] {
  return socket.frames().filter((f): f is CommandFrame => f.type === Msg.COMMAND);
}

beforeEach(() => {
  vi.useFakeTimers();
  env = new FakeEnv();
  seq = null;
  conn = new SpaceConnection("lab", () => seq, async () => true, env);
});

afterEach(() => {
  conn.stop();
  vi.useRealTimers();
});

describe("SpaceConnection: joining", () => {
  it("says hello with its protocol version and no sequence number at first", () => {
    conn.start();
    env.last.open();
    expect(env.last.path).toBe("/ws/spaces/lab");
    expect(env.last.frames()[0]).toEqual({ type: Msg.HELLO, since: null, protocol: PROTOCOL_VERSION });
  });

  it("is connected once the welcome and the snapshot are in", () => {
    const statuses: string[] = [];
    conn.events.on("status", (s) => statuses.push(s));
    conn.start();
    env.last.open();
    env.last.receive(WELCOME);
    expect(conn.connected).toBe(false);
    env.last.receive({ type: Msg.SNAPSHOT, seq: 4, state: STATE });
    expect(conn.connected).toBe(true);
    expect(statuses.at(-1)).toBe("open");
  });
});

describe("SpaceConnection: protocol version", () => {
  it("stops for good on a welcome of another version, and says what to do", () => {
    const outdated = vi.fn();
    const welcomed = vi.fn();
    conn.events.on("outdated", outdated);
    conn.events.on("welcome", welcomed);
    conn.start();
    env.last.open();
    env.last.receive({ ...WELCOME, protocol: PROTOCOL_VERSION + 1 });
    expect(welcomed).not.toHaveBeenCalled();
    expect(outdated).toHaveBeenCalledWith({
      message: `This page is out of date for the server (protocol ${PROTOCOL_VERSION} vs ${PROTOCOL_VERSION + 1}): reload the page.`,
      server: PROTOCOL_VERSION + 1,
    });
    expect(conn.status).toBe("closed");
    expect(env.last.closedWith?.code).toBe(Close.NORMAL);
    vi.advanceTimersByTime(60_000);
    expect(env.sockets).toHaveLength(1); // no reconnecting
  });

  it("stops on a welcome that names no version", () => {
    const outdated = vi.fn();
    conn.events.on("outdated", outdated);
    conn.start();
    env.last.open();
    const { protocol: _dropped, ...old } = WELCOME;
    env.last.receive(old);
    expect(outdated).toHaveBeenCalledOnce();
    expect(conn.status).toBe("closed");
  });

  it("refuses the commands still waiting when the versions differ", async () => {
    conn.start();
    const sent = conn.command("chat.send", { text: "hi" });
    env.last.open();
    env.last.receive({ ...WELCOME, protocol: 0 });
    await expect(sent).rejects.toBeInstanceOf(CommandError);
    expect(commands(env.last)).toEqual([]);
  });
});

describe("SpaceConnection: commands", () => {
  it("sends a command once in sync and resolves with the ack's sequence number", async () => {
    conn.start();
    join(env.last);
    const sent = conn.command("chat.send", { text: "hello" });
    const [frame] = commands(env.last);
    expect(frame).toMatchObject({ type: Msg.COMMAND, name: "chat.send", args: { text: "hello" } });
    env.last.receive({ type: Msg.ACK, id: frame.id, seq: 5 });
    await expect(sent).resolves.toBe(5);
    expect(conn.pendingCount).toBe(0);
  });

  it("rejects a refused command with the server's code and message", async () => {
    conn.start();
    join(env.last);
    const sent = conn.command("space.lock", { locked: true });
    const [frame] = commands(env.last);
    env.last.receive({ type: Msg.ERROR, id: frame.id, code: "forbidden", message: "space.lock needs role instructor" });
    const err = await sent.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(err).toMatchObject({ code: "forbidden", message: "space.lock needs role instructor", commandId: frame.id });
  });

  it("holds commands made while offline and sends them once in sync", () => {
    conn.start();
    void conn.command("chat.send", { text: "early" });
    env.last.open();
    env.last.receive(WELCOME);
    expect(commands(env.last)).toEqual([]);
    env.last.receive({ type: Msg.EVENTS, events: [] });
    expect(commands(env.last).map((c) => c.args)).toEqual([{ text: "early" }]);
  });
});

describe("SpaceConnection: reconnecting", () => {
  it("reconnects after a drop, resumes from the applied sequence number and re-sends unacknowledged commands with the same id", async () => {
    conn.start();
    join(env.last);
    seq = 4;
    const sent = conn.command("object.delete", { id: "o-1" });
    const first = commands(env.last)[0];
    env.last.drop(1006);
    expect(conn.status).toBe("reconnecting");
    expect(conn.connected).toBe(false);

    vi.advanceTimersByTime(5_000);
    expect(env.sockets).toHaveLength(2);
    const again = env.last;
    again.open();
    expect(again.frames()[0]).toEqual<HelloFrame>({ type: Msg.HELLO, since: 4, protocol: PROTOCOL_VERSION });
    again.receive({ ...WELCOME, seq: 6 });
    again.receive({ type: Msg.EVENTS, events: [] });
    const resent = commands(again);
    expect(resent).toEqual([first]);
    expect(conn.stats.resent).toBe(1);
    expect(conn.stats.reconnects).toBe(1);

    again.receive({ type: Msg.ACK, id: first.id, seq: 5, duplicate: true });
    await expect(sent).resolves.toBe(5);
  });

  it("reconnects at once when the browser comes back online", () => {
    conn.start();
    join(env.last);
    env.last.drop(1006);
    env.goOnline();
    expect(env.sockets).toHaveLength(2);
  });

  it.each([
    [Close.UNAUTHENTICATED, "not signed in"],
    [Close.FORBIDDEN, "removed from this space by an instructor"],
    [Close.NO_SPACE, "no such space"],
    [Close.PROTOCOL, "expected a hello frame first"],
  ])("ends without reconnecting after close %i", async (code, reason) => {
    const ended = vi.fn();
    conn.events.on("ended", ended);
    conn.start();
    join(env.last);
    const sent = conn.command("chat.send", { text: "lost" });
    env.last.drop(code, reason);
    expect(ended).toHaveBeenCalledWith({ code, reason });
    expect(conn.status).toBe("closed");
    await expect(sent).rejects.toMatchObject({ code: "closed" });
    vi.advanceTimersByTime(60_000);
    expect(env.sockets).toHaveLength(1);
  });

  it("ignores a late close of a socket it already replaced", () => {
    conn.start();
    const old = env.last;
    join(old);
    conn.reconnectNow();
    expect(old.closedWith?.code).toBe(3000);
    const current = env.last;
    join(current);
    old.drop(1006);
    expect(conn.status).toBe("open");
    expect(env.sockets).toHaveLength(2);
  });
});
