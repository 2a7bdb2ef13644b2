import * as THREE from "three";
import type { KindContext, KindInstance, SpaceKind } from "./SpaceKind";

/**
 * The generic meeting space: a round dais in the middle, benches around it, a few plants and a
 * sign with the space's title. It has no commands of its own.
 */
export class CommonsKind implements SpaceKind {
  readonly name = "commons";
  readonly title = "Commons";

  /** The welcome board's face: the space's title on a dark panel. */
  static signTexture(title: string): THREE.CanvasTexture {
    const canvas = document.createElement("canvas");
    canvas.width = 1024;
    canvas.height = 444;
    const c = canvas.getContext("2d");
    if (c) {
      c.fillStyle = "#1e293b";
      c.fillRect(0, 0, canvas.width, canvas.height);
      c.fillStyle = "#14b8a6";
      c.fillRect(64, 150, 90, 90);
      c.fillStyle = "#ffffff";
      c.fillRect(96, 164, 26, 62);
      c.fillRect(78, 182, 62, 26);
      c.fillStyle = "#f1f5f9";
      c.font = "600 72px system-ui, sans-serif";
      c.textBaseline = "middle";
      let text = title;
      while (c.measureText(text).width > 760 && text.length > 4) text = `${text.slice(0, -2)}…`;
      c.fillText(text, 190, 180);
      c.fillStyle = "#94a3b8";
      c.font = "400 40px system-ui, sans-serif";
      c.fillText("medverse · shared space", 192, 262);
    }
    const tex = new THREE.CanvasTexture(canvas);
    tex.colorSpace = THREE.SRGBColorSpace;
    return tex;
  }

  mount(ctx: KindContext): KindInstance {
    const group = new THREE.Group();
    group.name = "commons-content";
    const mats: THREE.Material[] = [];
    const mat = (color: number, roughness = 0.8): THREE.MeshStandardMaterial => {
      const m = new THREE.MeshStandardMaterial({ color, roughness });
      mats.push(m);
      return m;
    };

    const dais = new THREE.Mesh(new THREE.CylinderGeometry(2.2, 2.3, 0.06, 64), mat(0x334155, 0.7));
    dais.position.y = 0.03;
    const ring = new THREE.Mesh(new THREE.TorusGeometry(2.25, 0.025, 8, 96).rotateX(Math.PI / 2), mat(0x14b8a6, 0.4));
    ring.position.y = 0.065;
    group.add(dais, ring);

    const benchSeat = new THREE.BoxGeometry(1.6, 0.08, 0.45);
    const benchLeg = new THREE.BoxGeometry(0.08, 0.4, 0.4);
    const wood = mat(0x8b6b4a, 0.85);
    for (let i = 0; i < 6; i++) {
      const a = (i / 6) * Math.PI * 2 + Math.PI / 6;
      const bench = new THREE.Group();
      const seat = new THREE.Mesh(benchSeat, wood);
      seat.position.y = 0.44;
      const l1 = new THREE.Mesh(benchLeg, mat(0x475569));
      l1.position.set(-0.65, 0.2, 0);
      const l2 = l1.clone();
      l2.position.x = 0.65;
      bench.add(seat, l1, l2);
      bench.position.set(Math.sin(a) * 4.2, 0, Math.cos(a) * 4.2);
      bench.rotation.y = a;
      group.add(bench);
    }

    const pot = new THREE.CylinderGeometry(0.22, 0.17, 0.4, 20);
    const leaves = new THREE.IcosahedronGeometry(0.38, 1);
    for (let i = 0; i < 4; i++) {
      const a = (i / 4) * Math.PI * 2;
      const plant = new THREE.Group();
      const p = new THREE.Mesh(pot, mat(0xe2e8f0, 0.6));
      p.position.y = 0.2;
      const l = new THREE.Mesh(leaves, mat(0x3f9d62, 0.9));
      l.position.y = 0.75;
      l.scale.set(1, 1.3, 1);
      plant.add(p, l);
      plant.position.set(Math.sin(a) * 6.2, 0, Math.cos(a) * 6.2);
      group.add(plant);
    }

    const board = new THREE.Mesh(new THREE.BoxGeometry(3.2, 1.5, 0.06), mat(0x1e293b, 0.5));
    board.position.set(0, 1.6, -7.5);
    const frame = new THREE.Mesh(new THREE.BoxGeometry(3.34, 1.64, 0.04), mat(0x14b8a6, 0.5));
    frame.position.set(0, 1.6, -7.53);
    const stand = new THREE.Mesh(new THREE.BoxGeometry(0.1, 0.85, 0.1), mat(0x475569));
    stand.position.set(0, 0.425, -7.5);
    group.add(board, frame, stand);
    const sign = CommonsKind.signTexture(ctx.title);
    const signMat = new THREE.MeshBasicMaterial({ map: sign, transparent: true });
    mats.push(signMat);
    const signMesh = new THREE.Mesh(new THREE.PlaneGeometry(3.0, 1.3), signMat);
    signMesh.position.set(0, 1.6, -7.465);
    group.add(signMesh);

    ctx.scene.add(group);
    return {
      dispose: () => {
        group.traverse((o) => {
          const m = o as THREE.Mesh;
          if (m.geometry) m.geometry.dispose();
        });
        mats.forEach((m) => m.dispose());
        sign.dispose();
        group.removeFromParent();
      },
    };
  }
}
