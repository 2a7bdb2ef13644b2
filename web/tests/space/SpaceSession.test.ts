import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Ev, Msg, PROTOCOL_VERSION } from "../../src/net/Protocol";
import type { Participant, Welcome } from "../../src/net/Protocol";
import { SpaceSession } from "../../src/space/SpaceSession";
import { FakeEnv } from "../fakes";

const ME: Participant = { pid: 3, user_id: 11, display_name: "Sam", role: "participant", muted: false };
const INES: Participant = { pid: 4, user_id: 1, display_name: "Ines", role: "instructor", muted: false };
const WELCOME: Welcome = {
  type: Msg.WELCOME,
  protocol: PROTOCOL_VERSION,
  you: { pid: 3, user_id: 11, display_name: "Sam", role: "participant", is_admin: false },
  space: { id: 1, name: "lab", kind: "commons", title: "Lab" },
  seq: 2,
  presence_hz: 40,
  client_pose_hz: 20,
};

let env: FakeEnv;
let session: SpaceSession;

beforeEach(() => {
  vi.useFakeTimers();
  env = new FakeEnv();
  session = new SpaceSession("lab", async () => true, env);
  session.start();
  env.last.open();
  env.last.receive(WELCOME);
  env.last.receive({
    type: Msg.SNAPSHOT,
    seq: 2,
    state: { objects: {}, chat: [], members: {}, removed: [], locked: false, policy: { edit: "instructor" }, kind: {} },
  });
  env.last.receive({ type: Msg.PARTICIPANTS, participants: [ME, INES] });
});

afterEach(() => {
  session.dispose();
  vi.useRealTimers();
});

describe("SpaceSession", () => {
  it("knows who it is and who is here", () => {
    expect(session.role).toBe("participant");
    expect(session.me).toEqual(ME);
    expect(session.displayName(1)).toBe("Ines");
    expect(session.canEdit()).toBe(false);
  });

  it("names who left (the server sends only their pid)", () => {
    const notices: string[] = [];
    session.events.on("notice", (t) => notices.push(t));
    env.last.receive({ type: Msg.PARTICIPANT_LEFT, participant: { pid: 4 } });
    expect(notices).toEqual(["Ines left"]);
    expect(session.participants.has(4)).toBe(false);
  });

  it("announces a change of the own role, and the edit policy decides who may edit", () => {
    const roles: { role: string; announce: boolean }[] = [];
    session.events.on("role", (r) => roles.push(r));
    env.last.receive({ type: Msg.EVENT, seq: 3, name: Ev.SPACE_POLICY_CHANGED, data: { edit: "participant" }, actor: 1, cmd: "c-1", ts: 3 });
    expect(session.canEdit()).toBe(true);
    env.last.receive({ type: Msg.EVENT, seq: 4, name: Ev.MEMBER_ROLE_CHANGED, data: { user_id: 11, role: "observer", display_name: "Sam" }, actor: 1, cmd: "c-2", ts: 4 });
    expect(roles).toEqual([{ role: "observer", announce: true }]);
    expect(session.me?.role).toBe("observer");
    expect(session.canEdit()).toBe(false);
  });

  it("resumes from the sequence number it applied", () => {
    env.last.receive({ type: Msg.EVENT, seq: 3, name: Ev.SPACE_LOCKED, data: { locked: true }, actor: 1, cmd: "c-1", ts: 3 });
    env.last.drop(1006);
    vi.advanceTimersByTime(5_000);
    env.last.open();
    expect(env.last.frames()[0]).toMatchObject({ type: Msg.HELLO, since: 3 });
  });
});
