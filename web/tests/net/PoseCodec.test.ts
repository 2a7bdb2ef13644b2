import { describe, expect, it } from "vitest";
import { PoseCodec } from "../../src/net/PoseCodec";
import { Bin, PoseFlag } from "../../src/net/Protocol";

// Frames captured from the server's own codec (medverse.spaces.presence.encode_pose /
// encode_entry / encode_batch): a pose with flags 5 and the floats -3.0, -2.75, ... 3.5, and a
// batch at tick 123456 of that pose (pid 7) and another (pid 70000, flags 8, floats 0, -1, ... -26).
const SERVER_POSE =
  "01050000000040c0000030c0000020c0000010c0000000c00000e0bf0000c0bf0000a0bf000080bf000040bf000000bf000080be000000000000803e0000003f0000403f0000803f0000a03f0000c03f0000e03f00000040000010400000204000003040000040400000504000006040";
const SERVER_BATCH =
  "0200020040e201000700000005000000000040c0000030c0000020c0000010c0000000c00000e0bf0000c0bf0000a0bf000080bf000040bf000000bf000080be000000000000803e0000003f0000403f0000803f0000a03f0000c03f0000e03f00000040000010400000204000003040000040400000504000006040" +
  "701101000800000000000000000080bf000000c0000040c0000080c00000a0c00000c0c00000e0c0000000c1000010c1000020c1000030c1000040c1000050c1000060c1000070c1000080c1000088c1000090c1000098c10000a0c10000a8c10000b0c10000b8c10000c0c10000c8c10000d0c1";

function bytes(hex: string): ArrayBuffer {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out.buffer;
}

function hex(buf: ArrayBuffer): string {
  return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const floats = Array.from({ length: Bin.POSE_FLOATS }, (_, i) => i * 0.25 - 3);

describe("PoseCodec", () => {
  it("encodes a pose byte for byte as the server's codec does", () => {
    const frame = new PoseCodec().encode(PoseFlag.LEFT | PoseFlag.RAY, floats);
    expect(frame.byteLength).toBe(Bin.POSE_SIZE);
    expect(hex(frame)).toBe(SERVER_POSE);
  });

  it("lays a pose out as type, flags, reserved u16, then 27 little-endian f32", () => {
    const frame = new DataView(new PoseCodec().encode(PoseFlag.VR, floats));
    expect(frame.getUint8(0)).toBe(Bin.POSE);
    expect(frame.getUint8(1)).toBe(PoseFlag.VR);
    expect(frame.getUint16(2, true)).toBe(0);
    expect(frame.getFloat32(4 + 4 * Bin.RAY, true)).toBe(floats[Bin.RAY]);
    expect(frame.getFloat32(Bin.POSE_SIZE - 4, true)).toBe(floats[Bin.POSE_FLOATS - 1]);
  });

  it("sends a non-finite number as 0 (the server drops poses holding one)", () => {
    const values = [...floats];
    values[3] = Number.NaN;
    values[4] = Infinity;
    const frame = new DataView(new PoseCodec().encode(0, values));
    expect(frame.getFloat32(4 + 12, true)).toBe(0);
    expect(frame.getFloat32(4 + 16, true)).toBe(0);
  });

  it("refuses a pose of the wrong length", () => {
    expect(() => new PoseCodec().encode(0, floats.slice(1))).toThrow(/27 numbers \(got 26\)/);
  });

  it("returns a fresh buffer per frame (frames may be queued)", () => {
    const codec = new PoseCodec();
    const a = codec.encode(0, floats);
    codec.encode(1, floats);
    expect(new Uint8Array(a)[1]).toBe(0);
  });

  it("decodes the server's batch", () => {
    const batch = new PoseCodec().decodeBatch(bytes(SERVER_BATCH));
    expect(batch).not.toBeNull();
    expect(batch?.tick).toBe(123456);
    expect(batch?.entries.map((e) => [e.pid, e.flags])).toEqual([
      [7, 5],
      [70000, 8],
    ]);
    expect([...(batch?.entries[0].values ?? [])]).toEqual(floats);
    expect([...(batch?.entries[1].values ?? [])]).toEqual(Array.from({ length: 27 }, (_, i) => (i === 0 ? 0 : -i)));
  });

  it("round-trips what it encodes through a batch entry", () => {
    const pose = new PoseCodec().encode(PoseFlag.RIGHT, floats);
    // A batch entry is the pid, the flags and 3 reserved bytes, then the pose's floats as sent.
    const batch = new Uint8Array(Bin.BATCH_HEADER_SIZE + Bin.ENTRY_SIZE);
    const v = new DataView(batch.buffer);
    v.setUint8(0, Bin.POSE_BATCH);
    v.setUint16(2, 1, true);
    v.setUint32(4, 9, true);
    v.setUint32(Bin.BATCH_HEADER_SIZE, 42, true);
    v.setUint8(Bin.BATCH_HEADER_SIZE + 4, new Uint8Array(pose)[1]);
    batch.set(new Uint8Array(pose).subarray(4), Bin.BATCH_HEADER_SIZE + Bin.ENTRY_PREFIX_SIZE);
    const decoded = new PoseCodec().decodeBatch(batch.buffer);
    expect(decoded?.entries[0].pid).toBe(42);
    expect(decoded?.entries[0].flags).toBe(PoseFlag.RIGHT);
    expect([...(decoded?.entries[0].values ?? [])]).toEqual(floats);
  });

  it("ignores frames that are not a batch or whose length does not match the count", () => {
    const codec = new PoseCodec();
    expect(codec.decodeBatch(new ArrayBuffer(4))).toBeNull();
    expect(codec.decodeBatch(bytes(SERVER_POSE))).toBeNull();
    expect(codec.decodeBatch(bytes(SERVER_BATCH).slice(0, Bin.BATCH_HEADER_SIZE + Bin.ENTRY_SIZE))).toBeNull();
  });
});
