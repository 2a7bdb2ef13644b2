import * as THREE from "three";
import { Bin, PoseFlag } from "../net/Protocol";
import type { Participant } from "../net/Protocol";
import type { PoseBatch } from "../net/PoseCodec";
import { ROLE_LABEL, colourFor } from "../ui/dom";
import { Avatar } from "./Avatar";
import { PoseBuffer } from "./PoseBuffer";

/** How far behind the newest pose remote avatars are drawn, to always have two to blend. */
export const INTERPOLATION_DELAY_MS = 100;

interface Remote {
  participant: Participant;
  avatar: Avatar;
  buffer: PoseBuffer;
}

const _raycaster = new THREE.Raycaster();
const _origin = new THREE.Vector3();
const _dir = new THREE.Vector3();

/**
 * The avatars of everyone else in the space. Poses from POSE_BATCH frames are stamped with the
 * server tick mapped to the local clock, buffered, and drawn ~100 ms in the past, interpolated.
 */
export class AvatarManager {
  private readonly remotes = new Map<number, Remote>();
  /** Poses of pids not (yet) in the participant list: a pose can arrive before `participant.joined`. */
  private readonly early = new Map<number, { t: number; flags: number; values: Float32Array }>();
  private readonly group = new THREE.Group();
  private readonly scratch = new Float32Array(Bin.POSE_FLOATS);
  private tickMs = 25;
  /** local time - server tick time; tracks the smallest (least delayed) offset seen. */
  private offset: number | null = null;
  myPid: number | null = null;

  constructor(
    scene: THREE.Scene,
    private readonly pickables: THREE.Object3D,
  ) {
    this.group.name = "avatars";
    scene.add(this.group);
  }

  setPresenceHz(hz: number | undefined): void {
    if (hz && hz > 0) this.tickMs = 1000 / hz;
  }

  /** Replaces the participant list (after a (re)connect). */
  setParticipants(list: Participant[]): void {
    const keep = new Set<number>();
    for (const p of list) {
      keep.add(p.pid);
      this.upsert(p);
    }
    for (const pid of [...this.remotes.keys()]) if (!keep.has(pid)) this.remove(pid);
  }

  upsert(p: Participant): void {
    if (p.pid === this.myPid) return;
    const r = this.remotes.get(p.pid);
    const role = ROLE_LABEL[p.role] ?? p.role;
    if (r) {
      r.participant = p;
      r.avatar.setLabel(p.display_name, role);
      return;
    }
    const avatar = new Avatar(p.pid, p.display_name, role, colourFor(p.user_id));
    avatar.visible = false; // until its first pose arrives
    this.group.add(avatar);
    const buffer = new PoseBuffer();
    const early = this.early.get(p.pid);
    if (early) {
      buffer.push(early.t, early.flags, early.values);
      this.early.delete(p.pid);
    }
    this.remotes.set(p.pid, { participant: p, avatar, buffer });
  }

  remove(pid: number): void {
    this.early.delete(pid);
    const r = this.remotes.get(pid);
    if (!r) return;
    r.avatar.dispose();
    this.remotes.delete(pid);
  }

  onBatch(batch: PoseBatch): void {
    const now = performance.now();
    const serverMs = batch.tick * this.tickMs;
    const sampleOffset = now - serverMs;
    if (this.offset === null || Math.abs(sampleOffset - this.offset) > 2000) {
      this.offset = sampleOffset; // first batch, or the server restarted (its tick reset)
    } else if (sampleOffset < this.offset) {
      this.offset = sampleOffset;
    } else {
      this.offset += (sampleOffset - this.offset) * 0.02; // drift slowly towards later arrivals
    }
    const t = serverMs + this.offset;
    for (const e of batch.entries) {
      const r = this.remotes.get(e.pid);
      if (r) r.buffer.push(t, e.flags, e.values);
      else if (e.pid !== this.myPid) this.early.set(e.pid, { t, flags: e.flags, values: e.values });
    }
  }

  update(): void {
    const renderTime = performance.now() - INTERPOLATION_DELAY_MS;
    for (const r of this.remotes.values()) {
      const flags = r.buffer.sample(renderTime, this.scratch);
      if (flags < 0) continue;
      let rayLength = 4;
      if (flags & PoseFlag.RAY) {
        const at = Bin.RAY;
        _origin.set(this.scratch[at], this.scratch[at + 1], this.scratch[at + 2]);
        _dir.set(this.scratch[at + 3], this.scratch[at + 4], this.scratch[at + 5]).normalize();
        _raycaster.set(_origin, _dir);
        _raycaster.far = 8;
        const hit = _raycaster.intersectObject(this.pickables, true)[0];
        if (hit) rayLength = hit.distance;
      }
      r.avatar.applyPose(flags, this.scratch, rayLength);
      r.avatar.visible = true;
    }
  }

  /** The head pose (world space) of a participant's avatar by user id; false when none is shown. */
  headPose(userId: number, position: THREE.Vector3, quaternion: THREE.Quaternion): boolean {
    for (const r of this.remotes.values()) {
      if (r.participant.user_id !== userId || !r.avatar.visible) continue;
      r.avatar.head.getWorldPosition(position);
      r.avatar.head.getWorldQuaternion(quaternion);
      return true;
    }
    return false;
  }

  /** Where a participant's head is drawn (null while their avatar has no pose). */
  headOf(pid: number): [number, number, number] | null {
    const r = this.remotes.get(pid);
    if (!r || !r.avatar.visible) return null;
    const p = r.avatar.headPosition;
    return [p.x, p.y, p.z];
  }

  /** Marks who is speaking (rings over their heads). */
  setSpeaking(pids: ReadonlySet<number>): void {
    for (const [pid, r] of this.remotes) r.avatar.setSpeaking(pids.has(pid));
  }

  /** Shows a participant's camera beside their avatar (null: none). */
  setVideo(pid: number, video: HTMLVideoElement | null): void {
    this.remotes.get(pid)?.avatar.setVideo(video);
  }

  /** For the test hook: every remote avatar with a pose. */
  list(): { pid: number; user_id: number; name: string; role: string; position: [number, number, number]; visible: boolean; speaking: boolean; video: boolean }[] {
    return [...this.remotes.values()].map((r) => {
      const p = r.avatar.headPosition;
      return {
        pid: r.participant.pid,
        user_id: r.participant.user_id,
        name: r.participant.display_name,
        role: r.participant.role,
        position: [p.x, p.y, p.z],
        visible: r.avatar.visible,
        speaking: r.avatar.speaking,
        video: r.avatar.hasVideo,
      };
    });
  }

  dispose(): void {
    for (const pid of [...this.remotes.keys()]) this.remove(pid);
    this.group.removeFromParent();
  }
}
