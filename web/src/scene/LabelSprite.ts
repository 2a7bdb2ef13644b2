import * as THREE from "three";

export interface LabelStyle {
  background: string;
  color: string;
  accent?: string;
  /** World height of one text line in metres. */
  lineHeight: number;
}

const DEFAULT_STYLE: LabelStyle = { background: "rgba(17, 24, 33, 0.82)", color: "#f2f6fa", lineHeight: 0.09 };

/** A camera-facing text label (name tags, object labels) drawn on a canvas texture. */
export class LabelSprite extends THREE.Sprite {
  private readonly canvas = document.createElement("canvas");
  private texture: THREE.CanvasTexture | null = null;
  private lines: string[] = [];
  private readonly style: LabelStyle;

  constructor(lines: string[], style: Partial<LabelStyle> = {}) {
    super(new THREE.SpriteMaterial({ transparent: true, depthWrite: false }));
    this.style = { ...DEFAULT_STYLE, ...style };
    this.renderOrder = 10;
    this.center.set(0.5, 0);
    this.setLines(lines);
  }

  get text(): string {
    return this.lines.join("\n");
  }

  setLines(lines: string[]): void {
    const clean = lines.filter((l) => l.length > 0).map((l) => (l.length > 60 ? `${l.slice(0, 57)}…` : l));
    if (clean.join("\n") === this.lines.join("\n") && this.lines.length) return;
    this.lines = clean;
    this.visible = clean.length > 0;
    if (!clean.length) return;
    const px = 44;
    const small = 36;
    const pad = 18;
    const ctx = this.canvas.getContext("2d");
    if (!ctx) return;
    const fonts = clean.map((_, i) => (i === 0 ? `600 ${px}px system-ui, sans-serif` : `500 ${small}px system-ui, sans-serif`));
    let width = 0;
    clean.forEach((l, i) => {
      ctx.font = fonts[i];
      width = Math.max(width, ctx.measureText(l).width);
    });
    const heights = clean.map((_, i) => (i === 0 ? px * 1.25 : small * 1.25));
    const w = Math.ceil(width + pad * 2);
    const hgt = Math.ceil(heights.reduce((a, b) => a + b, 0) + pad * 1.4);
    this.canvas.width = w;
    this.canvas.height = hgt;
    ctx.clearRect(0, 0, w, hgt);
    ctx.fillStyle = this.style.background;
    const r = Math.min(22, hgt / 2);
    ctx.beginPath();
    ctx.roundRect(0, 0, w, hgt, r);
    ctx.fill();
    if (this.style.accent) {
      ctx.fillStyle = this.style.accent;
      ctx.beginPath();
      ctx.roundRect(0, hgt - 8, w, 8, [0, 0, r, r]);
      ctx.fill();
    }
    let y = pad * 0.7;
    clean.forEach((l, i) => {
      ctx.font = fonts[i];
      ctx.fillStyle = i === 0 ? this.style.color : "rgba(220, 230, 240, 0.85)";
      ctx.textBaseline = "top";
      ctx.fillText(l, pad, y + (heights[i] - (i === 0 ? px : small)) / 2);
      y += heights[i];
    });
    // A resized canvas needs a new texture (GPU storage is allocated once per texture).
    this.texture?.dispose();
    this.texture = new THREE.CanvasTexture(this.canvas);
    this.texture.colorSpace = THREE.SRGBColorSpace;
    this.texture.minFilter = THREE.LinearFilter;
    this.texture.generateMipmaps = false;
    this.material.map = this.texture;
    this.material.needsUpdate = true;
    const worldPerPx = this.style.lineHeight / (px * 1.25);
    this.scale.set(w * worldPerPx, hgt * worldPerPx, 1);
  }

  dispose(): void {
    this.texture?.dispose();
    this.material.dispose();
  }
}
