import { describe, expect, it } from "vitest";
import { applyVoiceEvent, audible, initialVoice, speakRefusal, unmuteRefusal, voiceFrom, zoneAt } from "../../src/media/floor";

describe("floor control on the client (a mirror of spaces/voice.py)", () => {
  it("reads an old snapshot without zones as the initial state", () => {
    const v = voiceFrom({ muted: [3], muted_all: false, locked: false, hands: [], floor: [], self_muted: [] } as never);
    expect(v.zones).toEqual([]);
    expect(v.broadcast).toEqual([]);
    expect(v.muted).toEqual([3]);
  });

  it("mute-all silences students, not instructors; the floor lets one speak", () => {
    const v = initialVoice();
    applyVoiceEvent(v, "voice.muted_all", { muted: true });
    expect(speakRefusal(v, 2, "participant")).toMatch(/muted everyone/);
    expect(speakRefusal(v, 1, "instructor")).toBeNull();
    applyVoiceEvent(v, "voice.hand_raised", { user_id: 2, raised: true });
    applyVoiceEvent(v, "voice.floor_given", { user_id: 2, allowed: true });
    expect(v.hands).toEqual([]);
    expect(speakRefusal(v, 2, "participant")).toBeNull();
    applyVoiceEvent(v, "voice.muted_all", { muted: true });
    expect(v.floor).toEqual([]); // muting everyone again takes the floor back
  });

  it("the lock stops unmuting, not speaking; observers never speak", () => {
    const v = initialVoice();
    applyVoiceEvent(v, "voice.locked", { locked: true });
    expect(speakRefusal(v, 2, "participant")).toBeNull();
    expect(unmuteRefusal(v, 2, "participant")).toMatch(/blocked unmuting/);
    expect(unmuteRefusal(v, 1, "instructor")).toBeNull();
    expect(speakRefusal(v, 4, "observer")).toBe("observers listen only");
  });

  it("zones keep voices inside; a broadcast crosses them", () => {
    const v = initialVoice();
    applyVoiceEvent(v, "voice.zones_set", { zones: [{ id: "huddle", name: "Huddle", rect: [-8, -8, -4, -4] }] });
    expect(zoneAt(v.zones, -6, -5)).toBe("huddle");
    expect(zoneAt(v.zones, 0, 0)).toBeNull();
    expect(zoneAt(v.zones, -4, -8)).toBe("huddle"); // edges belong to the zone
    expect(audible(v, 2, "huddle", null)).toBe(false);
    expect(audible(v, 2, "huddle", "huddle")).toBe(true);
    expect(audible(v, 2, null, null)).toBe(true);
    applyVoiceEvent(v, "voice.broadcast_set", { user_id: 2, on: true });
    expect(audible(v, 2, "huddle", null)).toBe(true);
    applyVoiceEvent(v, "member.removed", { user_id: 2 });
    expect(v.broadcast).toEqual([]);
  });

  it("ignores events that are not about the floor", () => {
    expect(applyVoiceEvent(initialVoice(), "chat.message", {})).toBe(false);
  });
});
