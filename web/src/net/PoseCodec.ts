import { Bin } from "./Protocol";

/** One participant's pose: the flags byte and 27 floats (head, left hand, right hand, ray). */
export interface PoseEntry {
  pid: number;
  flags: number;
  values: Float32Array;
}

export interface PoseBatch {
  tick: number;
  entries: PoseEntry[];
}

/** Bytes before the floats of a POSE frame: type u8, flags u8, reserved u16. */
const POSE_HEADER_BYTES = Bin.POSE_SIZE - 4 * Bin.POSE_FLOATS;

/**
 * Encodes the client's POSE frame and decodes the server's POSE_BATCH frames (docs/protocol.md,
 * "Presence"; sizes and type bytes from the generated contract).
 */
export class PoseCodec {
  private readonly buffer = new ArrayBuffer(Bin.POSE_SIZE);
  private readonly view = new DataView(this.buffer);

  /** Encodes a pose into a fresh POSE frame (112 bytes) (the buffer is copied so it can be queued). */
  encode(flags: number, values: ArrayLike<number>): ArrayBuffer {
    if (values.length !== Bin.POSE_FLOATS) {
      throw new RangeError(`a pose has ${Bin.POSE_FLOATS} numbers (got ${values.length})`);
    }
    const v = this.view;
    v.setUint8(0, Bin.POSE);
    v.setUint8(1, flags & 0xff);
    v.setUint16(2, 0, true);
    for (let i = 0; i < Bin.POSE_FLOATS; i++) {
      const x = values[i];
      v.setFloat32(POSE_HEADER_BYTES + i * 4, Number.isFinite(x) ? x : 0, true);
    }
    return this.buffer.slice(0);
  }

  /** Decodes a POSE_BATCH frame; returns null when the frame is not one (wrong type or length). */
  decodeBatch(data: ArrayBuffer): PoseBatch | null {
    if (data.byteLength < Bin.BATCH_HEADER_SIZE) return null;
    const v = new DataView(data);
    if (v.getUint8(0) !== Bin.POSE_BATCH) return null;
    const count = v.getUint16(2, true);
    if (data.byteLength !== Bin.BATCH_HEADER_SIZE + count * Bin.ENTRY_SIZE) return null;
    const tick = v.getUint32(4, true);
    const entries: PoseEntry[] = [];
    for (let n = 0; n < count; n++) {
      const base = Bin.BATCH_HEADER_SIZE + n * Bin.ENTRY_SIZE;
      const values = new Float32Array(Bin.POSE_FLOATS);
      for (let i = 0; i < Bin.POSE_FLOATS; i++) values[i] = v.getFloat32(base + Bin.ENTRY_PREFIX_SIZE + i * 4, true);
      entries.push({ pid: v.getUint32(base, true), flags: v.getUint8(base + 4), values });
    }
    return { tick, entries };
  }
}
