import * as THREE from "three";
import type { VoiceZone } from "../net/Protocol";
import { LabelSprite } from "./LabelSprite";

/**
 * The voice zones drawn on the floor: a translucent rectangle with an outline and the zone's
 * name, so people see where voices stay inside (docs/media.md).
 */
export class ZoneOverlay {
  private readonly group = new THREE.Group();
  private readonly fill = new THREE.MeshBasicMaterial({ color: 0x2dd4bf, transparent: true, opacity: 0.1, depthWrite: false });
  private readonly edge = new THREE.LineBasicMaterial({ color: 0x2dd4bf, transparent: true, opacity: 0.8 });
  private labels: LabelSprite[] = [];

  constructor(scene: THREE.Scene) {
    this.group.name = "voice-zones";
    scene.add(this.group);
  }

  show(zones: VoiceZone[]): void {
    for (const child of [...this.group.children]) {
      child.removeFromParent();
      if ((child as THREE.Mesh).geometry) (child as THREE.Mesh).geometry.dispose();
    }
    for (const label of this.labels) label.dispose();
    this.labels = [];
    for (const z of zones) {
      const [x0, z0, x1, z1] = z.rect;
      const w = Math.abs(x1 - x0);
      const d = Math.abs(z1 - z0);
      const cx = (x0 + x1) / 2;
      const cz = (z0 + z1) / 2;
      const plane = new THREE.Mesh(new THREE.PlaneGeometry(w, d).rotateX(-Math.PI / 2), this.fill);
      plane.position.set(cx, 0.01, cz);
      plane.renderOrder = 1;
      const pts = [
        new THREE.Vector3(x0, 0.015, z0),
        new THREE.Vector3(x1, 0.015, z0),
        new THREE.Vector3(x1, 0.015, z1),
        new THREE.Vector3(x0, 0.015, z1),
        new THREE.Vector3(x0, 0.015, z0),
      ];
      const line = new THREE.Line(new THREE.BufferGeometry().setFromPoints(pts), this.edge);
      const label = new LabelSprite([z.name], { lineHeight: 0.16 });
      label.position.set(cx, 0.35, cz);
      this.labels.push(label);
      this.group.add(plane, line, label);
    }
  }

  get count(): number {
    return this.labels.length;
  }

  dispose(): void {
    this.show([]);
    this.fill.dispose();
    this.edge.dispose();
    this.group.removeFromParent();
  }
}
