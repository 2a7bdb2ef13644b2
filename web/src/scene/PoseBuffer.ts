import * as THREE from "three";
import { Bin } from "../net/Protocol";

interface Sample {
  t: number;
  flags: number;
  values: Float32Array;
}

const KEEP = 24;

/**
 * Recent poses of one remote participant, stamped with local times. `sample(t)` interpolates
 * between the two samples around `t` (positions linearly, orientations by slerp), so avatars move
 * smoothly although poses arrive in batches.
 */
export class PoseBuffer {
  private readonly samples: Sample[] = [];

  get size(): number {
    return this.samples.length;
  }

  get latest(): Sample | undefined {
    return this.samples[this.samples.length - 1];
  }

  push(t: number, flags: number, values: Float32Array): void {
    const last = this.latest;
    if (last && t <= last.t) {
      // Same tick (or clock reset): the newer pose replaces the older one.
      if (t < last.t - 1000) this.samples.length = 0;
      else {
        last.flags = flags;
        last.values = values;
        return;
      }
    }
    this.samples.push({ t, flags, values });
    if (this.samples.length > KEEP) this.samples.splice(0, this.samples.length - KEEP);
  }

  /** Writes the pose at time `t` into `out`; returns its flags (-1 when empty). */
  sample(t: number, out: Float32Array): number {
    const s = this.samples;
    if (!s.length) return -1;
    if (t <= s[0].t || s.length === 1) {
      out.set(s[0].values);
      return s[0].flags;
    }
    const last = s[s.length - 1];
    if (t >= last.t) {
      out.set(last.values);
      return last.flags;
    }
    let i = s.length - 2;
    while (i > 0 && s[i].t > t) i--;
    const a = s[i];
    const b = s[i + 1];
    const k = (t - a.t) / Math.max(1e-6, b.t - a.t);
    const va = a.values;
    const vb = b.values;
    for (const base of [Bin.HEAD, Bin.LEFT, Bin.RIGHT]) {
      for (let j = 0; j < 3; j++) out[base + j] = va[base + j] + (vb[base + j] - va[base + j]) * k;
      THREE.Quaternion.slerpFlat(out as unknown as number[], base + 3, va as unknown as number[], base + 3, vb as unknown as number[], base + 3, k);
    }
    for (let j = Bin.RAY; j < Bin.RAY + 6; j++) out[j] = va[j] + (vb[j] - va[j]) * k;
    // Flags switch at the midpoint (a hand appearing or the ray turning on).
    return k < 0.5 ? a.flags : b.flags;
  }
}
