import * as THREE from "three";
import { LabelSprite } from "../../scene/LabelSprite";
import type { BodyModel } from "./BodyModel";
import type { BodyPicker, PickHit } from "./BodyPicker";

const _m = new THREE.Matrix4();
const _a = new THREE.Vector3();
const _b = new THREE.Vector3();

/**
 * VR: a controller's trigger selects the structure its ray points at; the grip grabs the body to
 * move and turn it, and gripping with both hands scales it (a local view: nobody else's body moves).
 */
export class VRBodyGrab {
  body: BodyModel | null = null;
  private readonly controllers: THREE.Group[] = [];
  private readonly gripping = new Set<THREE.Group>();
  private readonly raycaster = new THREE.Raycaster();
  private twoHand: { distance: number; scale: number } | null = null;
  private readonly listeners: [THREE.Group, string, (e: unknown) => void][] = [];
  /** The name of the structure a controller ray points at (seen only by this user). */
  private readonly nameTag = new LabelSprite([""], { lineHeight: 0.035 });
  private lastPoint = 0;

  constructor(
    renderer: THREE.WebGLRenderer,
    private readonly scene: THREE.Scene,
    private readonly picker: BodyPicker,
    private readonly onSelect: (hit: PickHit | null) => void,
    private readonly nameOf: (label: number) => string,
  ) {
    this.nameTag.visible = false;
    this.nameTag.material.depthTest = false;
    this.nameTag.renderOrder = 20;
    scene.add(this.nameTag);
    for (let i = 0; i < 2; i++) {
      const c = renderer.xr.getController(i);
      this.controllers.push(c);
      this.listen(c, "selectstart", () => this.select(c));
      this.listen(c, "squeezestart", () => this.grab(c));
      this.listen(c, "squeezeend", () => this.drop(c));
    }
  }

  private listen(c: THREE.Group, type: string, fn: (e: unknown) => void): void {
    (c as unknown as THREE.EventDispatcher<Record<string, unknown>>).addEventListener(type, fn as never);
    this.listeners.push([c, type, fn]);
  }

  private ray(c: THREE.Group): THREE.Raycaster {
    c.updateMatrixWorld();
    _m.identity().extractRotation(c.matrixWorld);
    this.raycaster.ray.origin.setFromMatrixPosition(c.matrixWorld);
    this.raycaster.ray.direction.set(0, 0, -1).applyMatrix4(_m);
    this.raycaster.far = 6;
    return this.raycaster;
  }

  private select(c: THREE.Group): void {
    if (!this.body) return;
    const hit = this.picker.pickRay(this.ray(c));
    if (hit) this.onSelect(hit);
  }

  private grab(c: THREE.Group): void {
    const body = this.body;
    if (!body) return;
    this.gripping.add(c);
    if (this.gripping.size === 1) {
      c.attach(body.root);
    } else {
      const [p, q] = [...this.gripping];
      this.twoHand = { distance: p.getWorldPosition(_a).distanceTo(q.getWorldPosition(_b)), scale: body.root.scale.x };
    }
  }

  private drop(c: THREE.Group): void {
    const body = this.body;
    this.gripping.delete(c);
    this.twoHand = null;
    if (!body) return;
    if (body.root.parent === c) {
      const other = [...this.gripping][0];
      if (other) other.attach(body.root);
      else this.scene.attach(body.root);
    }
  }

  /** Ray pointing (a few times a second) and two-handed scaling, each frame. */
  update(presenting: boolean): void {
    this.point(presenting);
    const body = this.body;
    if (!body || !this.twoHand || this.gripping.size < 2) return;
    const [p, q] = [...this.gripping];
    const d = p.getWorldPosition(_a).distanceTo(q.getWorldPosition(_b));
    const s = THREE.MathUtils.clamp((this.twoHand.scale * d) / Math.max(0.01, this.twoHand.distance), 0.2, 5);
    body.root.scale.setScalar(s);
  }

  private point(presenting: boolean): void {
    if (!presenting || !this.body) {
      this.nameTag.visible = false;
      return;
    }
    const now = performance.now();
    if (now - this.lastPoint < 120) return;
    this.lastPoint = now;
    let hit: PickHit | null = null;
    for (const c of this.controllers) {
      if (!c.visible) continue;
      hit = this.picker.pickRay(this.ray(c));
      if (hit) break;
    }
    this.nameTag.visible = hit !== null;
    if (!hit) return;
    this.nameTag.setLines([this.nameOf(hit.label)]);
    this.nameTag.position.copy(hit.point).add(new THREE.Vector3(0, 0.03, 0));
  }

  /** Session ended: the body goes back into the room where it was left. */
  end(): void {
    this.gripping.clear();
    this.twoHand = null;
    if (this.body && this.body.root.parent !== this.scene) this.scene.attach(this.body.root);
  }

  dispose(): void {
    this.end();
    this.nameTag.removeFromParent();
    this.nameTag.dispose();
    for (const [c, type, fn] of this.listeners) (c as unknown as THREE.EventDispatcher<Record<string, unknown>>).removeEventListener(type, fn as never);
  }
}
