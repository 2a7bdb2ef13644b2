import { Msg } from "../net/Protocol";
import type { MediaMode, ServerFrame, SignalKind, SignalMessage } from "../net/Protocol";
import type { SpaceSession } from "../space/SpaceSession";
import { Emitter } from "../util/Emitter";
import { audible, speakRefusal, unmuteRefusal, zoneAt } from "./floor";
import { LocalMedia } from "./LocalMedia";
import type { Source } from "./LocalMedia";
import { PeerLink } from "./PeerLink";
import type { RemoteTrack } from "./PeerLink";
import { HRTF_VOICES, SpatialAudio } from "./SpatialAudio";

/** Level above which someone counts as speaking, and how long the indicator stays after. */
const SPEAKING_LEVEL = 0.05;
const SPEAKING_HOLD_MS = 350;
/** Receive loss or jitter above these marks a poor connection. */
const POOR_LOSS_PCT = 5;
const POOR_JITTER_MS = 60;
const QUALITY_EVERY_MS = 2000;
/** How often the nearest peers are chosen again when the room is over the peer-to-peer limit. */
const NEAREST_EVERY_MS = 3000;
/** A peer link not connected after this long is given up (the peer never answered, or a
 * negotiation got stuck), and tried again after 2 s, then a backoff that doubles up to five minutes. */
const CONNECT_TIMEOUT_MS = 8000;
const RETRY_FIRST_MS = 2000;
const RETRY_MAX_MS = 300000;

type Vec3 = [number, number, number];

/** What the media layer needs from the 3D world. */
export interface MediaWorld {
  listener(): { position: Vec3; forward: Vec3; up: Vec3 };
  /** Where a participant's head is (null while their avatar has no pose). */
  headOf(pid: number): Vec3 | null;
  onFrame(cb: () => void): () => void;
}

export interface RemoteVideo {
  key: string;
  pid: number;
  source: Source;
  track: MediaStreamTrack;
}

export type MediaStatus = "off" | "connecting" | "connected" | "reconnecting";

export interface MediaEvents {
  /** Anything the media bar shows changed. */
  changed: void;
  /** The set of received video tracks changed. */
  videos: RemoteVideo[];
  /** Who is speaking changed (pids). */
  speaking: ReadonlySet<number>;
  /** A message for the user. */
  notice: { text: string; kind: "info" | "error" };
}

/**
 * Voice, camera and screen share in a space (docs/media.md): the own media (LocalMedia), the
 * connections that carry them (peer-to-peer: one PeerLink per other participant; through the
 * media server: a publish and a subscribe link), spatial playback (SpatialAudio), and the floor:
 * the microphone is sent only while the server's floor state lets this person speak, and voices
 * of people who may not speak, or are in another zone, are not played.
 */
export class MediaController {
  readonly events = new Emitter<MediaEvents>();
  readonly local: LocalMedia;
  readonly audio = new SpatialAudio();
  mode: MediaMode = "p2p";
  /** The user clicked "Join audio" (asked for the microphone, started playback). */
  joined = false;
  /** The user wants their microphone open (unmuted). */
  micWanted = false;
  pushToTalk = false;
  private pttHeld = false;
  /** Why the server stopped this microphone (`media.stop`), until the floor changes again. */
  private stopReason: string | null = null;
  private readonly links = new Map<string, PeerLink>();
  /** For each link, mid -> the key its track plays under. */
  private readonly mids = new Map<PeerLink, Map<string, string>>();
  private readonly videos = new Map<string, RemoteVideo>();
  private readonly signalLink = new Map<string, PeerLink>();
  private speaking = new Set<number>();
  /** Synthetic voices (diagnostics: benchmarks/media_client_cpu.py), by fake pid: where they stand. */
  private readonly synthetic = new Map<number, Vec3>();
  private syntheticSources: OscillatorNode[] = [];
  private readonly lastLoud = new Map<number, number>();
  readonly poor = new Set<number>();
  private readonly lossSeen = new Map<PeerLink, { lost: number; received: number }>();
  private chosen = new Set<number>();
  /** Peers that never answered: when to try them again, and the backoff. */
  private readonly retryAt = new Map<number, { at: number; backoff: number }>();
  private signalCounter = 0;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly session: SpaceSession,
    private readonly world: MediaWorld,
  ) {
    this.local = new LocalMedia(() => this.audio.context());
    const c = session.connection.events;
    this.unsubscribe.push(
      c.on("welcome", (w) => {
        this.mode = w.media?.mode ?? "p2p";
        this.rebuild();
      }),
      c.on("message", (msg) => this.onMessage(msg)),
      c.on("error", (err) => {
        if (err.id && this.signalLink.has(err.id)) void this.signalLink.get(err.id)?.refused(err.id);
      }),
      c.on("status", () => this.events.emit("changed", undefined)),
      session.events.on("people", () => this.syncPeers()),
      session.state.events.on("voice", () => this.onFloor()),
      session.state.events.on("reset", () => this.onFloor()),
      session.events.on("role", () => this.onFloor()),
      this.local.events.on("track", ({ source, kind, track }) => this.onLocalTrack(source, kind, track)),
      this.local.events.on("changed", () => this.events.emit("changed", undefined)),
      world.onFrame(() => this.frame()),
    );
    this.timers.push(setInterval(() => void this.checkQuality(), QUALITY_EVERY_MS));
    this.timers.push(setInterval(() => this.checkStalled(), QUALITY_EVERY_MS));
    this.timers.push(setInterval(() => this.syncPeers(), NEAREST_EVERY_MS));
  }

  // ---- what the user does --------------------------------------------------------------------

  /** "Join audio": start playback (needs this click) and ask for the microphone. */
  async join(): Promise<void> {
    await this.audio.resume().catch(() => undefined);
    this.joined = true;
    this.micWanted = this.unmuteRefusal() === null;
    this.syncPeers();
    const ok = await this.local.startMic();
    if (!ok) this.events.emit("notice", { text: `${this.local.micError}. You can still listen.`, kind: "error" });
    this.applyMic();
    this.reportSelfMute();
    this.events.emit("changed", undefined);
  }

  /** Mutes or unmutes the own microphone (refused, with the reason, when the floor forbids it). */
  setMuted(muted: boolean): void {
    if (!muted) {
      const refusal = this.unmuteRefusal();
      if (refusal) {
        this.events.emit("notice", { text: `You cannot unmute: ${refusal}.`, kind: "error" });
        return;
      }
    }
    this.micWanted = !muted;
    this.applyMic();
    this.reportSelfMute();
    this.events.emit("changed", undefined);
  }

  setPushToTalk(on: boolean): void {
    this.pushToTalk = on;
    this.pttHeld = false;
    this.applyMic();
    this.events.emit("changed", undefined);
  }

  /** The push-to-talk key went down or up. */
  setTalking(held: boolean): void {
    if (!this.pushToTalk || held === this.pttHeld) return;
    this.pttHeld = held;
    this.applyMic();
    this.events.emit("changed", undefined);
  }

  async toggleCamera(): Promise<void> {
    if (this.local.camera) this.local.stopCamera();
    else {
      const error = await this.local.startCamera();
      if (error) this.events.emit("notice", { text: error, kind: "error" });
    }
  }

  async toggleScreen(): Promise<void> {
    if (this.local.screen) this.local.stopScreen();
    else {
      const error = await this.local.startScreen();
      if (error && !error.endsWith("cancelled")) this.events.emit("notice", { text: error, kind: "error" });
    }
  }

  async chooseInput(deviceId: string): Promise<void> {
    this.local.inputId = deviceId;
    if (this.joined) await this.local.startMic(deviceId);
    this.applyMic();
  }

  async chooseCamera(deviceId: string): Promise<void> {
    this.local.cameraId = deviceId;
    if (this.local.camera) await this.local.startCamera(deviceId);
  }

  async chooseOutput(deviceId: string): Promise<void> {
    const ok = await this.audio.setOutput(deviceId).catch(() => false);
    if (!ok) this.events.emit("notice", { text: "This browser cannot choose the output device here; use the system's sound settings.", kind: "info" });
  }

  // ---- state for the UI ----------------------------------------------------------------------

  /** Why this person may not speak now (null: they may). */
  speakRefusal(): string | null {
    const me = this.session.myUserId;
    return me === null ? "not connected" : speakRefusal(this.session.state.voice, me, this.session.role);
  }

  unmuteRefusal(): string | null {
    const me = this.session.myUserId;
    return me === null ? "not connected" : unmuteRefusal(this.session.state.voice, me, this.session.role);
  }

  /** Whether the microphone is being heard by the others now. */
  get live(): boolean {
    return this.joined && this.local.mic !== null && this.speakRefusal() === null && this.micWanted && (!this.pushToTalk || this.pttHeld);
  }

  get status(): MediaStatus {
    if (!this.joined && this.links.size === 0) return "off";
    if (this.session.connection.status !== "open") return "reconnecting";
    const states = [...this.links.values()].map((l) => l.state);
    if (states.some((s) => s === "disconnected" || s === "failed")) return "reconnecting";
    if (states.some((s) => s === "new" || s === "connecting")) return "connecting";
    return "connected";
  }

  /** Whether what this client receives arrives badly (loss, jitter) from the media server or from most peers. */
  get poorConnection(): boolean {
    const me = this.session.myPid;
    if (this.mode === "sfu") return me !== null && this.poor.has(me);
    const peers = [...this.links.keys()].filter((k) => k.startsWith("p2p:")).length;
    return peers > 0 && this.poor.size * 2 > peers;
  }

  /** The name of the voice zone this person stands in (null: none). */
  currentZone(): string | null {
    const voice = this.session.state.voice;
    const here = this.world.listener().position;
    const id = zoneAt(voice.zones, here[0], here[2]);
    return voice.zones.find((z) => z.id === id)?.name ?? null;
  }

  remoteVideos(): RemoteVideo[] {
    return [...this.videos.values()];
  }

  /** The people this client exchanges media with directly, when the room is over the limit. */
  get overLimit(): boolean {
    const max = this.session.welcome?.media?.p2p_max_peers ?? 8;
    return this.mode === "p2p" && this.session.participants.size - 1 > max;
  }

  /** For the test hook. */
  describe(): Record<string, unknown> {
    return {
      mode: this.mode,
      joined: this.joined,
      mic: this.local.micState,
      micEnabled: this.local.micEnabled,
      live: this.live,
      micWanted: this.micWanted,
      refusal: this.speakRefusal(),
      status: this.status,
      links: Object.fromEntries([...this.links].map(([k, l]) => [k, { state: l.state, sendsAudio: l.sendsAudio }])),
      voices: this.audio.describe(),
      audioRunning: this.audio.running,
      speaking: [...this.speaking],
      videos: this.remoteVideos().map((v) => ({ key: v.key, pid: v.pid, source: v.source, state: v.track.readyState, muted: v.track.muted })),
      camera: this.local.camera !== null,
      screen: this.local.screen !== null,
      poor: [...this.poor],
      level: this.local.level(),
    };
  }

  // ---- the server -----------------------------------------------------------------------------

  private onMessage(msg: ServerFrame): void {
    if (msg.type === Msg.SIGNAL) void this.onSignal(msg as SignalMessage);
    else if (msg.type === Msg.MEDIA_STOP) {
      this.stopReason = msg.reason;
      this.applyMic();
      this.events.emit("notice", { text: `Your microphone was turned off: ${msg.reason}.`, kind: "info" });
      this.events.emit("changed", undefined);
    } else if (msg.type === Msg.MEDIA_MODE) {
      if (msg.mode === this.mode) return;
      this.mode = msg.mode;
      this.events.emit("notice", { text: msg.mode === "sfu" ? "The media server is back: reconnecting audio through it." : `Audio falls back to peer-to-peer${msg.reason ? ` (${msg.reason})` : ""}.`, kind: "info" });
      this.rebuild();
    }
  }

  private async onSignal(msg: SignalMessage): Promise<void> {
    let link: PeerLink | undefined;
    if (msg.from === 0) {
      if (this.mode !== "sfu") return;
      const pc = msg.data.pc === "sub" ? "sub" : "pub";
      link = this.links.get(pc) ?? (pc === "sub" ? this.openLink("sub", 0, false) : undefined);
    } else {
      if (this.mode !== "p2p" || !this.session.participants.has(msg.from)) return;
      link = this.links.get(`p2p:${msg.from}`);
      if (!link && msg.kind === "offer") link = this.openLink(`p2p:${msg.from}`, msg.from, true);
    }
    await link?.handle(msg.kind, msg.data);
  }

  private send(to: number, kind: SignalKind, data: Record<string, unknown>, link: PeerLink): string | null {
    const id = `s-${(++this.signalCounter).toString(36)}`;
    // the id travels in the frame so that a refusal names it and the link can roll back
    if (!this.session.connection.signal(to, kind, data, id)) return null;
    this.signalLink.set(id, link);
    if (this.signalLink.size > 200) this.signalLink.delete(this.signalLink.keys().next().value as string);
    return id;
  }

  // ---- links -------------------------------------------------------------------------------------

  private openLink(key: string, remotePid: number, p2p: boolean): PeerLink {
    const myPid = this.session.myPid ?? 0;
    const ice = this.session.welcome?.media?.ice_servers ?? [];
    const mids = new Map<string, string>();
    const link: PeerLink = new PeerLink({
      remotePid,
      tag: p2p ? {} : { pc: key },
      polite: p2p ? myPid > remotePid : key === "sub",
      offers: key !== "sub",
      iceServers: ice,
      send: (kind, data) => this.send(remotePid, kind, data, link),
      onTrack: (t) => this.onRemoteTrack(link, t),
      onTrackGone: (mid) => this.onRemoteTrackGone(link, mid),
      onState: () => {
        if (link.state === "failed" && key !== "sub") link.renegotiate(true);
        this.events.emit("changed", undefined);
      },
      onError: (text) => console.warn(text),
    });
    this.links.set(key, link);
    this.mids.set(link, mids);
    if (key !== "sub") this.attachAll(link);
    return link;
  }

  private closeLink(key: string): void {
    const link = this.links.get(key);
    if (!link) return;
    link.close();
    this.links.delete(key);
    this.mids.delete(link);
    this.lossSeen.delete(link);
  }

  /** Closes every link and opens those the mode needs (after a welcome or a mode change). */
  private rebuild(): void {
    for (const key of [...this.links.keys()]) this.closeLink(key);
    this.chosen.clear();
    this.poor.clear();
    this.syncPeers();
    this.events.emit("changed", undefined);
  }

  /** Opens and closes links as people come and go (and, over the limit, as they move). */
  private syncPeers(): void {
    const me = this.session.myPid;
    if (me === null || !this.session.connection.connected) return;
    if (this.mode === "sfu") {
      if (this.joined && !this.links.has("pub")) this.openLink("pub", 0, false);
      return;
    }
    const others = [...this.session.participants.keys()].filter((pid) => pid !== me);
    const max = this.session.welcome?.media?.p2p_max_peers ?? 8;
    const here = this.world.listener().position;
    const dist = (pid: number): number => {
      const p = this.world.headOf(pid);
      return p ? Math.hypot(p[0] - here[0], p[2] - here[2]) : 1e6 + pid;
    };
    const byDistance = [...others].sort((a, b) => dist(a) - dist(b));
    this.chosen = new Set(byDistance.slice(0, max));
    // Links to people who left go; over the limit (with some slack, so that links the others
    // opened to us and people walking about do not make links flap), the farthest go.
    const p2pKeys = [...this.links.keys()].filter((k) => k.startsWith("p2p:"));
    const gone = p2pKeys.filter((k) => !this.session.participants.has(Number(k.slice(4))));
    const kept = p2pKeys.filter((k) => !gone.includes(k)).sort((a, b) => dist(Number(b.slice(4))) - dist(Number(a.slice(4))));
    const excess = kept.length - (max + 2);
    const farthest = excess > 0 ? kept.filter((k) => !this.chosen.has(Number(k.slice(4)))).slice(0, excess) : [];
    for (const key of [...gone, ...farthest]) {
      const pid = Number(key.slice(4));
      if (this.session.participants.has(pid)) this.session.connection.signal(pid, "bye", {});
      this.closeLink(key);
      this.dropPid(pid);
    }
    // Only a side with something to send opens a link; the other answers when the offer comes.
    if (!this.joined) return;
    const now = performance.now();
    for (const pid of this.chosen) {
      if (this.links.has(`p2p:${pid}`) || (this.retryAt.get(pid)?.at ?? 0) > now) continue;
      this.openLink(`p2p:${pid}`, pid, true);
    }
  }

  /** Gives up on peer links that never connected (a client that never answers harms no one). */
  private checkStalled(): void {
    const now = performance.now();
    for (const [key, link] of [...this.links]) {
      if (!key.startsWith("p2p:") || link.state === "connected" || now - link.openedAt < CONNECT_TIMEOUT_MS) continue;
      const pid = link.remotePid;
      const backoff = Math.min(RETRY_MAX_MS, (this.retryAt.get(pid)?.backoff ?? RETRY_FIRST_MS / 2) * 2);
      this.retryAt.set(pid, { at: now + backoff, backoff });
      console.warn(`no media connection with participant ${pid} after ${CONNECT_TIMEOUT_MS / 1000} s; trying again in ${Math.round(backoff / 1000)} s`);
      this.closeLink(key);
      this.dropPid(pid);
      this.events.emit("changed", undefined);
    }
    for (const [pid, r] of this.retryAt) if (!this.session.participants.has(pid) || (this.links.get(`p2p:${pid}`)?.state === "connected" && r.at < now)) this.retryAt.delete(pid);
  }

  private dropPid(pid: number): void {
    for (const [key, v] of this.videos) if (v.pid === pid) this.videos.delete(key);
    for (const v of this.audio.describe()) if (v.pid === pid) this.audio.remove(v.key);
    this.speaking.delete(pid);
    this.poor.delete(pid);
    this.events.emit("videos", this.remoteVideos());
  }

  // ---- own tracks -------------------------------------------------------------------------------

  /** The microphone goes out only while joined, allowed, wanted (or push-to-talk held). */
  private applyMic(): void {
    const allowed = this.speakRefusal() === null;
    if (allowed) this.stopReason = null;
    const mic = this.local.mic;
    const send = Boolean(mic) && this.joined && allowed && this.stopReason === null;
    this.local.setMicEnabled(this.micWanted && (!this.pushToTalk || this.pttHeld));
    for (const link of this.sendingLinks()) link.setTrack("mic", "audio", send ? mic : null);
  }

  private onLocalTrack(source: Source, kind: "audio" | "video", track: MediaStreamTrack | null): void {
    if (source === "mic") {
      this.applyMic();
      return;
    }
    if (track && this.mode === "p2p" && this.links.size === 0) this.syncPeers();
    for (const link of this.sendingLinks()) link.setTrack(source, kind, this.mayShare(source, kind) ? track : null);
  }

  private mayShare(source: Source, kind: "audio" | "video"): boolean {
    return !(source === "screen" && kind === "audio" && this.speakRefusal() !== null);
  }

  /** Puts every current own track on a new link. */
  private attachAll(link: PeerLink): void {
    const l = this.local;
    const micOk = this.joined && this.speakRefusal() === null && this.stopReason === null;
    if (l.mic && micOk) link.setTrack("mic", "audio", l.mic);
    if (l.camera) link.setTrack("camera", "video", l.camera);
    if (l.screen) link.setTrack("screen", "video", l.screen);
    if (l.screenAudio && this.mayShare("screen", "audio")) link.setTrack("screen", "audio", l.screenAudio);
  }

  private sendingLinks(): PeerLink[] {
    return [...this.links].filter(([key]) => key !== "sub").map(([, l]) => l);
  }

  /** The floor changed: tell the server what the user shows, and send or stop the microphone. */
  private onFloor(): void {
    this.applyMic();
    if (this.micWanted && this.unmuteRefusal() !== null && this.speakRefusal() !== null) this.micWanted = false;
    if (this.local.screenAudio) for (const link of this.sendingLinks()) link.setTrack("screen", "audio", this.mayShare("screen", "audio") ? this.local.screenAudio : null);
    this.events.emit("changed", undefined);
  }

  private reportSelfMute(): void {
    const me = this.session.myUserId;
    if (me === null) return;
    const muted = !this.micWanted;
    if (this.session.state.voice.self_muted.includes(me) === muted) return;
    if (!muted && this.unmuteRefusal()) return;
    void this.session.send("voice.set_self_muted", { muted }).catch(() => undefined);
  }

  // ---- remote tracks ----------------------------------------------------------------------------

  private onRemoteTrack(link: PeerLink, t: RemoteTrack): void {
    const key = `${t.pid}:${t.source}:${t.track.kind}:${t.mid}`;
    this.mids.get(link)?.set(t.mid, key);
    if (t.track.kind === "audio") {
      this.audio.add(key, t.pid, t.track, t.source === "mic");
    } else {
      this.videos.set(key, { key, pid: t.pid, source: t.source, track: t.track });
      t.track.addEventListener("ended", () => this.onRemoteTrackGone(link, t.mid));
      this.events.emit("videos", this.remoteVideos());
    }
  }

  private onRemoteTrackGone(link: PeerLink, mid: string): void {
    const key = this.mids.get(link)?.get(mid);
    if (!key) return;
    this.mids.get(link)?.delete(mid);
    this.audio.remove(key);
    if (this.videos.delete(key)) this.events.emit("videos", this.remoteVideos());
  }

  // ---- every frame: placement, zones, speaking ---------------------------------------------------

  private frame(): void {
    const listener = this.world.listener();
    const voice = this.session.state.voice;
    const myZone = zoneAt(voice.zones, listener.position[0], listener.position[2]);
    this.audio.update(listener, (pid) => {
      const fake = this.synthetic.get(pid);
      if (fake) return { position: fake, gain: 1 };
      const p = this.session.participants.get(pid);
      const position = this.world.headOf(pid);
      if (!p) return { position, gain: 0 };
      // Someone the floor silences is not played, whatever their client sends (peer-to-peer).
      if (speakRefusal(voice, p.user_id, p.role) !== null) return { position, gain: 0 };
      const theirZone = position ? zoneAt(voice.zones, position[0], position[2]) : null;
      const heard = audible(voice, p.user_id, theirZone, myZone) || (p.role === "instructor" && voice.broadcast.includes(p.user_id));
      return { position: voice.broadcast.includes(p.user_id) ? null : position, gain: heard ? 1 : 0 };
    });
    const now = performance.now();
    const me = this.session.myPid;
    let changed = false;
    const next = new Set<number>();
    const levels = new Map<number, number>();
    for (const v of this.audio.describe()) levels.set(v.pid, Math.max(levels.get(v.pid) ?? 0, v.gain > 0.01 ? v.level : 0));
    if (me !== null && this.live) levels.set(me, this.local.level());
    for (const [pid, level] of levels) {
      if (level > SPEAKING_LEVEL) this.lastLoud.set(pid, now);
      if (now - (this.lastLoud.get(pid) ?? -1e9) < SPEAKING_HOLD_MS) next.add(pid);
    }
    if (next.size !== this.speaking.size || [...next].some((p) => !this.speaking.has(p))) changed = true;
    this.speaking = next;
    if (changed) this.events.emit("speaking", this.speaking);
  }

  private async checkQuality(): Promise<void> {
    let changed = false;
    for (const [key, link] of this.links) {
      if (link.state !== "connected") continue;
      const q = await link.quality().catch(() => null);
      if (!q) continue;
      const seen = this.lossSeen.get(link) ?? { lost: 0, received: 0 };
      this.lossSeen.set(link, { lost: q.lost, received: q.received });
      const dLost = q.lost - seen.lost;
      const dAll = dLost + q.received - seen.received;
      const isPoor = (dAll > 0 && (100 * dLost) / dAll > POOR_LOSS_PCT) || q.jitterMs > POOR_JITTER_MS;
      const pid = key === "sub" || key === "pub" ? (this.session.myPid ?? -1) : link.remotePid;
      if (isPoor !== this.poor.has(pid)) {
        if (isPoor) this.poor.add(pid);
        else this.poor.delete(pid);
        changed = true;
      }
    }
    if (changed) this.events.emit("changed", undefined);
  }

  /**
   * Diagnostics: plays `n` synthetic voices (tones from oscillators, as WebRTC tracks would arrive)
   * placed on a circle around the listener, through the same spatial chain as real voices; 0
   * removes them. For measuring what spatial audio costs this browser.
   */
  syntheticVoices(n: number, hrtfVoices = HRTF_VOICES): number {
    this.audio.hrtfVoices = hrtfVoices;
    for (const pid of this.synthetic.keys()) this.audio.remove(`synthetic:${pid}`);
    this.synthetic.clear();
    for (const osc of this.syntheticSources) osc.stop();
    this.syntheticSources = [];
    const ctx = this.audio.context();
    const here = this.world.listener().position;
    for (let i = 0; i < n; i++) {
      const osc = ctx.createOscillator();
      osc.frequency.value = 180 + 37 * i;
      const out = ctx.createMediaStreamDestination();
      osc.connect(out);
      osc.start();
      this.syntheticSources.push(osc);
      const pid = -1000 - i;
      const angle = (2 * Math.PI * i) / Math.max(1, n);
      const r = 2 + (i % 5);
      this.synthetic.set(pid, [here[0] + r * Math.cos(angle), here[1], here[2] + r * Math.sin(angle)]);
      this.audio.add(`synthetic:${pid}`, pid, out.stream.getAudioTracks()[0], true);
    }
    return this.synthetic.size;
  }

  dispose(): void {
    this.timers.forEach((t) => clearInterval(t));
    this.unsubscribe.forEach((u) => u());
    for (const key of [...this.links.keys()]) this.closeLink(key);
    this.local.dispose();
    this.audio.dispose();
    this.events.clear();
  }
}
