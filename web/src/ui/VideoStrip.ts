import type { RemoteVideo } from "../media/MediaController";
import { h } from "./dom";

interface Tile {
  el: HTMLElement;
  video: HTMLVideoElement;
  track: MediaStreamTrack;
}

/**
 * The 2D strip of videos over the 3D view: everyone's camera and shared screens (and the own
 * camera as a preview). It owns one <video> element per track; the 3D world borrows them for the
 * avatar panels and the screen board. A tile opens large on click.
 */
export class VideoStrip {
  readonly el = h("div.video-strip#video-strip", { "aria-label": "Cameras and shared screens" });
  private readonly tiles = new Map<string, Tile>();
  private large: string | null = null;

  constructor(private readonly nameOf: (pid: number) => string) {}

  /** Shows exactly these videos (plus `own`, the own camera preview, when on). */
  update(videos: RemoteVideo[], own: MediaStreamTrack | null, ownScreen: MediaStreamTrack | null): void {
    const wanted = new Map<string, { track: MediaStreamTrack; caption: string; kind: string }>();
    for (const v of videos) wanted.set(v.key, { track: v.track, caption: v.source === "screen" ? `${this.nameOf(v.pid)}'s screen` : this.nameOf(v.pid), kind: v.source });
    if (own) wanted.set("own:camera", { track: own, caption: "You", kind: "camera" });
    if (ownScreen) wanted.set("own:screen", { track: ownScreen, caption: "Your screen", kind: "screen" });
    for (const [key, tile] of this.tiles) {
      const w = wanted.get(key);
      if (!w || w.track !== tile.track) {
        tile.video.srcObject = null;
        tile.el.remove();
        this.tiles.delete(key);
      }
    }
    for (const [key, w] of wanted) {
      if (this.tiles.has(key)) continue;
      const video = h("video", { autoplay: true, playsInline: true, muted: true }) as HTMLVideoElement;
      video.muted = true;
      video.srcObject = new MediaStream([w.track]);
      void video.play().catch(() => undefined);
      const el = h(
        "figure.video-tile",
        { "data-key": key, "data-kind": w.kind, tabindex: "0", title: "Click to enlarge", onclick: () => this.toggleLarge(key) },
        video,
        h("figcaption", null, w.caption),
      );
      this.el.append(el);
      this.tiles.set(key, { el, video, track: w.track });
    }
    this.el.hidden = this.tiles.size === 0;
  }

  /** The <video> playing a track (for the 3D world). */
  videoFor(key: string): HTMLVideoElement | null {
    return this.tiles.get(key)?.video ?? null;
  }

  private toggleLarge(key: string): void {
    this.large = this.large === key ? null : key;
    for (const [k, t] of this.tiles) t.el.classList.toggle("large", k === this.large);
  }

  dispose(): void {
    for (const t of this.tiles.values()) t.video.srcObject = null;
    this.tiles.clear();
  }
}
