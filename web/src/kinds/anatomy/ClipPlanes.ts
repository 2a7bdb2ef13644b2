import * as THREE from "three";
import type { Clip, Vec3 } from "./AnatomyState";
import { BodyModel } from "./BodyModel";

const COLOURS = [0xf472b6, 0x60a5fa, 0xfacc15];
const _n = new THREE.Vector3();
const _c = new THREE.Vector3();
const _z = new THREE.Vector3(0, 0, 1);

/**
 * The three shared clip planes (the virtual scalpel). A clip is given in the body's patient frame:
 * the plane is every point p with normal . p = offset_m, and the half the normal points into is
 * kept (the other half is cut away). Each frame the planes are carried into world space for the
 * structure materials, and an enabled plane is drawn as a translucent sheet with a coloured rim.
 */
export class ClipPlanes {
  private readonly sheets: THREE.Group[] = [];
  private readonly mats: THREE.Material[] = [];
  private readonly geoms: THREE.BufferGeometry[] = [];
  private clips: Clip[] = [];
  private readonly local = new THREE.Plane();
  private readonly normalMatrix = new THREE.Matrix3();

  constructor(private readonly body: BodyModel) {
    const size = body.size;
    const extent = Math.max(size.x, size.y, size.z) * 1.25 + 0.05;
    const quad = new THREE.PlaneGeometry(extent, extent);
    const rim = new THREE.EdgesGeometry(quad);
    this.geoms.push(quad, rim);
    COLOURS.forEach((colour, i) => {
      const fill = new THREE.MeshBasicMaterial({ color: colour, transparent: true, opacity: 0.14, side: THREE.DoubleSide, depthWrite: false });
      const line = new THREE.LineBasicMaterial({ color: colour, transparent: true, opacity: 0.8 });
      this.mats.push(fill, line);
      const g = new THREE.Group();
      g.name = `clip-plane-${i}`;
      g.add(new THREE.Mesh(quad, fill), new THREE.LineSegments(rim, line));
      g.visible = false;
      g.renderOrder = 5;
      body.patient.add(g);
      this.sheets.push(g);
    });
  }

  /** The offset range (metres) that sweeps a plane with this normal across the whole body. */
  static range(body: BodyModel, normal: Vec3): [number, number] {
    _n.fromArray(normal).normalize();
    const b = body.box;
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of [b.min.x, b.max.x]) {
      for (const y of [b.min.y, b.max.y]) {
        for (const z of [b.min.z, b.max.z]) {
          const d = _n.x * x + _n.y * y + _n.z * z;
          lo = Math.min(lo, d);
          hi = Math.max(hi, d);
        }
      }
    }
    return [lo, hi];
  }

  set(clips: Clip[]): void {
    this.clips = clips.map((c) => ({ ...c, normal: [...c.normal] as Vec3 }));
    const centre = this.body.box.getCenter(_c);
    this.clips.forEach((c, i) => {
      const g = this.sheets[i];
      if (!g) return;
      g.visible = c.enabled;
      if (!c.enabled) return;
      _n.fromArray(c.normal).normalize();
      g.quaternion.setFromUnitVectors(_z, _n);
      // The sheet's centre: the body's centre projected onto the plane.
      g.position.copy(centre).addScaledVector(_n, c.offset_m - _n.dot(centre));
    });
    this.update();
  }

  /** Carries the planes into world space (call each frame: the body may move). */
  update(): void {
    const planes = this.body.clipPlanes;
    this.body.patient.updateWorldMatrix(true, false);
    const m = this.body.patient.matrixWorld;
    this.normalMatrix.getNormalMatrix(m);
    planes.forEach((p, i) => {
      const c = this.clips[i];
      if (!c || !c.enabled) {
        BodyModel.disable(p);
        return;
      }
      this.local.normal.fromArray(c.normal).normalize();
      this.local.constant = -c.offset_m;
      p.copy(this.local).applyMatrix4(m, this.normalMatrix);
    });
  }

  /** True when a world point is cut away by an enabled plane. */
  clipped(point: THREE.Vector3): boolean {
    return this.body.clipPlanes.some((p) => !BodyModel.isDisabled(p) && p.distanceToPoint(point) < 0);
  }

  dispose(): void {
    this.sheets.forEach((g) => g.removeFromParent());
    this.mats.forEach((m) => m.dispose());
    this.geoms.forEach((g) => g.dispose());
  }
}
