import * as THREE from "three";
import { LabelSprite } from "../../scene/LabelSprite";
import { h } from "../../ui/dom";
import type { Measurement, Vec3 } from "./AnatomyState";
import type { BodyModel } from "./BodyModel";

export interface MeasureActions {
  measure(a: Vec3, b: Vec3): void;
  remove(id: string): void;
  /** Whether the user may delete this measurement (its author or an instructor). */
  canDelete(m: Measurement): boolean;
  canMeasure(): boolean;
}

interface Drawn {
  line: THREE.Line;
  label: LabelSprite;
  ends: THREE.Points;
}

const LINE = new THREE.LineBasicMaterial({ color: 0xfde047, depthTest: false, transparent: true });
const DOTS = new THREE.PointsMaterial({ color: 0xfde047, size: 7, sizeAttenuation: false, depthTest: false, transparent: true });

/**
 * Distance measurements: in measuring mode two clicks on the body send `anatomy.measure` with the
 * two points in the body's patient frame; every measurement is a line with its length in mm,
 * drawn in that frame (so it stays on the anatomy), and listed with a Delete button.
 */
export class MeasureTool {
  readonly el: HTMLElement;
  active = false;
  private first: Vec3 | null = null;
  private readonly drawn = new Map<string, Drawn>();
  private readonly list = h("ul.an-measures#anatomy-measures");
  private readonly toggle: HTMLButtonElement;
  private readonly hint = h("p.muted.small#anatomy-measure-hint");
  private readonly marker: THREE.Points;

  constructor(
    private readonly body: BodyModel,
    private readonly actions: MeasureActions,
  ) {
    this.toggle = h("button.btn.btn-small#anatomy-measure", { type: "button", onclick: () => this.setActive(!this.active) }, "Measure a distance") as HTMLButtonElement;
    this.el = h("section.an-section", null, this.toggle, this.hint, this.list);
    const g = new THREE.BufferGeometry().setAttribute("position", new THREE.Float32BufferAttribute([0, 0, 0], 3));
    this.marker = new THREE.Points(g, DOTS);
    this.marker.visible = false;
    this.marker.renderOrder = 12;
    body.patient.add(this.marker);
    this.setActive(false);
  }

  setActive(on: boolean): void {
    this.active = on && this.actions.canMeasure();
    this.first = null;
    this.marker.visible = false;
    this.toggle.textContent = this.active ? "Stop measuring" : "Measure a distance";
    this.toggle.classList.toggle("btn-primary", this.active);
    this.hint.textContent = this.active
      ? "Click a first point on the body, then a second one."
      : this.actions.canMeasure()
        ? "Measurements are shared with everyone in the space."
        : "Your role cannot add measurements here.";
    this.toggle.disabled = !this.actions.canMeasure();
  }

  /** The user's permissions may have changed (role, or the space's edit policy). */
  refreshPermission(): void {
    if (this.active !== (this.active && this.actions.canMeasure()) || this.toggle.disabled === this.actions.canMeasure()) this.setActive(this.active);
  }

  /** A click on the body at a patient-frame point while measuring. */
  click(p: THREE.Vector3): void {
    const v: Vec3 = [p.x, p.y, p.z].map((x) => Number(x.toFixed(5))) as Vec3;
    if (!this.first) {
      this.first = v;
      this.marker.position.set(v[0], v[1], v[2]);
      this.marker.visible = true;
      this.hint.textContent = "Now click the second point.";
      return;
    }
    this.actions.measure(this.first, v);
    this.first = null;
    this.marker.visible = false;
    this.hint.textContent = "Click a first point for another measurement, or stop measuring.";
  }

  render(measures: Record<string, Measurement>): void {
    for (const [id, d] of this.drawn) {
      if (measures[id]) continue;
      d.line.removeFromParent();
      d.line.geometry.dispose();
      d.ends.removeFromParent();
      d.ends.geometry.dispose();
      d.label.removeFromParent();
      d.label.dispose();
      this.drawn.delete(id);
    }
    for (const m of Object.values(measures)) {
      if (this.drawn.has(m.id)) continue;
      const pts = [new THREE.Vector3(...m.a), new THREE.Vector3(...m.b)];
      const line = new THREE.Line(new THREE.BufferGeometry().setFromPoints(pts), LINE);
      line.renderOrder = 12;
      const ends = new THREE.Points(new THREE.BufferGeometry().setFromPoints(pts), DOTS);
      ends.renderOrder = 12;
      const label = new LabelSprite([`${m.mm.toFixed(1)} mm`], { lineHeight: 0.025, background: "rgba(17, 24, 33, 0.85)", color: "#fde047" });
      label.material.depthTest = false;
      label.renderOrder = 13;
      // A little anterior of the midpoint: above the line when the body lies on its back.
      label.position.copy(pts[0]).lerp(pts[1], 0.5).add(new THREE.Vector3(0, 0, 0.012));
      this.body.patient.add(line, ends, label);
      this.drawn.set(m.id, { line, label, ends });
    }
    const items = Object.values(measures);
    this.list.replaceChildren(
      ...items.map((m) =>
        h(
          "li.an-row",
          { "data-id": m.id },
          h("span", null, `${m.mm.toFixed(1)} mm`),
          this.actions.canDelete(m) ? h("button.btn.btn-small.btn-ghost", { type: "button", "aria-label": `Delete the ${m.mm.toFixed(1)} mm measurement`, onclick: () => this.actions.remove(m.id) }, "Delete") : null,
        ),
      ),
    );
    if (!items.length) this.list.append(h("li.muted.small", null, "No measurements yet."));
  }

  dispose(): void {
    this.render({});
    this.marker.removeFromParent();
    this.marker.geometry.dispose();
  }
}
