import * as THREE from "three";
import { LabelSprite } from "../../scene/LabelSprite";
import type { SimAction, SimPatient } from "./SimState";

const SKIN = new THREE.Color(0xd8a48a);
const CYANOSED = new THREE.Color(0x8c9ac8);
const PALE = new THREE.Color(0xe6d6cf);
const TRIAGE_COLOURS: Record<string, number> = { red: 0xdc2626, yellow: 0xfacc15, green: 0x22c55e, black: 0x111111 };
const SPACING = 2.6;

/** One patient on a bed: breathing at the engine's rate, skin colour with SpO2 and perfusion,
 * and what the team put on them (an IV line, an oxygen mask, a tracheal tube). */
class Bed {
  readonly group = new THREE.Group();
  private readonly chest: THREE.Mesh;
  private readonly skin: THREE.MeshStandardMaterial;
  private readonly iv: THREE.Group;
  private readonly mask: THREE.Mesh;
  private readonly tube: THREE.Mesh;
  private readonly tag: THREE.Mesh;
  private readonly label: LabelSprite;
  private phase = 0;

  constructor(readonly id: string, label: string) {
    const frame = new THREE.MeshStandardMaterial({ color: 0x9aa5b1, metalness: 0.4, roughness: 0.4 });
    const sheet = new THREE.MeshStandardMaterial({ color: 0xe8eef5, roughness: 0.9 });
    this.skin = new THREE.MeshStandardMaterial({ color: SKIN.clone(), roughness: 0.7 });
    const mattress = new THREE.Mesh(new THREE.BoxGeometry(0.95, 0.16, 2.05), sheet);
    mattress.position.y = 0.72;
    const base = new THREE.Mesh(new THREE.BoxGeometry(1.0, 0.08, 2.1), frame);
    base.position.y = 0.6;
    for (const [x, z] of [[-0.45, -1], [0.45, -1], [-0.45, 1], [0.45, 1]]) {
      const leg = new THREE.Mesh(new THREE.CylinderGeometry(0.025, 0.025, 0.6), frame);
      leg.position.set(x, 0.3, z);
      this.group.add(leg);
    }
    const head = new THREE.Mesh(new THREE.SphereGeometry(0.12, 20, 14), this.skin);
    head.position.set(0, 0.92, -0.78);
    this.chest = new THREE.Mesh(new THREE.CapsuleGeometry(0.19, 0.5, 6, 16).rotateX(Math.PI / 2), this.skin);
    this.chest.position.set(0, 0.92, -0.28);
    const gown = new THREE.MeshStandardMaterial({ color: 0x7fa7c9, roughness: 0.9 });
    const legs = new THREE.Mesh(new THREE.CapsuleGeometry(0.14, 0.75, 6, 12).rotateX(Math.PI / 2), gown);
    legs.position.set(0, 0.88, 0.45);
    const armL = new THREE.Mesh(new THREE.CapsuleGeometry(0.05, 0.5, 4, 8).rotateX(Math.PI / 2), this.skin);
    armL.position.set(-0.27, 0.86, -0.2);
    const armR = armL.clone();
    armR.position.x = 0.27;
    // an IV pole and line to the right arm
    this.iv = new THREE.Group();
    const pole = new THREE.Mesh(new THREE.CylinderGeometry(0.015, 0.015, 1.9), frame);
    pole.position.set(0.7, 0.95, -0.5);
    const bag = new THREE.Mesh(new THREE.BoxGeometry(0.12, 0.2, 0.04), new THREE.MeshStandardMaterial({ color: 0xdbeafe, transparent: true, opacity: 0.8 }));
    bag.position.set(0.7, 1.75, -0.5);
    const line = new THREE.Line(
      new THREE.BufferGeometry().setFromPoints([new THREE.Vector3(0.7, 1.65, -0.5), new THREE.Vector3(0.5, 1.2, -0.35), new THREE.Vector3(0.3, 0.88, -0.05)]),
      new THREE.LineBasicMaterial({ color: 0xe2e8f0 }),
    );
    this.iv.add(pole, bag, line);
    this.iv.visible = false;
    this.mask = new THREE.Mesh(new THREE.SphereGeometry(0.07, 12, 8, 0, Math.PI * 2, 0, Math.PI / 2).rotateX(-Math.PI / 2), new THREE.MeshStandardMaterial({ color: 0x86efac, transparent: true, opacity: 0.7 }));
    this.mask.position.set(0, 0.98, -0.82);
    this.mask.visible = false;
    this.tube = new THREE.Mesh(new THREE.CylinderGeometry(0.012, 0.012, 0.3), new THREE.MeshStandardMaterial({ color: 0xf1f5f9 }));
    this.tube.position.set(0, 1.05, -0.86);
    this.tube.visible = false;
    this.tag = new THREE.Mesh(new THREE.BoxGeometry(0.12, 0.08, 0.01), new THREE.MeshStandardMaterial({ color: 0xffffff }));
    this.tag.position.set(-0.3, 0.9, 0.1);
    this.tag.visible = false;
    this.label = new LabelSprite([label], { lineHeight: 0.14 });
    this.label.position.set(0, 1.45, -0.6);
    this.group.add(base, mattress, head, this.chest, legs, armL, armR, this.iv, this.mask, this.tube, this.tag, this.label);
    this.group.name = `bed-${id}`;
  }

  /** The engine's state shown on the body. */
  update(dt: number, rr: number, spo2: number, map: number): void {
    const rate = Number.isFinite(rr) ? Math.max(0, rr) : 12;
    this.phase += (dt * rate * 2 * Math.PI) / 60;
    const rise = rate > 0.5 ? 0.06 * Math.max(0, Math.sin(this.phase)) : 0;
    this.chest.scale.set(1 + rise * 0.5, 1 + rise, 1);
    const blue = Number.isFinite(spo2) && spo2 > 0 ? Math.min(1, Math.max(0, (0.94 - spo2) / 0.2)) : 0;
    const pale = Number.isFinite(map) && map > 0 ? Math.min(1, Math.max(0, (70 - map) / 30)) : 0;
    this.skin.color.copy(SKIN).lerp(PALE, pale * 0.7).lerp(CYANOSED, blue);
  }

  devices(actions: SimAction[], triage: string | null): void {
    const mine = actions.filter((a) => a.patient === this.id && !a.hidden);
    const last = (names: string[]): SimAction | undefined => [...mine].reverse().find((a) => names.includes(a.name));
    this.iv.visible = mine.some((a) => a.name === "fluid_infusion" || a.name === "drug_infusion" || (a.name === "drug_bolus" && a.fields.route !== "IM"));
    const o2 = last(["oxygen"]);
    this.mask.visible = o2 !== undefined && o2.fields.device !== "none";
    const airway = last(["intubate", "extubate"]);
    this.tube.visible = airway?.name === "intubate";
    this.tag.visible = triage !== null;
    if (triage) (this.tag.material as THREE.MeshStandardMaterial).color.setHex(TRIAGE_COLOURS[triage] ?? 0xffffff);
  }

  dispose(): void {
    this.group.traverse((o) => {
      const m = o as THREE.Mesh;
      m.geometry?.dispose();
    });
    this.label.dispose();
    this.group.removeFromParent();
  }
}

/**
 * The bay in 3D: a bed per patient in a row (a mass-casualty exercise lines them up), and a
 * bedside monitor beside the first showing the live monitor canvas.
 */
export class BedScene {
  readonly group = new THREE.Group();
  private beds: Bed[] = [];
  private readonly monitorTexture: THREE.CanvasTexture;
  private readonly monitor: THREE.Mesh;

  constructor(scene: THREE.Scene, canvas: HTMLCanvasElement) {
    this.group.name = "simbay";
    this.monitorTexture = new THREE.CanvasTexture(canvas);
    this.monitorTexture.colorSpace = THREE.SRGBColorSpace;
    const screen = new THREE.Mesh(new THREE.PlaneGeometry(0.9, 0.5), new THREE.MeshBasicMaterial({ map: this.monitorTexture, toneMapped: false }));
    const housing = new THREE.Mesh(new THREE.BoxGeometry(0.98, 0.58, 0.06), new THREE.MeshStandardMaterial({ color: 0x1f2937 }));
    housing.position.z = -0.035;
    const stand = new THREE.Mesh(new THREE.CylinderGeometry(0.02, 0.02, 1.3), new THREE.MeshStandardMaterial({ color: 0x6b7280 }));
    stand.position.y = -0.9;
    this.monitor = new THREE.Mesh();
    this.monitor.add(housing, screen, stand);
    this.monitor.position.set(-0.95, 1.6, -0.9);
    this.monitor.rotation.y = 0.5;
    this.group.add(this.monitor);
    scene.add(this.group);
  }

  setPatients(patients: SimPatient[]): void {
    const same = patients.length === this.beds.length && patients.every((p, i) => this.beds[i].id === p.id);
    if (same) return;
    for (const b of this.beds) b.dispose();
    this.beds = patients.map((p, i) => {
      const bed = new Bed(p.id, patients.length > 1 ? p.label : "");
      const row = i - (patients.length - 1) / 2;
      bed.group.position.set(row * SPACING, 0, 0);
      this.group.add(bed.group);
      return bed;
    });
  }

  update(dt: number, vitals: (id: string) => { rr: number; spo2: number; map: number } | null, monitorDirty: boolean): void {
    for (const bed of this.beds) {
      const v = vitals(bed.id);
      bed.update(dt, v?.rr ?? 12, v?.spo2 ?? 0.97, v?.map ?? 85);
    }
    if (monitorDirty) this.monitorTexture.needsUpdate = true;
  }

  devices(actions: SimAction[], patients: SimPatient[]): void {
    for (const bed of this.beds) bed.devices(actions, patients.find((p) => p.id === bed.id)?.triage ?? null);
  }

  dispose(): void {
    for (const b of this.beds) b.dispose();
    this.monitorTexture.dispose();
    this.group.removeFromParent();
  }
}
