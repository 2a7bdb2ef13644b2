import type { SignalKind } from "../net/Protocol";
import type { Source } from "./LocalMedia";

/** Who a received track belongs to and what it carries. */
export interface RemoteTrack {
  /** The pid of the person sending it. */
  pid: number;
  source: Source;
  track: MediaStreamTrack;
  mid: string;
}

export interface PeerLinkOptions {
  /** The remote end: a participant's pid, or 0 for the media server. */
  remotePid: number;
  /** Added to every signal's data (e.g. `{pc: "pub"}` with the media server). */
  tag: Record<string, unknown>;
  /** The polite side gives way when both offer at once (perfect negotiation). */
  polite: boolean;
  /** Whether this side makes offers (false for the media server's subscribe connection). */
  offers: boolean;
  iceServers: RTCIceServer[];
  send(kind: SignalKind, data: Record<string, unknown>): string | null;
  onTrack(t: RemoteTrack): void;
  onTrackGone(mid: string): void;
  onState(): void;
  onError(message: string): void;
}

interface TrackInfo {
  pid: number;
  source: Source;
}

/**
 * One RTCPeerConnection (to a peer, or one of the two to the media server), negotiated over the
 * space's socket with the "perfect negotiation" pattern: either side may offer at any time, the
 * polite side rolls back on a collision. Sending tracks are set per source; adding or removing one
 * renegotiates, replacing one does not.
 */
export class PeerLink {
  readonly pc: RTCPeerConnection;
  private makingOffer = false;
  private ignoreOffer = false;
  private readonly senders = new Map<string, RTCRtpSender>();
  private readonly senderSource = new Map<RTCRtpSender, Source>();
  /** What each of the remote side's mids carries (from its offers/answers). */
  private remoteInfo: Record<string, TrackInfo> = {};
  private liveMids = new Set<string>();
  private readonly streams = new Map<Source, MediaStream>();
  closed = false;
  /** When the link was made (performance.now()), to give up on a peer that never answers. */
  readonly openedAt = performance.now();
  /** Ids of our own offers in flight, so a refusal can roll back. */
  readonly pendingOffers = new Set<string>();

  constructor(private readonly opts: PeerLinkOptions) {
    this.pc = new RTCPeerConnection({ iceServers: opts.iceServers });
    this.pc.onnegotiationneeded = () => void this.offer();
    this.pc.onicecandidate = ({ candidate }) => {
      if (candidate) this.opts.send("candidate", { ...this.opts.tag, candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex });
    };
    this.pc.ontrack = (e) => this.onTrack(e);
    this.pc.onconnectionstatechange = () => this.opts.onState();
  }

  get remotePid(): number {
    return this.opts.remotePid;
  }

  get state(): RTCPeerConnectionState {
    return this.pc.connectionState;
  }

  /** Sends `track` as `source` (null: stop sending it). */
  setTrack(source: Source, kind: "audio" | "video", track: MediaStreamTrack | null): void {
    if (this.closed) return;
    const key = `${source}:${kind}`;
    const sender = this.senders.get(key);
    if (track && sender) {
      void sender.replaceTrack(track);
    } else if (track) {
      let stream = this.streams.get(source);
      if (!stream) {
        stream = new MediaStream();
        this.streams.set(source, stream);
      }
      const added = this.pc.addTrack(track, stream);
      this.senders.set(key, added);
      this.senderSource.set(added, source);
    } else if (sender) {
      this.pc.removeTrack(sender);
      this.senders.delete(key);
      this.senderSource.delete(sender);
    }
  }

  /** Whether an audio track is being sent (the server checks the same in each offer). */
  get sendsAudio(): boolean {
    return [...this.senders.keys()].some((k) => k.endsWith(":audio"));
  }

  /** Incoming signals are handled one after the other (a candidate must wait for its offer). */
  private incoming: Promise<void> = Promise.resolve();
  /** Handling a remote description now: our own offer waits until it is done. */
  private handling = false;
  /** A negotiation was wanted while it could not start (or was rolled back): do it when stable. */
  private renegotiateLater = false;

  /** A signal from the remote side (queued behind the ones before it). */
  handle(kind: SignalKind, data: Record<string, unknown>): Promise<void> {
    this.incoming = this.incoming.then(() => this.handleNow(kind, data));
    return this.incoming;
  }

  private async handleNow(kind: SignalKind, data: Record<string, unknown>): Promise<void> {
    if (this.closed) return;
    this.handling = kind === "offer" || kind === "answer";
    try {
      if (kind === "offer" || kind === "answer") {
        const collision = kind === "offer" && (this.makingOffer || this.pc.signalingState !== "stable");
        this.ignoreOffer = !this.opts.polite && collision;
        if (this.ignoreOffer) return;
        this.learn(data);
        if (collision) await this.pc.setLocalDescription({ type: "rollback" });
        await this.pc.setRemoteDescription({ type: kind, sdp: String(data.sdp) });
        if (kind === "offer") {
          await this.pc.setLocalDescription();
          this.send("answer");
        }
        this.checkGone();
      } else if (kind === "candidate") {
        try {
          await this.pc.addIceCandidate({ candidate: String(data.candidate), sdpMid: (data.sdpMid as string | null) ?? null, sdpMLineIndex: (data.sdpMLineIndex as number | null) ?? null });
        } catch (err) {
          if (!this.ignoreOffer) throw err;
        }
      } else if (kind === "bye") {
        this.close();
      }
    } catch (err) {
      this.opts.onError(`media negotiation with ${this.opts.remotePid ? `participant ${this.opts.remotePid}` : "the media server"} failed: ${(err as Error).message}`);
    } finally {
      this.handling = false;
      if (this.renegotiateLater && this.pc.signalingState === "stable" && !this.closed) {
        this.renegotiateLater = false;
        void this.offer();
      }
    }
  }

  /** The server refused one of our offers: forget it, so the next change can offer again. */
  async refused(id: string): Promise<void> {
    if (!this.pendingOffers.delete(id) || this.closed) return;
    if (this.pc.signalingState === "have-local-offer") await this.pc.setLocalDescription({ type: "rollback" });
  }

  /** Offers again (after a refused offer, or to restart ICE). */
  renegotiate(iceRestart = false): void {
    if (iceRestart) this.pc.restartIce();
    else void this.offer();
  }

  /** Read afresh (TypeScript would keep an earlier comparison's narrowing across an await). */
  private signalingState(): RTCSignalingState {
    return this.pc.signalingState;
  }

  private async offer(): Promise<void> {
    if (!this.opts.offers || this.closed) return;
    if (this.handling || this.makingOffer || this.pc.signalingState !== "stable") {
      this.renegotiateLater = true; // after the negotiation in progress
      return;
    }
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      // a colliding offer from the polite side's peer may have rolled this one back meanwhile
      if (this.signalingState() !== "have-local-offer" || this.pc.localDescription?.type !== "offer") {
        this.renegotiateLater = true; // rolled back by a colliding offer: offer again once stable
        return;
      }
      this.send("offer");
    } catch (err) {
      this.opts.onError(`could not offer media: ${(err as Error).message}`);
    } finally {
      this.makingOffer = false;
    }
  }

  private send(kind: "offer" | "answer"): void {
    const desc = this.pc.localDescription;
    if (!desc) return;
    const id = this.opts.send(kind, { ...this.opts.tag, sdp: desc.sdp, media: this.mediaFlags(), sources: this.localSources() });
    if (kind === "offer" && id) this.pendingOffers.add(id);
  }

  private mediaFlags(): { audio: boolean; video: boolean; screen: boolean } {
    const keys = [...this.senders.keys()];
    return { audio: keys.some((k) => k.endsWith(":audio")), video: keys.includes("camera:video"), screen: keys.includes("screen:video") };
  }

  private localSources(): Record<string, Source> {
    const out: Record<string, Source> = {};
    for (const t of this.pc.getTransceivers()) {
      const source = this.senderSource.get(t.sender);
      if (t.mid && source) out[t.mid] = source;
    }
    return out;
  }

  /** What the remote side says its mids carry: `sources` from a peer, `tracks` from the media server. */
  private learn(data: Record<string, unknown>): void {
    const tracks = data.tracks as Record<string, { pid: number; source: Source }> | undefined;
    const sources = data.sources as Record<string, Source> | undefined;
    if (tracks) {
      this.remoteInfo = {};
      for (const [mid, t] of Object.entries(tracks)) this.remoteInfo[mid] = { pid: t.pid, source: t.source ?? "mic" };
    } else if (sources) {
      for (const [mid, source] of Object.entries(sources)) this.remoteInfo[mid] = { pid: this.opts.remotePid, source };
    }
  }

  private onTrack(e: RTCTrackEvent): void {
    const mid = e.transceiver.mid ?? "";
    const info = this.remoteInfo[mid] ?? { pid: this.opts.remotePid, source: e.track.kind === "audio" ? "mic" : "camera" };
    this.liveMids.add(mid);
    this.opts.onTrack({ pid: info.pid, source: info.source, track: e.track, mid });
  }

  /** After a negotiation: tracks whose transceiver no longer receives are gone. */
  private checkGone(): void {
    const live = new Set<string>();
    for (const t of this.pc.getTransceivers()) {
      const dir = t.currentDirection;
      if (t.mid && (dir === "recvonly" || dir === "sendrecv") && this.liveMids.has(t.mid)) live.add(t.mid);
    }
    for (const mid of this.liveMids) if (!live.has(mid)) this.opts.onTrackGone(mid);
    this.liveMids = live;
  }

  /** Inbound audio so far (cumulative packets received and lost, worst jitter) for the poor-connection badge. */
  async quality(): Promise<{ lost: number; received: number; jitterMs: number }> {
    let lost = 0;
    let received = 0;
    let jitter = 0;
    const stats = await this.pc.getStats();
    stats.forEach((s: Record<string, unknown>) => {
      if (s.type === "inbound-rtp" && s.kind === "audio") {
        lost += Number(s.packetsLost ?? 0);
        received += Number(s.packetsReceived ?? 0);
        jitter = Math.max(jitter, Number(s.jitter ?? 0) * 1000);
      }
    });
    return { lost, received, jitterMs: jitter };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const mid of this.liveMids) this.opts.onTrackGone(mid);
    this.liveMids.clear();
    this.pc.close();
    this.opts.onState();
  }
}
