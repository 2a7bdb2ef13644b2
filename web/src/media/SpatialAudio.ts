/** How many voices get HRTF panning at once: the rest get equal-power panning, which costs far
 * less (HRTF measured at ~4 % of a core per source in headless Chromium here; docs/media.md). */
export const HRTF_VOICES = 6;
/** Distance model of every voice: full level within 1.5 m, inverse falloff beyond, floor at 25 m. */
export const REF_DISTANCE = 1.5;
export const MAX_DISTANCE = 25;
export const ROLLOFF = 1.2;

export interface Placement {
  /** Where the voice is (world space, metres), or null to play it unplaced (no avatar pose yet). */
  position: [number, number, number] | null;
  /** Whether the listener may hear it (zones, the instructor's controls): 0 mutes it smoothly. */
  gain: number;
}

interface Voice {
  pid: number;
  /** Chrome plays a remote WebRTC stream into Web Audio only while a media element holds it. */
  element: HTMLAudioElement;
  source: MediaStreamAudioSourceNode;
  analyser: AnalyserNode;
  gain: GainNode;
  panner: PannerNode | null;
  spatial: boolean;
  level: number;
}

/**
 * Everyone's voice, placed at their avatar: source -> gain (zones, mutes) -> analyser (speaking
 * indicator: what this listener hears) -> panner (HRTF for the nearest few, equal-power for the rest; inverse distance falloff)
 * -> master volume -> the chosen output device.
 */
export class SpatialAudio {
  private ctx: AudioContext | null = null;
  private master: GainNode | null = null;
  private readonly voices = new Map<string, Voice>();
  private readonly samples = new Float32Array(512);
  private sinkId = "";
  /** How many voices get HRTF (the rest equal-power); diagnostics may raise it to compare. */
  hrtfVoices = HRTF_VOICES;

  /** The one AudioContext of the page (made on first use; resumed by `resume`). */
  context(): AudioContext {
    if (!this.ctx) {
      this.ctx = new AudioContext({ latencyHint: "interactive" });
      this.master = this.ctx.createGain();
      this.master.connect(this.ctx.destination);
    }
    return this.ctx;
  }

  /** Browsers start audio only after a user gesture: call from a click. */
  async resume(): Promise<void> {
    await this.context().resume();
  }

  get running(): boolean {
    return this.ctx?.state === "running";
  }

  /** Plays `track` (a person's microphone, or unplaced: e.g. a shared tab's audio). */
  add(key: string, pid: number, track: MediaStreamTrack, spatial: boolean): void {
    this.remove(key);
    const ctx = this.context();
    const stream = new MediaStream([track]);
    const element = new Audio();
    element.muted = true;
    element.srcObject = stream;
    void element.play().catch(() => undefined);
    const source = ctx.createMediaStreamSource(stream);
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 512;
    const gain = ctx.createGain();
    // the analyser after the gain: levels are what this listener hears (zones and mutes applied)
    source.connect(gain);
    gain.connect(analyser);
    let panner: PannerNode | null = null;
    if (spatial) {
      panner = ctx.createPanner();
      panner.panningModel = "equalpower";
      panner.distanceModel = "inverse";
      panner.refDistance = REF_DISTANCE;
      panner.maxDistance = MAX_DISTANCE;
      panner.rolloffFactor = ROLLOFF;
      analyser.connect(panner);
      panner.connect(this.master as GainNode);
    } else {
      analyser.connect(this.master as GainNode);
    }
    this.voices.set(key, { pid, element, source, analyser, gain, panner, spatial, level: 0 });
  }

  remove(key: string): void {
    const v = this.voices.get(key);
    if (!v) return;
    v.source.disconnect();
    v.analyser.disconnect();
    v.gain.disconnect();
    v.panner?.disconnect();
    v.element.srcObject = null;
    this.voices.delete(key);
  }

  /** The microphone track of `pid` being played (for diagnostics and the latency benchmark). */
  trackOf(pid: number): MediaStreamTrack | null {
    for (const v of this.voices.values()) if (v.pid === pid && v.spatial) return (v.element.srcObject as MediaStream).getAudioTracks()[0] ?? null;
    return null;
  }

  /**
   * Once a frame: the listener's pose, each voice's placement, and which voices get HRTF (the
   * nearest). `place(pid)` says where a person is and whether the listener may hear them.
   */
  update(listener: { position: [number, number, number]; forward: [number, number, number]; up: [number, number, number] }, place: (pid: number) => Placement): void {
    const ctx = this.ctx;
    if (!ctx) return;
    const t = ctx.currentTime;
    const l = ctx.listener;
    const [x, y, z] = listener.position;
    if (l.positionX) {
      l.positionX.setTargetAtTime(x, t, 0.03);
      l.positionY.setTargetAtTime(y, t, 0.03);
      l.positionZ.setTargetAtTime(z, t, 0.03);
      l.forwardX.setTargetAtTime(listener.forward[0], t, 0.03);
      l.forwardY.setTargetAtTime(listener.forward[1], t, 0.03);
      l.forwardZ.setTargetAtTime(listener.forward[2], t, 0.03);
      l.upX.setTargetAtTime(listener.up[0], t, 0.03);
      l.upY.setTargetAtTime(listener.up[1], t, 0.03);
      l.upZ.setTargetAtTime(listener.up[2], t, 0.03);
    } else {
      l.setPosition(x, y, z);
      l.setOrientation(...listener.forward, ...listener.up);
    }
    const ranked: { v: Voice; d: number }[] = [];
    for (const v of this.voices.values()) {
      const p = place(v.pid);
      v.gain.gain.setTargetAtTime(p.gain, t, 0.05);
      v.level = this.measure(v);
      if (!v.panner) continue;
      const pos = p.position ?? listener.position;
      v.panner.positionX.setTargetAtTime(pos[0], t, 0.03);
      v.panner.positionY.setTargetAtTime(pos[1], t, 0.03);
      v.panner.positionZ.setTargetAtTime(pos[2], t, 0.03);
      ranked.push({ v, d: Math.hypot(pos[0] - x, pos[1] - y, pos[2] - z) + (p.gain > 0 ? 0 : 1e6) });
    }
    ranked.sort((a, b) => a.d - b.d);
    ranked.forEach(({ v }, i) => {
      const model: PanningModelType = i < this.hrtfVoices ? "HRTF" : "equalpower";
      if (v.panner && v.panner.panningModel !== model) v.panner.panningModel = model;
    });
  }

  /** How loud a person's voice is now (0..1), for the speaking indicator. */
  levelOf(pid: number): number {
    let level = 0;
    for (const v of this.voices.values()) if (v.pid === pid && v.spatial) level = Math.max(level, v.level);
    return level;
  }

  /** For tests and diagnostics: each voice's level, gain and panning model. */
  describe(): { key: string; pid: number; level: number; gain: number; model: string | null }[] {
    return [...this.voices].map(([key, v]) => ({ key, pid: v.pid, level: v.level, gain: v.gain.gain.value, model: v.panner?.panningModel ?? null }));
  }

  /** The strongest frequency in what this listener hears of `pid` now (for tests and diagnostics). */
  spectrum(pid: number): { peakHz: number; peakDb: number; rms: number } | null {
    const ctx = this.ctx;
    let best: { peakHz: number; peakDb: number; rms: number } | null = null;
    for (const v of this.voices.values()) {
      if (v.pid !== pid || !ctx) continue;
      const bins = new Float32Array(v.analyser.frequencyBinCount);
      v.analyser.getFloatFrequencyData(bins);
      let at = 0;
      for (let i = 1; i < bins.length; i++) if (bins[i] > bins[at]) at = i;
      const found = { peakHz: (at * ctx.sampleRate) / v.analyser.fftSize, peakDb: bins[at], rms: this.measure(v) / 4 };
      if (!best || found.peakDb > best.peakDb) best = found;
    }
    return best;
  }

  /** Plays through another output device where the browser can (Chrome's AudioContext.setSinkId). */
  async setOutput(deviceId: string): Promise<boolean> {
    const ctx = this.context() as AudioContext & { setSinkId?: (id: string) => Promise<void> };
    if (!ctx.setSinkId) return false;
    await ctx.setSinkId(deviceId);
    this.sinkId = deviceId;
    return true;
  }

  get outputId(): string {
    return this.sinkId;
  }

  private measure(v: Voice): number {
    v.analyser.getFloatTimeDomainData(this.samples);
    let sum = 0;
    for (const s of this.samples) sum += s * s;
    return Math.min(1, Math.sqrt(sum / this.samples.length) * 4);
  }

  dispose(): void {
    for (const key of [...this.voices.keys()]) this.remove(key);
    void this.ctx?.close();
    this.ctx = null;
  }
}
