import { h } from "../../ui/dom";
import type { Clip, Vec3 } from "./AnatomyState";

export type ClipAxis = "axial" | "coronal" | "sagittal" | "view";

/** The normal of each axis choice: the kept half is the one the normal points into. */
const AXES: Record<Exclude<ClipAxis, "view">, Vec3> = {
  axial: [0, -1, 0], // keep the feet side: look down into the body from the head
  coronal: [0, 0, -1], // keep the back: the front is cut away
  sagittal: [-1, 0, 0], // keep the right half
};

export interface ClipPanelActions {
  /** Sends anatomy.set_clip. */
  set(index: number, clip: Clip): void;
  /** The offset range (metres) for a normal across the body. */
  range(normal: Vec3): [number, number];
  /** The normal facing the user's current view, in the body's frame. */
  viewNormal(): Vec3;
}

interface Row {
  enabled: HTMLInputElement;
  axis: HTMLSelectElement;
  slider: HTMLInputElement;
  flip: HTMLButtonElement;
  status: HTMLElement;
  controls: HTMLElement;
}

function axisOf(n: Vec3): ClipAxis {
  for (const [k, v] of Object.entries(AXES)) {
    if (Math.abs(Math.abs(v[0] * n[0] + v[1] * n[1] + v[2] * n[2]) - 1) < 1e-4) return k as ClipAxis;
  }
  return "view";
}

function axisName(n: Vec3): string {
  const a = axisOf(n);
  return a === "view" ? "free" : a;
}

/**
 * The virtual scalpel: up to three clip planes. The instructor picks each plane's orientation
 * (axial, coronal, sagittal, or square to the current view), flips it, and slides it through the
 * body; everyone else sees where each plane is.
 */
export class ClipPanel {
  readonly el: HTMLElement;
  private readonly rows: Row[] = [];
  private clips: Clip[] = [];
  private instructor = false;
  private lastSent = 0;
  private timer: number | null = null;

  constructor(private readonly actions: ClipPanelActions) {
    const rows = [0, 1, 2].map((i) => {
      const enabled = h("input", { type: "checkbox", id: `anatomy-clip-${i}-on`, "aria-label": `Clip plane ${i + 1} on` }) as HTMLInputElement;
      const axis = h(
        "select",
        { id: `anatomy-clip-${i}-axis`, "aria-label": `Orientation of clip plane ${i + 1}` },
        h("option", { value: "axial" }, "Axial"),
        h("option", { value: "coronal" }, "Coronal"),
        h("option", { value: "sagittal" }, "Sagittal"),
        h("option", { value: "view" }, "Facing my view"),
      ) as HTMLSelectElement;
      const slider = h("input.an-slider", { type: "range", id: `anatomy-clip-${i}-offset`, min: "0", max: "1000", step: "1", "aria-label": `Position of clip plane ${i + 1}` }) as HTMLInputElement;
      const flip = h("button.btn.btn-small", { type: "button", title: "Keep the other side" }, "Flip") as HTMLButtonElement;
      const status = h("span.an-clip-status.muted.small", { id: `anatomy-clip-${i}-status` });
      const controls = h("div.an-clip-controls", null, h("div.an-row", null, axis, flip), slider);
      const row: Row = { enabled, axis, slider, flip, status, controls };
      enabled.addEventListener("change", () => {
        const c = this.clips[i];
        if (!c) return;
        // Switched on where it would cut nothing or everything: start in the middle of the body.
        const [lo, hi] = actions.range(c.normal);
        const inside = c.offset_m > lo && c.offset_m < hi;
        this.send(i, enabled.checked && !inside ? { enabled: true, offset_m: Number(((lo + hi) / 2).toFixed(4)) } : { enabled: enabled.checked }, true);
      });
      axis.addEventListener("change", () => {
        const normal = axis.value === "view" ? actions.viewNormal() : AXES[axis.value as Exclude<ClipAxis, "view">];
        const [lo, hi] = actions.range(normal);
        this.send(i, { normal, offset_m: (lo + hi) / 2, enabled: true }, true);
      });
      flip.addEventListener("click", () => {
        const c = this.clips[i];
        if (c) this.send(i, { normal: c.normal.map((x) => -x) as Vec3, offset_m: -c.offset_m }, true);
      });
      slider.addEventListener("input", () => this.send(i, { offset_m: this.sliderOffset(i) }, false));
      slider.addEventListener("change", () => this.send(i, { offset_m: this.sliderOffset(i) }, true));
      this.rows.push(row);
      return h("div.an-clip", null, h("label.an-row.an-clip-head", null, enabled, h("strong", null, `Plane ${i + 1}`), status), controls);
    });
    this.el = h("section.an-section#anatomy-clips", null, h("p.muted.small", null, "Clip planes cut every structure for everyone. The side the plane faces away from is removed."), ...rows);
  }

  private sliderOffset(i: number): number {
    const c = this.clips[i];
    if (!c) return 0;
    const [lo, hi] = this.actions.range(c.normal);
    return Number((lo + ((hi - lo) * Number(this.rows[i].slider.value)) / 1000).toFixed(4));
  }

  private send(i: number, change: Partial<Clip>, now: boolean): void {
    const c = this.clips[i];
    if (!c) return;
    const next: Clip = { ...c, ...change };
    this.clips[i] = next;
    const go = (): void => this.actions.set(i, next);
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const t = performance.now();
    if (now || t - this.lastSent > 120) {
      this.lastSent = t;
      go();
    } else {
      this.timer = window.setTimeout(() => {
        this.timer = null;
        this.lastSent = performance.now();
        go();
      }, 120);
    }
  }

  render(clips: Clip[], instructor: boolean): void {
    this.instructor = instructor;
    this.clips = clips.map((c) => ({ ...c, normal: [...c.normal] as Vec3 }));
    clips.forEach((c, i) => {
      const r = this.rows[i];
      r.enabled.checked = c.enabled;
      r.enabled.disabled = !instructor;
      r.controls.hidden = !instructor || !c.enabled;
      const axis = axisOf(c.normal);
      if (document.activeElement !== r.axis) r.axis.value = axis;
      if (document.activeElement !== r.slider) {
        const [lo, hi] = this.actions.range(c.normal);
        r.slider.value = String(Math.round(hi > lo ? ((c.offset_m - lo) / (hi - lo)) * 1000 : 500));
      }
      r.status.textContent = c.enabled ? `${axisName(c.normal)}, ${(c.offset_m * 1000).toFixed(0)} mm` : "off";
    });
  }

  get isInstructor(): boolean {
    return this.instructor;
  }
}
