import { h } from "../../ui/dom";
import type { Plane, Preset, SliceState } from "./AnatomyState";
import { PLANES, PRESETS } from "./AnatomyState";
import type { SliceImage } from "./SliceView";

export interface SlicePanelActions {
  setSlice(plane: Plane, enabled: boolean, position_mm: number | null): void;
  setPreset(preset: Preset): void;
}

const PRESET_NAMES: Record<Preset, string> = { soft_tissue: "Soft tissue", bone: "Bone", lung: "Lung", brain: "Brain" };
const PLANE_NAMES: Record<Plane, string> = { axial: "Axial", coronal: "Coronal", sagittal: "Sagittal" };
/** Which LPS axis each plane's position runs along (x: left, y: posterior, z: superior). */
const AXIS: Record<Plane, number> = { sagittal: 0, coronal: 1, axial: 2 };

interface Row {
  enabled: HTMLInputElement;
  slider: HTMLInputElement;
  value: HTMLElement;
  figure: HTMLElement;
  img: HTMLImageElement;
  note: HTMLElement;
}

/**
 * Slices of the study's image: for each plane a switch and a position slider (instructor), and
 * the slice itself as a 2D picture (everyone); the same picture stands in the 3D scene.
 */
export class SlicePanel {
  readonly el: HTMLElement;
  private readonly rows = new Map<Plane, Row>();
  private readonly preset: HTMLSelectElement;
  private readonly noVolume = h("p.muted.small", { hidden: true }, "This study has meshes only: there is no image to slice.");
  private bounds: number[][] | null = null;
  private timer: number | null = null;

  constructor(actions: SlicePanelActions) {
    this.preset = h(
      "select#anatomy-preset",
      { "aria-label": "Window preset of the slices" },
      ...PRESETS.map((p) => h("option", { value: p }, PRESET_NAMES[p])),
    ) as HTMLSelectElement;
    this.preset.addEventListener("change", () => actions.setPreset(this.preset.value as Preset));
    const blocks = PLANES.map((plane) => {
      const enabled = h("input", { type: "checkbox", id: `anatomy-slice-${plane}-on`, "aria-label": `Show the ${plane} slice` }) as HTMLInputElement;
      const slider = h("input.an-slider", { type: "range", id: `anatomy-slice-${plane}-pos`, min: "0", max: "1", step: "1", "aria-label": `Position of the ${plane} slice in mm` }) as HTMLInputElement;
      const value = h("span.muted.small");
      const img = h("img.an-slice-img", { id: `anatomy-slice-${plane}-img`, alt: `${PLANE_NAMES[plane]} slice` }) as HTMLImageElement;
      const note = h("span.an-error.small", { hidden: true });
      const figure = h("figure.an-slice", { hidden: true }, img);
      // Without the volume's extent yet, null asks the server for the middle slice.
      enabled.addEventListener("change", () => actions.setSlice(plane, enabled.checked, enabled.checked && this.bounds ? Number(slider.value) : null));
      slider.addEventListener("input", () => {
        value.textContent = `${slider.value} mm`;
        if (this.timer !== null) clearTimeout(this.timer);
        this.timer = window.setTimeout(() => {
          this.timer = null;
          actions.setSlice(plane, true, Number(slider.value));
        }, 150);
      });
      this.rows.set(plane, { enabled, slider, value, figure, img, note });
      return h("div.an-slice-row", null, h("label.an-row", null, enabled, h("strong", null, PLANE_NAMES[plane]), value), slider, note, figure);
    });
    this.el = h("section.an-section#anatomy-slices", null, this.noVolume, h("label.an-row", null, h("span", null, "Window"), this.preset), ...blocks);
  }

  /** The volume's extent in LPS millimetres (from study.json), for the sliders' ranges. */
  setBounds(bounds: number[][] | null): void {
    this.bounds = bounds;
    for (const [plane, r] of this.rows) {
      if (!bounds) continue;
      const a = AXIS[plane];
      r.slider.min = String(Math.ceil(bounds[0][a]));
      r.slider.max = String(Math.floor(bounds[1][a]));
    }
  }

  render(slices: Record<Plane, SliceState>, preset: Preset, hasVolume: boolean, instructor: boolean): void {
    this.noVolume.hidden = hasVolume;
    this.preset.value = preset;
    this.preset.disabled = !instructor || !hasVolume;
    for (const [plane, r] of this.rows) {
      const s = slices[plane];
      r.enabled.checked = s.enabled;
      r.enabled.disabled = !instructor || !hasVolume;
      r.slider.hidden = !instructor || !s.enabled;
      if (s.position_mm !== null && document.activeElement !== r.slider) r.slider.value = String(Math.round(s.position_mm));
      if (!s.enabled) {
        r.figure.hidden = true;
        r.value.textContent = "";
      }
    }
  }

  /** A slice image arrived (or went away, or failed). */
  image(plane: Plane, image: SliceImage | null, error?: string): void {
    const r = this.rows.get(plane);
    if (!r) return;
    r.note.hidden = !error;
    r.note.textContent = error ? `The slice could not be shown: ${error}` : "";
    if (!image) {
      if (!error) r.figure.hidden = true;
      return;
    }
    r.img.src = image.url;
    r.figure.hidden = false;
    r.value.textContent = `${image.position_mm.toFixed(0)} mm`;
    if (this.bounds === null || document.activeElement !== r.slider) r.slider.value = String(Math.round(image.position_mm));
  }
}
