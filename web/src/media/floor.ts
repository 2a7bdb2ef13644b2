// Floor control on the client: the voice state applied from the server's events, and who may speak.
// A mirror of src/medverse/spaces/voice.py (the server decides; the client only shows and obeys).

import { Ev } from "../net/Protocol";
import type { Role, VoiceState, VoiceZone } from "../net/Protocol";

export function initialVoice(): VoiceState {
  return { muted: [], muted_all: false, locked: false, hands: [], floor: [], self_muted: [], zones: [], broadcast: [] };
}

/** A copy of a snapshot's voice state with every key present (older snapshots lack some). */
export function voiceFrom(snapshot: Partial<VoiceState> | undefined): VoiceState {
  const v = initialVoice();
  if (!snapshot) return v;
  return {
    muted: [...(snapshot.muted ?? v.muted)],
    muted_all: snapshot.muted_all ?? v.muted_all,
    locked: snapshot.locked ?? v.locked,
    hands: [...(snapshot.hands ?? v.hands)],
    floor: [...(snapshot.floor ?? v.floor)],
    self_muted: [...(snapshot.self_muted ?? v.self_muted)],
    zones: (snapshot.zones ?? v.zones).map((z) => ({ ...z })),
    broadcast: [...(snapshot.broadcast ?? v.broadcast)],
  };
}

function toggle(items: number[], id: number, on: boolean): void {
  const at = items.indexOf(id);
  if (on && at < 0) items.push(id);
  else if (!on && at >= 0) items.splice(at, 1);
}

/** Applies one event to `voice` as the server's appliers do; false when it is not a voice event. */
export function applyVoiceEvent(voice: VoiceState, name: string, data: Record<string, unknown>): boolean {
  const user = data.user_id as number;
  switch (name) {
    case Ev.VOICE_MUTED:
      toggle(voice.muted, user, Boolean(data.muted));
      if (data.muted) toggle(voice.floor, user, false);
      return true;
    case Ev.VOICE_MUTED_ALL:
      voice.muted_all = Boolean(data.muted);
      if (data.muted) voice.floor = [];
      return true;
    case Ev.VOICE_LOCKED:
      voice.locked = Boolean(data.locked);
      return true;
    case Ev.VOICE_HAND_RAISED:
      toggle(voice.hands, user, Boolean(data.raised));
      return true;
    case Ev.VOICE_FLOOR_GIVEN:
      toggle(voice.floor, user, Boolean(data.allowed));
      if (data.allowed) {
        toggle(voice.muted, user, false);
        toggle(voice.hands, user, false);
      }
      return true;
    case Ev.VOICE_SELF_MUTED:
      toggle(voice.self_muted, user, Boolean(data.muted));
      return true;
    case Ev.VOICE_ZONES_SET:
      voice.zones = (data.zones as VoiceZone[]).map((z) => ({ ...z }));
      return true;
    case Ev.VOICE_BROADCAST_SET:
      toggle(voice.broadcast, user, Boolean(data.on));
      return true;
    case Ev.MEMBER_REMOVED:
      toggle(voice.hands, user, false);
      toggle(voice.floor, user, false);
      toggle(voice.broadcast, user, false);
      return true;
    default:
      return false;
  }
}

/** Why `userId` (with `role`) may not send audio now, or null when they may. */
export function speakRefusal(voice: VoiceState, userId: number, role: Role | null): string | null {
  if (role === null) return "you are not a member of this space";
  if (role === "instructor") return null;
  if (role === "observer") return "observers listen only";
  if (voice.muted.includes(userId)) return "an instructor muted your microphone";
  if (voice.floor.includes(userId)) return null;
  if (voice.muted_all) return "an instructor muted everyone; raise your hand to ask for the floor";
  return null;
}

/** Why `userId` may not unmute themselves now, or null. */
export function unmuteRefusal(voice: VoiceState, userId: number, role: Role | null): string | null {
  const refusal = speakRefusal(voice, userId, role);
  if (refusal) return refusal;
  if (role !== "instructor" && voice.locked && !voice.floor.includes(userId)) return "an instructor blocked unmuting; raise your hand to ask for the floor";
  return null;
}

/** The zone (its id) a point on the floor is in, or null outside every zone. */
export function zoneAt(zones: VoiceZone[], x: number, z: number): string | null {
  for (const zone of zones) {
    const [x0, z0, x1, z1] = zone.rect;
    if (x >= Math.min(x0, x1) && x <= Math.max(x0, x1) && z >= Math.min(z0, z1) && z <= Math.max(z0, z1)) return zone.id;
  }
  return null;
}

/**
 * Whether a listener hears a speaker: both in the same zone (or both outside every zone), or the
 * speaker broadcasts to the whole space.
 */
export function audible(voice: VoiceState, speakerId: number, speakerZone: string | null, listenerZone: string | null): boolean {
  if (voice.broadcast.includes(speakerId)) return true;
  return speakerZone === listenerZone;
}
