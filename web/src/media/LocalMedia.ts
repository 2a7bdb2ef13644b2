import { Emitter } from "../util/Emitter";

/** What a sending track carries (the `sources` of an offer: docs/protocol.md). */
export type Source = "mic" | "camera" | "screen";

/** The microphone's state, as the media bar shows it. */
export type MicState = "off" | "asking" | "on" | "denied" | "none";

export interface LocalMediaEvents {
  /** A track was started, stopped or replaced (`track` null: stopped). */
  track: { source: Source; track: MediaStreamTrack | null; kind: "audio" | "video" };
  changed: void;
}

/** A human sentence for a getUserMedia/getDisplayMedia failure. */
export function mediaError(err: unknown, what: string): string {
  const name = (err as { name?: string }).name ?? "";
  if (name === "NotAllowedError" || name === "SecurityError") return `${what}: permission refused (allow it in the browser's site settings)`;
  if (name === "NotFoundError" || name === "OverconstrainedError") return `${what}: no such device on this computer`;
  if (name === "NotReadableError") return `${what}: the device is busy (another program may be using it)`;
  if (name === "AbortError") return `${what}: cancelled`;
  return `${what}: ${(err as Error).message || name || "failed"}`;
}

/**
 * The own microphone, camera and shared screen: capture, device choice, mute (the track keeps
 * flowing, silent, so unmuting is instant), and a level meter for the microphone.
 */
export class LocalMedia {
  readonly events = new Emitter<LocalMediaEvents>();
  mic: MediaStreamTrack | null = null;
  camera: MediaStreamTrack | null = null;
  screen: MediaStreamTrack | null = null;
  /** The shared tab's or window's audio, when the browser gives it. */
  screenAudio: MediaStreamTrack | null = null;
  micState: MicState = "off";
  micError = "";
  inputId = "";
  cameraId = "";
  private analyser: AnalyserNode | null = null;
  private analyserSource: MediaStreamAudioSourceNode | null = null;
  private readonly samples = new Float32Array(512);

  constructor(private readonly ctx: () => AudioContext) {}

  /** Asks for the microphone; false (with `micError`) when refused or missing: the user still listens. */
  async startMic(deviceId = this.inputId): Promise<boolean> {
    if (!navigator.mediaDevices?.getUserMedia) {
      this.micState = "none";
      this.micError = "this browser cannot capture audio here (a secure https page is needed)";
      this.events.emit("changed", undefined);
      return false;
    }
    this.micState = "asking";
    this.events.emit("changed", undefined);
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        audio: { deviceId: deviceId ? { exact: deviceId } : undefined, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      });
      const track = stream.getAudioTracks()[0];
      const old = this.mic;
      this.mic = track;
      this.inputId = track.getSettings().deviceId ?? deviceId;
      this.micState = "on";
      this.micError = "";
      track.onended = () => {
        if (this.mic !== track) return;
        this.mic = null;
        this.micState = "none";
        this.micError = "the microphone was unplugged or stopped";
        this.events.emit("track", { source: "mic", track: null, kind: "audio" });
        this.events.emit("changed", undefined);
      };
      this.meter(track);
      this.events.emit("track", { source: "mic", track, kind: "audio" });
      old?.stop();
      this.events.emit("changed", undefined);
      return true;
    } catch (err) {
      this.micState = (err as { name?: string }).name === "NotAllowedError" ? "denied" : "none";
      this.micError = mediaError(err, "Microphone");
      this.events.emit("changed", undefined);
      return false;
    }
  }

  /** Mutes or unmutes the microphone without renegotiating (a muted track sends silence). */
  setMicEnabled(on: boolean): void {
    if (this.mic) this.mic.enabled = on;
    this.events.emit("changed", undefined);
  }

  get micEnabled(): boolean {
    return Boolean(this.mic && this.mic.enabled && this.mic.readyState === "live");
  }

  /** The microphone's level, 0..1 (RMS, before mute: so the meter shows a muted user talking). */
  level(): number {
    if (!this.analyser) return 0;
    this.analyser.getFloatTimeDomainData(this.samples);
    let sum = 0;
    for (const v of this.samples) sum += v * v;
    return Math.min(1, Math.sqrt(sum / this.samples.length) * 4);
  }

  async startCamera(deviceId = this.cameraId): Promise<string | null> {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        video: { deviceId: deviceId ? { exact: deviceId } : undefined, width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 24 } },
      });
      const track = stream.getVideoTracks()[0];
      this.camera?.stop();
      this.camera = track;
      this.cameraId = track.getSettings().deviceId ?? deviceId;
      track.onended = () => this.stopCamera();
      this.events.emit("track", { source: "camera", track, kind: "video" });
      this.events.emit("changed", undefined);
      return null;
    } catch (err) {
      return mediaError(err, "Camera");
    }
  }

  stopCamera(): void {
    if (!this.camera) return;
    this.camera.stop();
    this.camera = null;
    this.events.emit("track", { source: "camera", track: null, kind: "video" });
    this.events.emit("changed", undefined);
  }

  /** Shares a screen, window or tab (with its audio where the browser allows). */
  async startScreen(): Promise<string | null> {
    if (!navigator.mediaDevices?.getDisplayMedia) return "this browser cannot share a screen";
    try {
      const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: true });
      const track = stream.getVideoTracks()[0];
      this.stopScreen();
      this.screen = track;
      track.contentHint = "detail";
      track.onended = () => this.stopScreen();
      this.events.emit("track", { source: "screen", track, kind: "video" });
      const audio = stream.getAudioTracks()[0] ?? null;
      if (audio) {
        this.screenAudio = audio;
        this.events.emit("track", { source: "screen", track: audio, kind: "audio" });
      }
      this.events.emit("changed", undefined);
      return null;
    } catch (err) {
      return mediaError(err, "Screen sharing");
    }
  }

  stopScreen(): void {
    if (this.screen) {
      this.screen.stop();
      this.screen = null;
      this.events.emit("track", { source: "screen", track: null, kind: "video" });
    }
    if (this.screenAudio) {
      this.screenAudio.stop();
      this.screenAudio = null;
      this.events.emit("track", { source: "screen", track: null, kind: "audio" });
    }
    this.events.emit("changed", undefined);
  }

  /** The devices the browser lists (labels only after a permission was given). */
  async devices(): Promise<MediaDeviceInfo[]> {
    if (!navigator.mediaDevices?.enumerateDevices) return [];
    return navigator.mediaDevices.enumerateDevices();
  }

  private meter(track: MediaStreamTrack): void {
    this.analyserSource?.disconnect();
    const ctx = this.ctx();
    this.analyserSource = ctx.createMediaStreamSource(new MediaStream([track]));
    this.analyser = ctx.createAnalyser();
    this.analyser.fftSize = 512;
    this.analyserSource.connect(this.analyser);
  }

  dispose(): void {
    this.mic?.stop();
    this.camera?.stop();
    this.screen?.stop();
    this.screenAudio?.stop();
    this.analyserSource?.disconnect();
    this.mic = this.camera = this.screen = this.screenAudio = null;
    this.events.clear();
  }
}
