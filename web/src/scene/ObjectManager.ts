import * as THREE from "three";
import type { Shape, SharedObject } from "../net/Protocol";
import { LabelSprite } from "./LabelSprite";

/** Half the height of each shape at scale 1 (metres): shapes sit on their centre. */
export const HALF_HEIGHT: Record<Shape, number> = { box: 0.2, sphere: 0.2, cylinder: 0.2, cone: 0.2, pin: 0.22 };

function geometryFor(shape: Shape): THREE.BufferGeometry {
  switch (shape) {
    case "box":
      return new THREE.BoxGeometry(0.4, 0.4, 0.4);
    case "sphere":
      return new THREE.SphereGeometry(0.2, 32, 20);
    case "cylinder":
      return new THREE.CylinderGeometry(0.16, 0.16, 0.4, 32);
    case "cone":
      return new THREE.ConeGeometry(0.2, 0.4, 32);
    case "pin": {
      // A map pin: a ball on a cone pointing down, its tip at the object's origin minus half height.
      const head = new THREE.SphereGeometry(0.09, 24, 16).translate(0, 0.13, 0);
      const stem = new THREE.ConeGeometry(0.055, 0.3, 20).rotateX(Math.PI).translate(0, -0.07, 0);
      return mergeTwo(head, stem);
    }
  }
}

function mergeTwo(a: THREE.BufferGeometry, b: THREE.BufferGeometry): THREE.BufferGeometry {
  const ai = a.toNonIndexed();
  const bi = b.toNonIndexed();
  const merged = new THREE.BufferGeometry();
  for (const name of ["position", "normal"]) {
    const x = ai.getAttribute(name).array as Float32Array;
    const y = bi.getAttribute(name).array as Float32Array;
    const all = new Float32Array(x.length + y.length);
    all.set(x);
    all.set(y, x.length);
    merged.setAttribute(name, new THREE.BufferAttribute(all, 3));
  }
  [a, b, ai, bi].forEach((g) => g.dispose());
  return merged;
}

export interface ObjectView {
  object: SharedObject;
  root: THREE.Group;
  mesh: THREE.Mesh;
  label: LabelSprite;
}

/**
 * The three.js side of the space's shared objects: one mesh per object (in `pickables`, so
 * pointers can hit it) and a label above it. It mirrors the authoritative state; `hold(id)` keeps
 * a local transform while the user drags that object.
 */
export class ObjectManager {
  readonly views = new Map<string, ObjectView>();
  private readonly labels = new THREE.Group();
  private held: string | null = null;
  private selectedId: string | null = null;

  constructor(
    scene: THREE.Scene,
    private readonly pickables: THREE.Group,
  ) {
    this.labels.name = "object-labels";
    scene.add(this.labels);
  }

  /** Replaces all objects (after a snapshot). */
  reset(objects: Iterable<SharedObject>): void {
    for (const id of [...this.views.keys()]) this.remove(id);
    for (const o of objects) this.upsert(o);
  }

  upsert(o: SharedObject): void {
    let v = this.views.get(o.id);
    if (v && v.object.shape !== o.shape) {
      this.remove(o.id);
      v = undefined;
    }
    if (!v) {
      const material = new THREE.MeshStandardMaterial({ color: o.color, roughness: 0.45, metalness: 0.1 });
      const mesh = new THREE.Mesh(geometryFor(o.shape), material);
      mesh.userData.objectId = o.id;
      const root = new THREE.Group();
      root.name = `object-${o.id}`;
      root.userData.objectId = o.id;
      root.add(mesh);
      this.pickables.add(root);
      const label = new LabelSprite([o.label], { lineHeight: 0.11 });
      this.labels.add(label);
      v = { object: o, root, mesh, label };
      this.views.set(o.id, v);
    }
    v.object = o;
    if (this.held !== o.id) this.applyTransform(v, o);
    (v.mesh.material as THREE.MeshStandardMaterial).color.set(o.color);
    v.label.setLines([o.label]);
    this.placeLabel(v);
    this.highlight();
  }

  remove(id: string): void {
    const v = this.views.get(id);
    if (!v) return;
    v.root.removeFromParent();
    v.mesh.geometry.dispose();
    (v.mesh.material as THREE.Material).dispose();
    v.label.dispose();
    v.label.removeFromParent();
    this.views.delete(id);
    if (this.held === id) this.held = null;
  }

  /** Puts an object back where the authoritative state says it is (after a refused change). */
  revert(id: string): void {
    const v = this.views.get(id);
    if (v) {
      this.applyTransform(v, v.object);
      this.placeLabel(v);
    }
  }

  /** While held, incoming updates change the state but not the dragged transform. */
  hold(id: string | null): void {
    this.held = id;
  }

  select(id: string | null): void {
    this.selectedId = id;
    this.highlight();
  }

  /** Keeps labels above their objects (call after moving a root). */
  placeLabel(v: ObjectView): void {
    const box = new THREE.Box3().setFromObject(v.mesh);
    v.label.position.set((box.min.x + box.max.x) / 2, box.max.y + 0.06, (box.min.z + box.max.z) / 2);
  }

  idOf(object: THREE.Object3D | null): string | null {
    for (let o: THREE.Object3D | null = object; o; o = o.parent) if (typeof o.userData.objectId === "string") return o.userData.objectId;
    return null;
  }

  private applyTransform(v: ObjectView, o: SharedObject): void {
    v.root.position.fromArray(o.position);
    v.root.quaternion.fromArray(o.rotation).normalize();
    v.root.scale.fromArray(o.scale);
    v.root.updateMatrixWorld(true);
  }

  private highlight(): void {
    for (const [id, v] of this.views) {
      const m = v.mesh.material as THREE.MeshStandardMaterial;
      m.emissive.set(id === this.selectedId ? 0x1f6f6a : 0x000000);
    }
  }

  dispose(): void {
    for (const id of [...this.views.keys()]) this.remove(id);
    this.labels.removeFromParent();
  }
}
