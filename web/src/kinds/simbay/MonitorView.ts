import type { MonitorPatient, Numeric } from "./MonitorStream";
import { ECG_HZ, RHYTHMS, WAVE_HZ } from "./MonitorStream";

const W = 720;
const H = 400;
const TRACE_W = 520;
const SWEEP_S = 6; // seconds across the trace area
const ROWS: { name: string; colour: string; hz: number; lo: number; hi: number; unit: string }[] = [
  { name: "II", colour: "#4ade80", hz: ECG_HZ, lo: -0.8, hi: 1.8, unit: "mV" },
  { name: "ART", colour: "#f87171", hz: WAVE_HZ, lo: 30, hi: 180, unit: "mmHg" },
  { name: "SpO2", colour: "#22d3ee", hz: WAVE_HZ, lo: -0.1, hi: 1.1, unit: "" },
  { name: "CO2", colour: "#facc15", hz: WAVE_HZ, lo: 0, hi: 50, unit: "mmHg" },
];

/** An alarm the monitor raises, worst first. */
export interface Alarm {
  text: string;
  level: "high" | "medium";
}

export function alarmsFor(n: Record<Numeric, number>, rhythm: number): Alarm[] {
  const out: Alarm[] = [];
  if (rhythm === 3 || rhythm === 2 || rhythm === 4) out.push({ text: RHYTHMS[rhythm].toUpperCase(), level: "high" });
  if (Number.isFinite(n.spo2) && n.spo2 > 0 && n.spo2 < 0.9) out.push({ text: `SpO2 LOW ${Math.round(n.spo2 * 100)}`, level: n.spo2 < 0.85 ? "high" : "medium" });
  if (Number.isFinite(n.map) && n.map > 0 && n.map < 60) out.push({ text: `MAP LOW ${Math.round(n.map)}`, level: "high" });
  if (Number.isFinite(n.hr) && rhythm < 2 && (n.hr > 150 || (n.hr > 0 && n.hr < 40))) out.push({ text: `HR ${n.hr > 150 ? "HIGH" : "LOW"} ${Math.round(n.hr)}`, level: "medium" });
  if (Number.isFinite(n.rr) && n.rr < 6) out.push({ text: `RESP LOW ${Math.round(n.rr)}`, level: "medium" });
  return out;
}

/**
 * A bedside monitor drawn on a canvas: four sweeping traces (ECG lead II, arterial pressure,
 * pleth, capnogram) fed from the stream, the numbers beside them, and alarms (flashing, and a
 * beep every second until silenced for two minutes). The same canvas is the 3D monitor's texture.
 */
export class MonitorView {
  readonly canvas = document.createElement("canvas");
  private readonly ctx: CanvasRenderingContext2D;
  private readonly queues: number[][] = ROWS.map(() => []);
  private readonly x: number[] = ROWS.map(() => 0);
  private readonly last: number[] = ROWS.map(() => NaN);
  private carry: number[] = ROWS.map(() => 0);
  private latest: MonitorPatient | null = null;
  alarms: Alarm[] = [];
  private silencedUntil = 0;
  private audio: AudioContext | null = null;
  private lastBeep = 0;
  /** Set when the canvas changed (the 3D texture reads it). */
  dirty = true;

  constructor() {
    this.canvas.width = W;
    this.canvas.height = H;
    this.canvas.className = "sim-monitor-canvas";
    this.canvas.setAttribute("role", "img");
    this.canvas.setAttribute("aria-label", "Bedside monitor");
    this.ctx = this.canvas.getContext("2d") as CanvasRenderingContext2D;
    this.clear();
  }

  private clear(): void {
    const c = this.ctx;
    c.fillStyle = "#05080c";
    c.fillRect(0, 0, W, H);
  }

  /** New samples and numbers for this patient. */
  push(p: MonitorPatient): void {
    this.latest = p;
    const feeds = [p.ecg, ...p.waves];
    feeds.forEach((samples, k) => {
      const q = this.queues[k];
      for (const v of samples) q.push(v);
      const cap = ROWS[k].hz * 2; // more than two seconds behind (a fast clock): skip ahead
      if (q.length > cap) q.splice(0, q.length - cap);
    });
    this.alarms = alarmsFor(p.numerics, p.rhythm);
  }

  /** Forgets the samples waiting to be drawn (e.g. when switching to a replayed moment). */
  reset(): void {
    for (const q of this.queues) q.length = 0;
    this.last.fill(NaN);
    this.x.fill(0);
    this.clear();
  }

  /** Silences the audible alarm for two minutes (the visual one stays). */
  silence(): void {
    this.silencedUntil = performance.now() + 120_000;
  }

  get silenced(): boolean {
    return performance.now() < this.silencedUntil;
  }

  /** Once a frame: draws the samples due in `dt` seconds, and the numbers. */
  draw(dt: number): void {
    const c = this.ctx;
    const rowH = (H - 20) / ROWS.length;
    ROWS.forEach((row, k) => {
      const q = this.queues[k];
      const want = row.hz * dt + this.carry[k] + Math.max(0, q.length - row.hz * 0.5) * 0.05;
      const n = Math.min(q.length, Math.floor(want));
      this.carry[k] = want - n;
      const top = 10 + k * rowH;
      const pxPerSample = TRACE_W / (row.hz * SWEEP_S);
      for (let i = 0; i < n; i++) {
        const v = q.shift() as number;
        const x0 = this.x[k];
        const x1 = x0 + pxPerSample;
        c.fillStyle = "#05080c";
        c.fillRect(x0, top, pxPerSample + 6, rowH);
        const y = top + rowH - ((v - row.lo) / (row.hi - row.lo)) * rowH;
        if (Number.isFinite(this.last[k])) {
          c.strokeStyle = row.colour;
          c.lineWidth = 2;
          c.beginPath();
          c.moveTo(x0, this.last[k]);
          c.lineTo(x1, Math.max(top, Math.min(top + rowH, y)));
          c.stroke();
        }
        this.last[k] = Math.max(top, Math.min(top + rowH, y));
        this.x[k] = x1 >= TRACE_W ? 0 : x1;
        if (x1 >= TRACE_W) this.last[k] = NaN;
      }
      c.fillStyle = row.colour;
      c.font = "bold 13px system-ui, sans-serif";
      c.fillText(row.name, 4, top + 14);
      if (n > 0) this.dirty = true;
    });
    this.drawNumbers(rowH);
    this.beep();
  }

  private drawNumbers(rowH: number): void {
    const c = this.ctx;
    const p = this.latest;
    c.fillStyle = "#05080c";
    c.fillRect(TRACE_W + 4, 0, W - TRACE_W - 4, H);
    if (!p) return;
    const n = p.numerics;
    const fmt = (v: number, digits = 0): string => (Number.isFinite(v) && v !== 0 ? v.toFixed(digits) : "--");
    const big = (label: string, value: string, colour: string, row: number, sub = ""): void => {
      const top = 10 + row * rowH;
      c.fillStyle = colour;
      c.font = "12px system-ui, sans-serif";
      c.fillText(label, TRACE_W + 12, top + 14);
      c.font = "bold 40px system-ui, sans-serif";
      c.fillText(value, TRACE_W + 12, top + 54);
      if (sub) {
        c.font = "14px system-ui, sans-serif";
        c.fillText(sub, TRACE_W + 110, top + 54);
      }
    };
    big(`HR  ${RHYTHMS[p.rhythm] ?? ""}`, fmt(n.hr), "#4ade80", 0);
    big(`ABP  mean ${fmt(n.map)}`, `${fmt(n.sbp)}/${fmt(n.dbp)}`, "#f87171", 1);
    big("SpO2 %", fmt(n.spo2 * 100), "#22d3ee", 2);
    big(`EtCO2  RR ${fmt(n.rr)}`, fmt(n.etco2), "#facc15", 3);
    if (this.alarms.length) {
      const flash = Math.floor(performance.now() / 500) % 2 === 0;
      const a = this.alarms[0];
      c.fillStyle = a.level === "high" ? (flash ? "#dc2626" : "#7f1d1d") : "#b45309";
      c.fillRect(0, H - 20, TRACE_W, 20);
      c.fillStyle = "#fff";
      c.font = "bold 13px system-ui, sans-serif";
      c.fillText(`${a.text}${this.alarms.length > 1 ? `  +${this.alarms.length - 1}` : ""}${this.silenced ? "  (silenced)" : ""}`, 8, H - 5);
    } else {
      c.fillStyle = "#05080c";
      c.fillRect(0, H - 20, TRACE_W, 20);
    }
    this.dirty = true;
  }

  /** A short beep every second while a high alarm sounds (after the page was clicked once). */
  private beep(): void {
    const now = performance.now();
    if (!this.alarms.some((a) => a.level === "high") || this.silenced || now - this.lastBeep < 1000) return;
    this.lastBeep = now;
    try {
      this.audio ??= new AudioContext();
      if (this.audio.state !== "running") return;
      const osc = this.audio.createOscillator();
      const gain = this.audio.createGain();
      osc.frequency.value = 880;
      gain.gain.value = 0.06;
      osc.connect(gain).connect(this.audio.destination);
      osc.start();
      osc.stop(this.audio.currentTime + 0.15);
    } catch {
      /* no audio here */
    }
  }

  /** A user gesture lets the alarm sound (browsers start audio only after one). */
  enableSound(): void {
    this.audio ??= new AudioContext();
    void this.audio.resume();
  }

  dispose(): void {
    void this.audio?.close();
  }
}
