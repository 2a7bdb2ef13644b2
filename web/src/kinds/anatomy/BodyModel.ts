import * as THREE from "three";
import { GLTFLoader } from "three/examples/jsm/loaders/GLTFLoader.js";
import type { AnatomyState } from "./AnatomyState";

export type StructureMaterial = THREE.MeshStandardMaterial | THREE.MeshLambertMaterial;

export interface StructureView {
  label: number;
  name: string;
  mesh: THREE.Mesh;
  material: StructureMaterial;
}

const HIGHLIGHT = new THREE.Color(0x2dd4bf);
const SELECTED = new THREE.Color(0xfbbf24);
const ANSWER = new THREE.Color(0x4ade80);
const TABLE_TOP_Y = 0.92;

/**
 * One study's body in the scene: the GLB's structures (one mesh and one material each, so the
 * scene costs one draw call per structure), lying on a table in the middle of the room.
 *
 * Frames: `root` is the body's place in the room (moved and scaled by a VR grab); `patient` holds
 * the GLB in its own glTF patient frame (metres; +X left, +Y superior, +Z anterior), so slices,
 * clip planes and measurements given in that frame are simply its children or its matrix.
 */
export class BodyModel {
  readonly root = new THREE.Group();
  readonly patient = new THREE.Group();
  readonly structures = new Map<number, StructureView>();
  /** The patient-frame bounding box of the whole study. */
  readonly box = new THREE.Box3();
  /** World-space clip planes shared by every structure material (disabled ones clip nothing). */
  readonly clipPlanes = [new THREE.Plane(), new THREE.Plane(), new THREE.Plane()];
  private readonly body = new THREE.Group();
  private readonly table: THREE.Group;
  private readonly tableMats: THREE.Material[] = [];
  private selected: number | null = null;
  private answer: number | null = null;

  /**
   * @param light on a CPU rasteriser: Lambert shading and front faces only (the cut faces then
   *   show the inside as open shells, but a frame costs a fraction)
   */
  constructor(
    readonly studyId: string,
    /** Where the study's files are served (`/api/spaces/<space>/studies/<id>`). */
    readonly url: string,
    gltfScene: THREE.Object3D,
    light = false,
  ) {
    this.root.name = `anatomy-body-${studyId}`;
    for (const p of this.clipPlanes) BodyModel.disable(p);
    // Supine on the table: anterior (+Z) up, superior (+Y) towards -Z of the room.
    this.body.rotation.x = -Math.PI / 2;
    this.body.add(this.patient);
    this.root.add(this.body);
    gltfScene.updateMatrixWorld(true);
    this.box.setFromObject(gltfScene);
    gltfScene.traverse((o) => {
      const mesh = o as THREE.Mesh;
      if (!mesh.isMesh) return;
      // The label and name are in the node's extras (the mesh's parent when the node has children).
      const data = (mesh.userData.label !== undefined ? mesh.userData : mesh.parent?.userData ?? {}) as Record<string, unknown>;
      const label = Number(data.label);
      if (!Number.isFinite(label)) return;
      const c = Array.isArray(data.color) ? (data.color as number[]) : [200, 180, 170, 1];
      const old = mesh.material as THREE.Material;
      const colour = new THREE.Color().setRGB(c[0] / 255, c[1] / 255, c[2] / 255, THREE.SRGBColorSpace);
      const material: StructureMaterial = light
        ? new THREE.MeshLambertMaterial({ color: colour, side: THREE.FrontSide, clippingPlanes: this.clipPlanes, emissive: 0x000000 })
        : new THREE.MeshStandardMaterial({ color: colour, roughness: 0.55, metalness: 0, side: THREE.DoubleSide, clippingPlanes: this.clipPlanes, emissive: 0x000000 });
      old.dispose();
      mesh.material = material;
      mesh.geometry.computeBoundingSphere();
      mesh.geometry.computeBoundingBox();
      this.structures.set(label, { label, name: String(data.name ?? mesh.name), mesh, material });
    });
    this.patient.add(gltfScene);
    const centre = this.box.getCenter(new THREE.Vector3());
    this.patient.position.copy(centre).negate();
    const size = this.box.getSize(new THREE.Vector3());
    // Lying down, the patient's anterior-posterior depth (Z) is the height above the table.
    this.root.position.set(0, TABLE_TOP_Y + size.z / 2 + 0.01, 0);
    this.table = this.buildTable(size);
  }

  /** The REST folder of a study in a space's library (docs/protocol.md, "Anatomy lab"). */
  static studyUrl(spaceName: string, studyId: string): string {
    return `/api/spaces/${encodeURIComponent(spaceName)}/studies/${encodeURIComponent(studyId)}`;
  }

  static async load(spaceName: string, studyId: string, light = false): Promise<BodyModel> {
    const url = BodyModel.studyUrl(spaceName, studyId);
    const gltf = await new GLTFLoader().loadAsync(`${url}/scene.glb`);
    return new BodyModel(studyId, url, gltf.scene, light);
  }

  /** A plane that clips nothing (kept in the list so the shaders never need recompiling). */
  static disable(p: THREE.Plane): void {
    p.normal.set(0, 1, 0);
    p.constant = 1e6;
  }

  static isDisabled(p: THREE.Plane): boolean {
    return p.constant > 1e5;
  }

  /** The patient-frame size (metres). */
  get size(): THREE.Vector3 {
    return this.box.getSize(new THREE.Vector3());
  }

  /** The body's centre in world space. */
  worldCentre(out = new THREE.Vector3()): THREE.Vector3 {
    return this.patient.localToWorld(this.box.getCenter(out));
  }

  private buildTable(size: THREE.Vector3): THREE.Group {
    const g = new THREE.Group();
    g.name = "anatomy-table";
    const steel = new THREE.MeshStandardMaterial({ color: 0xaab4bf, roughness: 0.6, metalness: 0.3 });
    const base = new THREE.MeshStandardMaterial({ color: 0x475569, roughness: 0.7 });
    this.tableMats.push(steel, base);
    const len = Math.max(0.9, size.y + 0.35);
    const wid = Math.max(0.55, size.x + 0.2);
    const top = new THREE.Mesh(new THREE.BoxGeometry(wid, 0.05, len), steel);
    top.position.y = TABLE_TOP_Y - 0.025;
    const stand = new THREE.Mesh(new THREE.CylinderGeometry(0.09, 0.22, TABLE_TOP_Y - 0.05, 24), base);
    stand.position.y = (TABLE_TOP_Y - 0.05) / 2;
    g.add(top, stand);
    return g;
  }

  /** Adds the body and its table to the scene. */
  addTo(parent: THREE.Object3D): void {
    parent.add(this.table, this.root);
  }

  /** Applies the shared visibility, opacity, highlight and quiz answer to every material. */
  applyState(s: AnatomyState): void {
    this.answer = s.quiz?.revealed ? s.quiz.label : null;
    for (const v of this.structures.values()) {
      v.mesh.visible = s.isVisible(v.label);
      const o = s.opacityOf(v.label);
      const transparent = o < 0.999;
      if (v.material.transparent !== transparent) {
        v.material.transparent = transparent;
        v.material.depthWrite = !transparent;
        v.material.needsUpdate = true;
      }
      v.material.opacity = o;
    }
    this.glow(s.highlight);
  }

  /** The user's own selection (amber), drawn under the shared highlight. */
  setSelected(label: number | null, s: AnatomyState): void {
    this.selected = label;
    this.glow(s.highlight);
  }

  private glow(highlight: number | null): void {
    for (const v of this.structures.values()) {
      const m = v.material;
      m.emissiveIntensity = 1;
      if (v.label === this.answer) m.emissive.copy(ANSWER).multiplyScalar(0.55);
      else if (v.label === highlight) m.emissive.copy(HIGHLIGHT).multiplyScalar(0.5);
      else if (v.label === this.selected) m.emissive.copy(SELECTED).multiplyScalar(0.35);
      else m.emissive.setRGB(0, 0, 0);
    }
  }

  /** Pulses the shared highlight a little so it reads as "look here". */
  pulse(time: number, highlight: number | null): void {
    const label = this.answer ?? highlight;
    const v = label === null ? undefined : this.structures.get(label);
    if (v) v.material.emissiveIntensity = 0.75 + 0.35 * Math.sin(time * 4);
  }

  meshes(): THREE.Mesh[] {
    return [...this.structures.values()].map((v) => v.mesh);
  }

  labelOf(object: THREE.Object3D): number | null {
    for (const v of this.structures.values()) if (v.mesh === object) return v.label;
    return null;
  }

  dispose(): void {
    for (const v of this.structures.values()) {
      v.mesh.geometry.dispose();
      v.material.dispose();
    }
    this.table.traverse((o) => (o as THREE.Mesh).geometry?.dispose());
    this.tableMats.forEach((m) => m.dispose());
    this.table.removeFromParent();
    this.root.removeFromParent();
  }
}
