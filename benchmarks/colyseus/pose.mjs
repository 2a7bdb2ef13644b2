// The medverse POSE frame (docs/protocol.md, "Presence"), shared by the Colyseus server and the
// benchmark client: u8 type = 1, u8 flags, u16 reserved, 27 little-endian float32.

export const POSE_TYPE = 1;
export const POSE_SIZE = 112;
export const POSE_FLOATS = 27;
export const ENTRY_SIZE = 116; // a medverse batch entry: u32 sender, u8 flags, 3 reserved, the floats
export const FLAG_LEFT = 1;
export const FLAG_RIGHT = 2;

// head (position, quaternion), left hand, right hand, pointer ray (origin, direction)
export const POSE_FIELDS = [
  "hx", "hy", "hz", "hqx", "hqy", "hqz", "hqw",
  "lx", "ly", "lz", "lqx", "lqy", "lqz", "lqw",
  "rx", "ry", "rz", "rqx", "rqy", "rqz", "rqw",
  "ox", "oy", "oz", "dx", "dy", "dz",
];

// The benchmark carries the send time (seconds since the run began, float32) in the ray origin x:
// the flags say the ray is inactive, so no receiver would read it as a ray.
export const STAMP_INDEX = 21;
export const STAMP_FIELD = POSE_FIELDS[STAMP_INDEX];

/** The 27 floats of a valid POSE frame, or null: the checks medverse makes (presence.decode_pose). */
export function readPose(bytes) {
  if (bytes.byteLength !== POSE_SIZE || bytes[0] !== POSE_TYPE || bytes[1] > 0x0f) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const floats = new Array(POSE_FLOATS);
  for (let i = 0; i < POSE_FLOATS; i++) {
    const x = view.getFloat32(4 + 4 * i, true);
    if (!Number.isFinite(x) || Math.abs(x) > 1e4) return null;
    floats[i] = x;
  }
  return floats;
}

/**
 * Write a moving pose into `frame` (112 bytes): every one of the 27 numbers changes at every
 * send, as a tracked head and two tracked hands do, so neither server can skip unchanged fields.
 */
export function writePose(frame, who, tS, stampS) {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  frame[0] = POSE_TYPE;
  frame[1] = FLAG_LEFT | FLAG_RIGHT;
  view.setUint16(2, 0, true);
  const a = tS + who * 0.37;
  let o = 4;
  const put = (x) => { view.setFloat32(o, x, true); o += 4; };
  const quat = (yaw, pitch) => {
    const cy = Math.cos(yaw / 2), sy = Math.sin(yaw / 2), cp = Math.cos(pitch / 2), sp = Math.sin(pitch / 2);
    put(sp * cy); put(cp * sy); put(-sp * sy); put(cp * cy);
  };
  // head
  put(Math.sin(a) + who % 10); put(1.6 + 0.02 * Math.sin(3 * a)); put(Math.cos(a) + Math.floor(who / 10));
  quat(0.6 * Math.sin(a), 0.2 * Math.sin(2 * a));
  // left and right hands
  for (const side of [-1, 1]) {
    put(Math.sin(a) + who % 10 + 0.25 * side + 0.05 * Math.sin(5 * a));
    put(1.2 + 0.1 * Math.sin(4 * a + side));
    put(Math.cos(a) + Math.floor(who / 10) + 0.3 + 0.05 * Math.cos(5 * a));
    quat(side * Math.sin(2 * a), 0.5 * Math.cos(3 * a));
  }
  // pointer ray: the origin x is the send stamp; the rest moves like a hand-held ray
  put(stampS); put(1.2 + 0.1 * Math.sin(4 * a)); put(Math.cos(a) + 0.3);
  put(Math.cos(a)); put(0.1 * Math.sin(a)); put(Math.sin(a));
}
