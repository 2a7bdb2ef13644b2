import { PoseCodec } from "../net/PoseCodec";
import type { SpacePage } from "../ui/SpacePage";

/**
 * window.__medverse: a small read-mostly view of the open space for the browser tests (and for
 * curious people in the console). Test-only, but harmless: it can do nothing the UI cannot do.
 */
export class TestHook {
  constructor(page: SpacePage) {
    const api = {
      space: () => page.spaceName,
      state: () => page.session.state.toJSON(),
      seq: () => page.session.state.seq,
      objects: () => [...page.session.state.objects.values()].map((o) => ({ ...o })),
      chat: () => page.session.state.chat.map((c) => ({ ...c })),
      avatars: () => page.debugInfo().avatars,
      participants: () => page.debugInfo().participants,
      me: () => page.debugInfo().me,
      role: () => page.debugInfo().role,
      canEdit: () => page.debugInfo().canEdit,
      connected: () => page.session.connection.connected,
      status: () => page.session.connection.status,
      pending: () => page.session.connection.pendingCount,
      stats: () => ({ ...page.session.connection.stats }),
      frames: () => page.debugInfo().frames,
      vrReason: () => page.debugInfo().vrReason,
      camera: () => page.cameraPosition(),
      /** Sends a command exactly as the UI does; resolves to {ok, seq} or {ok: false, code, message}. */
      command: (name: string, args: Record<string, unknown>) =>
        page.send(name, args).then(
          (seq) => ({ ok: true, seq }),
          (err: { code?: string; message?: string }) => ({ ok: false, code: err.code ?? "error", message: err.message ?? String(err) }),
        ),
      /** Drops the socket as a network failure would (the client reconnects by itself). */
      dropConnection: (holdMs = 0) => page.session.connection.dropForTest(holdMs),
      /** The client's presence codec, for byte-level round trips against the server's. */
      encodePose: (flags: number, values: number[]) => [...new Uint8Array(new PoseCodec().encode(flags, values))],
      decodeBatch: (bytes: number[]) => {
        const batch = new PoseCodec().decodeBatch(new Uint8Array(bytes).buffer);
        return batch && { tick: batch.tick, entries: batch.entries.map((e) => ({ pid: e.pid, flags: e.flags, values: [...e.values] })) };
      },
      /** Voice and video: mode, microphone, links, voices with their levels, videos (docs/media.md). */
      media: () => page.media?.describe() ?? null,
      /** The analyser of the voice(s) of `pid`: the strongest frequency (Hz) and its level (dB). */
      voiceSpectrum: (pid: number) => page.media?.audio.spectrum(pid) ?? null,
      /** The own microphone track and a participant's received one (benchmarks/media_latency.py taps them). */
      syntheticVoices: (n: number, hrtfVoices?: number) => page.media?.syntheticVoices(n, hrtfVoices) ?? 0,
      micTrack: () => page.media?.local.mic ?? null,
      voiceTrack: (pid: number) => page.media?.audio.trackOf(pid) ?? null,
      /** What the screen board shows: its video's size and whether frames arrive. */
      board: () => page.boardInfo(),
      /** Where an object is on screen (client pixels), to click it like a user. */
      screenOf: (id: string) => page.screenOf(id),
    };
    (window as unknown as { __medverse?: unknown }).__medverse = api;
  }

  dispose(): void {
    delete (window as unknown as { __medverse?: unknown }).__medverse;
  }
}
