import * as THREE from "three";
import type { BodyModel } from "./BodyModel";
import type { ClipPlanes } from "./ClipPlanes";

export interface PickHit {
  label: number;
  /** World point. */
  point: THREE.Vector3;
}

const CLICK_SLOP_PX = 6;
const HOVER_EVERY_MS = 80;

/**
 * Pointing at the body with the mouse: hovering shows the structure's name next to the pointer
 * (for this user only), a click (not a drag) reports the structure and the point. Parts cut away
 * by a clip plane, hidden structures and nearly transparent ones are looked through.
 */
export class BodyPicker {
  body: BodyModel | null = null;
  clips: ClipPlanes | null = null;
  hover: PickHit | null = null;
  private readonly raycaster = new THREE.Raycaster();
  private readonly ndc = new THREE.Vector2();
  private down: { x: number; y: number } | null = null;
  private lastHover = 0;
  private pending: PointerEvent | null = null;
  private hoverTimer: number | null = null;
  private readonly onDown = (e: PointerEvent): void => {
    this.down = e.button === 0 ? { x: e.clientX, y: e.clientY } : null;
  };
  private readonly onUp = (e: PointerEvent): void => {
    const d = this.down;
    this.down = null;
    if (!d || Math.hypot(e.clientX - d.x, e.clientY - d.y) > CLICK_SLOP_PX) return;
    this.onClick(this.pickAt(e.clientX, e.clientY));
  };
  private readonly onMove = (e: PointerEvent): void => {
    if (this.down) return;
    this.pending = e;
    const wait = this.lastHover + HOVER_EVERY_MS - performance.now();
    if (wait <= 0) this.doHover();
    else if (this.hoverTimer === null) this.hoverTimer = window.setTimeout(() => this.doHover(), wait);
  };
  private readonly onLeave = (): void => {
    this.pending = null;
    this.setHover(null, 0, 0);
  };

  constructor(
    private readonly dom: HTMLElement,
    private readonly camera: THREE.Camera,
    private readonly tooltip: HTMLElement,
    private readonly nameOf: (label: number) => string,
    private readonly onClick: (hit: PickHit | null) => void,
  ) {
    dom.addEventListener("pointerdown", this.onDown);
    dom.addEventListener("pointerup", this.onUp);
    dom.addEventListener("pointermove", this.onMove);
    dom.addEventListener("pointerleave", this.onLeave);
  }

  private doHover(): void {
    if (this.hoverTimer !== null) clearTimeout(this.hoverTimer);
    this.hoverTimer = null;
    this.lastHover = performance.now();
    const e = this.pending;
    if (!e) return;
    const hit = this.pickAt(e.clientX, e.clientY);
    const r = this.dom.getBoundingClientRect();
    this.setHover(hit, e.clientX - r.left, e.clientY - r.top);
  }

  private setHover(hit: PickHit | null, x: number, y: number): void {
    this.hover = hit;
    this.tooltip.hidden = !hit;
    this.dom.style.cursor = hit ? "pointer" : "";
    if (!hit) return;
    this.tooltip.textContent = this.nameOf(hit.label);
    this.tooltip.style.left = `${x + 14}px`;
    this.tooltip.style.top = `${y + 12}px`;
  }

  /** The structure under a client-pixel position. */
  pickAt(clientX: number, clientY: number): PickHit | null {
    const r = this.dom.getBoundingClientRect();
    this.ndc.set(((clientX - r.left) / r.width) * 2 - 1, -((clientY - r.top) / r.height) * 2 + 1);
    this.raycaster.setFromCamera(this.ndc, this.camera);
    return this.pickRay(this.raycaster);
  }

  /** The nearest visible, uncut structure along a ray. */
  pickRay(raycaster: THREE.Raycaster): PickHit | null {
    const body = this.body;
    if (!body) return null;
    const meshes = body.meshes().filter((m) => m.visible && (m.material as THREE.Material).opacity > 0.3);
    for (const hit of raycaster.intersectObjects(meshes, false)) {
      if (this.clips?.clipped(hit.point)) continue;
      const label = body.labelOf(hit.object);
      if (label !== null) return { label, point: hit.point.clone() };
    }
    return null;
  }

  dispose(): void {
    if (this.hoverTimer !== null) clearTimeout(this.hoverTimer);
    this.dom.removeEventListener("pointerdown", this.onDown);
    this.dom.removeEventListener("pointerup", this.onUp);
    this.dom.removeEventListener("pointermove", this.onMove);
    this.dom.removeEventListener("pointerleave", this.onLeave);
    this.dom.style.cursor = "";
  }
}
