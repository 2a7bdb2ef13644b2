import * as THREE from "three";
import { TransformControls } from "three/examples/jsm/controls/TransformControls.js";
import type { TransformControlsMode } from "three/examples/jsm/controls/TransformControls.js";
import type { Quat, Vec3 } from "../net/Protocol";
import type { DesktopControls } from "./DesktopControls";
import type { ObjectManager } from "./ObjectManager";
import type { SceneView } from "./SceneView";

export interface ObjectEditorHooks {
  canEdit(): boolean;
  /** Sends object.update; resolves on ack, rejects when refused. */
  update(id: string, changes: { position?: Vec3; rotation?: Quat; scale?: Vec3 }): Promise<unknown>;
  onSelect(id: string | null): void;
}

const DRAG_SEND_MS = 200;
const CLICK_SLOP_PX = 6;

function round(v: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/**
 * Selecting shared objects by clicking them and moving / rotating / scaling them with
 * TransformControls. A drag sends `object.update` a few times a second and once at the end; the
 * authoritative state wins (a refused change snaps the object back).
 */
export class ObjectEditor {
  readonly transform: TransformControls;
  selected: string | null = null;
  mode: TransformControlsMode = "translate";
  private readonly raycaster = new THREE.Raycaster();
  private readonly pointer = new THREE.Vector2();
  private pointerInside = false;
  private down: { x: number; y: number } | null = null;
  private gizmoUsed = false;
  private lastSent = 0;
  private dragTimer: number | null = null;
  private readonly dom: HTMLElement;
  private readonly onPointerDown = (e: PointerEvent): void => {
    this.down = { x: e.clientX, y: e.clientY };
    this.gizmoUsed = false;
  };
  private readonly onPointerUp = (e: PointerEvent): void => {
    const d = this.down;
    this.down = null;
    if (!d || this.gizmoUsed || this.transform.dragging) return;
    if (Math.hypot(e.clientX - d.x, e.clientY - d.y) > CLICK_SLOP_PX) return;
    this.setPointer(e);
    const hit = this.pick();
    this.select(hit ? this.objects.idOf(hit.object) : null);
  };
  private readonly onPointerMove = (e: PointerEvent): void => {
    this.setPointer(e);
    this.pointerInside = true;
  };
  private readonly onPointerLeave = (): void => {
    this.pointerInside = false;
  };

  constructor(
    private readonly view: SceneView,
    private readonly objects: ObjectManager,
    private readonly controls: DesktopControls,
    private readonly hooks: ObjectEditorHooks,
  ) {
    this.dom = view.renderer.domElement;
    this.transform = new TransformControls(view.camera, this.dom);
    this.transform.setSize(0.9);
    view.scene.add(this.transform.getHelper());
    this.transform.addEventListener("mouseDown", () => {
      this.gizmoUsed = true;
    });
    this.transform.addEventListener("dragging-changed", (e) => {
      const dragging = Boolean(e.value);
      this.controls.enabled = !dragging;
      if (dragging && this.selected) this.objects.hold(this.selected);
      if (!dragging) this.finishDrag();
    });
    this.transform.addEventListener("objectChange", () => {
      const v = this.selected ? this.objects.views.get(this.selected) : undefined;
      if (v) this.objects.placeLabel(v);
      const now = performance.now();
      if (now - this.lastSent >= DRAG_SEND_MS) {
        this.lastSent = now;
        this.sendCurrent(false);
      } else if (this.dragTimer === null) {
        this.dragTimer = window.setTimeout(() => {
          this.dragTimer = null;
          if (this.transform.dragging) {
            this.lastSent = performance.now();
            this.sendCurrent(false);
          }
        }, DRAG_SEND_MS);
      }
    });
    this.dom.addEventListener("pointerdown", this.onPointerDown);
    this.dom.addEventListener("pointerup", this.onPointerUp);
    this.dom.addEventListener("pointermove", this.onPointerMove);
    this.dom.addEventListener("pointerleave", this.onPointerLeave);
  }

  select(id: string | null): void {
    if (id && !this.objects.views.has(id)) id = null;
    this.selected = id;
    this.objects.select(id);
    this.refresh();
    this.hooks.onSelect(id);
  }

  /** Re-attaches the gizmo after permissions or the selected object changed. */
  refresh(): void {
    if (this.selected && !this.objects.views.has(this.selected)) {
      this.selected = null;
      this.objects.select(null);
      this.hooks.onSelect(null);
    }
    const v = this.selected ? this.objects.views.get(this.selected) : undefined;
    if (v && this.hooks.canEdit() && !this.view.renderer.xr.isPresenting) {
      if (this.transform.object !== v.root) this.transform.attach(v.root);
      this.transform.setMode(this.mode);
    } else if (this.transform.object) {
      this.transform.detach();
    }
  }

  setMode(mode: TransformControlsMode): void {
    this.mode = mode;
    this.transform.setMode(mode);
  }

  /** The point under the mouse on a shared object, if any (for the desktop pointer ray). */
  hoverPoint(): THREE.Vector3 | null {
    if (!this.pointerInside || this.transform.dragging) return null;
    const hit = this.pick();
    return hit ? hit.point : null;
  }

  /** Where a new object should go: the floor point at the centre of the view. */
  placementPoint(): THREE.Vector3 {
    this.raycaster.setFromCamera(new THREE.Vector2(0, 0), this.view.camera);
    const hit = this.raycaster.intersectObject(this.view.floor, false)[0];
    if (hit && hit.distance < 12) return hit.point.clone();
    const p = new THREE.Vector3();
    const dir = new THREE.Vector3();
    this.view.camera.getWorldPosition(p);
    this.view.camera.getWorldDirection(dir);
    dir.y = 0;
    if (dir.lengthSq() < 1e-6) dir.set(0, 0, -1);
    return p.addScaledVector(dir.normalize(), 2).setY(0);
  }

  private setPointer(e: PointerEvent): void {
    const r = this.dom.getBoundingClientRect();
    this.pointer.set(((e.clientX - r.left) / r.width) * 2 - 1, -((e.clientY - r.top) / r.height) * 2 + 1);
  }

  private pick(): THREE.Intersection | undefined {
    this.raycaster.setFromCamera(this.pointer, this.view.camera);
    const roots = [...this.objects.views.values()].map((v) => v.mesh);
    return this.raycaster.intersectObjects(roots, false)[0];
  }

  private sendCurrent(final: boolean): Promise<unknown> | null {
    const id = this.selected;
    const v = id ? this.objects.views.get(id) : undefined;
    if (!id || !v) return null;
    const r = v.root;
    const changes: { position?: Vec3; rotation?: Quat; scale?: Vec3 } = {};
    if (this.mode === "translate" || final) changes.position = [round(r.position.x), round(r.position.y), round(r.position.z)];
    if (this.mode === "rotate" || final) changes.rotation = [round(r.quaternion.x, 6), round(r.quaternion.y, 6), round(r.quaternion.z, 6), round(r.quaternion.w, 6)];
    if (this.mode === "scale" || final) changes.scale = [r.scale.x, r.scale.y, r.scale.z].map((s) => Math.min(100, Math.max(0.01, round(s)))) as Vec3;
    const p = this.hooks.update(id, changes);
    p.catch(() => undefined);
    return p;
  }

  private finishDrag(): void {
    if (this.dragTimer !== null) {
      clearTimeout(this.dragTimer);
      this.dragTimer = null;
    }
    const id = this.selected;
    const p = this.sendCurrent(true);
    const settle = (): void => {
      this.objects.hold(null);
      if (id) this.objects.revert(id); // show the authoritative state (the event has arrived, or the change was refused)
    };
    if (p) p.then(settle, settle);
    else settle();
  }

  dispose(): void {
    this.dom.removeEventListener("pointerdown", this.onPointerDown);
    this.dom.removeEventListener("pointerup", this.onPointerUp);
    this.dom.removeEventListener("pointermove", this.onPointerMove);
    this.dom.removeEventListener("pointerleave", this.onPointerLeave);
    this.transform.detach();
    this.transform.getHelper().removeFromParent();
    this.transform.dispose();
  }
}
