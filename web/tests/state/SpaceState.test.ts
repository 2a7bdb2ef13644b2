import { describe, expect, it, vi } from "vitest";
import { Ev, Msg } from "../../src/net/Protocol";
import type { SharedObject, SpaceSnapshotState, WireEvent } from "../../src/net/Protocol";
import { SpaceState } from "../../src/state/SpaceState";

const BOX: SharedObject = {
  id: "o-1",
  shape: "box",
  position: [1, 0.2, 0],
  rotation: [0, 0, 0, 1],
  scale: [1, 1, 1],
  color: "#4f86c6",
  label: "",
  created_by: 1,
};

/** A snapshot as the server sends it (src/medverse/spaces/core.py initial_state + kind). */
function snapshot(): SpaceSnapshotState {
  return {
    objects: { "o-1": BOX },
    chat: [{ user_id: 1, display_name: "Ines", text: "welcome", ts: 100 }],
    members: { "1": { role: "instructor", display_name: "Ines", muted: false }, "2": { role: "participant", display_name: "Sam", muted: false } },
    removed: [],
    locked: false,
    policy: { edit: "instructor" },
    kind: { anything: "the kind's own" },
  };
}

function ev(seq: number, name: string, data: object, actor: number | null = 1): WireEvent {
  return { type: Msg.EVENT, seq, name, data: data as Record<string, unknown>, actor, cmd: `c-${seq}`, ts: 1000 + seq };
}

describe("SpaceState", () => {
  it("loads a snapshot", () => {
    const s = new SpaceState();
    const reset = vi.fn();
    s.events.on("reset", reset);
    s.loadSnapshot(snapshot(), 7);
    expect(reset).toHaveBeenCalledOnce();
    expect(s.seq).toBe(7);
    expect(s.objects.get("o-1")).toEqual(BOX);
    expect(s.chat).toEqual([{ user_id: 1, display_name: "Ines", text: "welcome", ts: 100, seq: null }]);
    expect(s.members.get(2)).toEqual({ role: "participant", display_name: "Sam", muted: false });
    expect(s.editPolicy).toBe("instructor");
    expect(s.kind).toEqual({ anything: "the kind's own" });
  });

  it("applies events after the snapshot in order and skips ones it has", () => {
    const s = new SpaceState();
    s.loadSnapshot(snapshot(), 7);
    expect(s.apply(ev(7, Ev.OBJECT_DELETED, { id: "o-1" }))).toBe(false);
    expect(s.objects.has("o-1")).toBe(true);
    expect(s.apply(ev(8, Ev.OBJECT_UPDATED, { id: "o-1", changes: { position: [2, 0.2, 0], label: "moved" } }))).toBe(true);
    expect(s.objects.get("o-1")).toMatchObject({ position: [2, 0.2, 0], label: "moved", color: "#4f86c6" });
    expect(s.apply(ev(8, Ev.OBJECT_DELETED, { id: "o-1" }))).toBe(false);
    expect(s.seq).toBe(8);
  });

  it("resumes from events only (a reconnect within the replay limit)", () => {
    const s = new SpaceState();
    s.loadSnapshot(snapshot(), 7);
    const created = { ...BOX, id: "o-2", shape: "pin" as const };
    const catchUp = [
      ev(8, Ev.OBJECT_CREATED, { object: created }),
      ev(9, Ev.CHAT_MESSAGE, { user_id: 2, display_name: "Sam", text: "back", ts: 109 }, 2),
      ev(10, Ev.SPACE_POLICY_CHANGED, { edit: "participant" }),
    ];
    const applied: string[] = [];
    s.events.on("applied", (e) => applied.push(e.name));
    for (const e of catchUp) s.apply(e);
    expect(applied).toEqual([Ev.OBJECT_CREATED, Ev.CHAT_MESSAGE, Ev.SPACE_POLICY_CHANGED]);
    expect(s.objects.get("o-2")).toEqual(created);
    expect(s.chat.at(-1)).toEqual({ user_id: 2, display_name: "Sam", text: "back", ts: 109, seq: 9 });
    expect(s.editPolicy).toBe("participant");
    expect(s.seq).toBe(10);
  });

  it("keeps members as the server's appliers do", () => {
    const s = new SpaceState();
    s.loadSnapshot(snapshot(), 1);
    s.apply(ev(2, Ev.MEMBER_MUTED, { user_id: 2, muted: true }));
    expect(s.members.get(2)?.muted).toBe(true);
    s.apply(ev(3, Ev.MEMBER_REMOVED, { user_id: 2 }));
    expect(s.members.has(2)).toBe(false);
    expect(s.removed.has(2)).toBe(true);
    s.apply(ev(4, Ev.MEMBER_ROLE_CHANGED, { user_id: 2, role: "observer", display_name: "Sam" }));
    expect(s.members.get(2)).toEqual({ role: "observer", display_name: "Sam", muted: false });
    expect(s.removed.has(2)).toBe(false);
    s.apply(ev(5, Ev.SPACE_LOCKED, { locked: true }));
    expect(s.locked).toBe(true);
  });

  it("tells listeners what changed", () => {
    const s = new SpaceState();
    s.loadSnapshot(snapshot(), 1);
    const deleted = vi.fn();
    const role = vi.fn();
    s.events.on("objectDeleted", deleted);
    s.events.on("memberRole", role);
    s.apply(ev(2, Ev.OBJECT_DELETED, { id: "o-1" }));
    s.apply(ev(3, Ev.OBJECT_DELETED, { id: "o-1" })); // already gone: nothing to tell
    s.apply(ev(4, Ev.MEMBER_ROLE_CHANGED, { user_id: 2, role: "instructor", display_name: "Sam" }));
    expect(deleted).toHaveBeenCalledOnce();
    expect(role).toHaveBeenCalledWith({ user_id: 2, role: "instructor" });
  });

  it("passes kind events on without changing the core state", () => {
    const s = new SpaceState();
    s.loadSnapshot(snapshot(), 1);
    const applied = vi.fn();
    s.events.on("applied", applied);
    expect(s.apply(ev(2, "anatomy.highlighted", { label: 3 }))).toBe(true);
    expect(applied).toHaveBeenCalledOnce();
    expect(s.objects.size).toBe(1);
  });

  it("replaces everything on a later snapshot", () => {
    const s = new SpaceState();
    s.loadSnapshot(snapshot(), 1);
    s.apply(ev(2, Ev.CHAT_MESSAGE, { user_id: 1, display_name: "Ines", text: "one", ts: 2 }));
    s.loadSnapshot({ ...snapshot(), objects: {}, chat: [] }, 40);
    expect(s.objects.size).toBe(0);
    expect(s.chat).toEqual([]);
    expect(s.seq).toBe(40);
  });
});
