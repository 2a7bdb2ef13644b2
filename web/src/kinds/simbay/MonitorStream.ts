// Decodes the bedside monitor stream (src/medverse/simbay/monitor.py; docs/protocol.md).

export const NUMERICS = ["hr", "sbp", "dbp", "map", "spo2", "etco2", "rr", "t_core", "pao2", "ph"] as const;
export type Numeric = (typeof NUMERICS)[number];
export const ECG_HZ = 250;
export const WAVE_HZ = 50;
const ECG_SCALE = 100;
const WAVE_SCALES = [10, 10000, 10];
export const RHYTHMS = ["sinus", "atrial fibrillation", "ventricular tachycardia", "ventricular fibrillation", "asystole", "PEA"];

export interface MonitorPatient {
  index: number;
  rhythm: number;
  numerics: Record<Numeric, number>;
  ecg: Float32Array;
  /** Arterial pressure (mmHg), pleth (0..1), capnogram (mmHg). */
  waves: [Float32Array, Float32Array, Float32Array];
}

export interface MonitorChunk {
  seq: number;
  simS: number;
  patients: MonitorPatient[];
}

/** One chunk, or null when the frame is not a monitor chunk (or is cut short). */
export function decodeMonitor(buf: ArrayBuffer): MonitorChunk | null {
  try {
    const v = new DataView(buf);
    if (v.getUint8(0) !== 3) return null;
    const n = v.getUint8(1);
    const seq = v.getUint32(4, true);
    const simS = v.getFloat64(8, true);
    let at = 16;
    const patients: MonitorPatient[] = [];
    for (let p = 0; p < n; p++) {
      const index = v.getUint8(at);
      const rhythm = v.getUint8(at + 1);
      const ne = v.getUint16(at + 2, true);
      const nw = v.getUint16(at + 4, true);
      at += 6;
      const numerics = {} as Record<Numeric, number>;
      for (const name of NUMERICS) {
        numerics[name] = v.getFloat32(at, true);
        at += 4;
      }
      const ecg = new Float32Array(ne);
      for (let i = 0; i < ne; i++, at += 2) ecg[i] = v.getInt16(at, true) / ECG_SCALE;
      const waves = [0, 1, 2].map((k) => {
        const w = new Float32Array(nw);
        for (let i = 0; i < nw; i++, at += 2) w[i] = v.getInt16(at, true) / WAVE_SCALES[k];
        return w;
      }) as [Float32Array, Float32Array, Float32Array];
      patients.push({ index, rhythm, numerics, ecg, waves });
    }
    return at === buf.byteLength ? { seq, simS, patients } : null;
  } catch {
    return null;
  }
}
