import * as THREE from "three";
import type { Plane, Preset, SliceState } from "./AnatomyState";
import { PLANES } from "./AnatomyState";
import type { BodyModel } from "./BodyModel";

export interface SliceImage {
  plane: Plane;
  url: string;
  position_mm: number;
  width: number;
  height: number;
}

interface Placement {
  corners_gltf: number[][];
  position_mm: number;
  width: number;
  height: number;
}

interface Quad {
  mesh: THREE.Mesh;
  material: THREE.MeshBasicMaterial;
  texture: THREE.Texture | null;
  url: string | null;
  key: string;
  token: number;
}

/**
 * The slice planes in 3D: each enabled slice is the server's PNG (`slice.png`) on a quad whose
 * corners are the image's `corners_gltf` (from the X-Slice-Placement header), a child of the
 * body's patient frame, so the image lies exactly where it cuts the meshes.
 */
export class SliceView {
  private readonly quads = new Map<Plane, Quad>();
  private readonly images = new Map<Plane, SliceImage>();

  constructor(
    private readonly body: BodyModel,
    private readonly onImage: (plane: Plane, image: SliceImage | null, error?: string) => void,
  ) {
    for (const plane of PLANES) {
      const geometry = new THREE.BufferGeometry();
      geometry.setAttribute("position", new THREE.Float32BufferAttribute(new Float32Array(12), 3));
      // Corners come top-left, top-right, bottom-right, bottom-left; the image's top is v = 1.
      geometry.setAttribute("uv", new THREE.Float32BufferAttribute([0, 1, 1, 1, 1, 0, 0, 0], 2));
      geometry.setIndex([0, 3, 2, 0, 2, 1]);
      const material = new THREE.MeshBasicMaterial({ side: THREE.DoubleSide, transparent: true, opacity: 0.92, toneMapped: false });
      const mesh = new THREE.Mesh(geometry, material);
      mesh.name = `slice-${plane}`;
      mesh.visible = false;
      mesh.renderOrder = 4;
      body.patient.add(mesh);
      this.quads.set(plane, { mesh, material, texture: null, url: null, key: "", token: 0 });
    }
  }

  image(plane: Plane): SliceImage | undefined {
    return this.images.get(plane);
  }

  /** Shows the enabled slices; fetches an image only when its plane, position or preset changed. */
  set(slices: Record<Plane, SliceState>, preset: Preset): void {
    for (const plane of PLANES) {
      const q = this.quads.get(plane);
      if (!q) continue;
      const s = slices[plane];
      if (!s?.enabled) {
        q.mesh.visible = false;
        q.key = "";
        q.token++;
        this.images.delete(plane);
        this.onImage(plane, null);
        continue;
      }
      const key = `${s.position_mm ?? "centre"}|${preset}`;
      if (key === q.key) {
        q.mesh.visible = q.texture !== null;
        continue;
      }
      q.key = key;
      void this.fetch(plane, q, s.position_mm, preset);
    }
  }

  private async fetch(plane: Plane, q: Quad, position: number | null, preset: Preset): Promise<void> {
    const token = ++q.token;
    const params = new URLSearchParams({ plane, preset });
    if (position !== null) params.set("position_mm", String(position));
    try {
      const r = await fetch(`${this.body.url}/slice.png?${params}`, { credentials: "same-origin" });
      if (!r.ok) throw new Error(r.status === 404 ? "this study has no image to slice" : `the server answered ${r.status}`);
      const placement = JSON.parse(r.headers.get("X-Slice-Placement") ?? "null") as Placement | null;
      const blob = await r.blob();
      if (token !== q.token || !placement) return;
      const url = URL.createObjectURL(blob);
      const img = new Image();
      img.src = url;
      await img.decode();
      if (token !== q.token) {
        URL.revokeObjectURL(url);
        return;
      }
      const texture = new THREE.Texture(img);
      texture.colorSpace = THREE.SRGBColorSpace;
      texture.minFilter = THREE.LinearFilter;
      texture.generateMipmaps = false;
      texture.needsUpdate = true;
      q.texture?.dispose();
      if (q.url) URL.revokeObjectURL(q.url);
      q.texture = texture;
      q.url = url;
      q.material.map = texture;
      q.material.needsUpdate = true;
      const pos = q.mesh.geometry.getAttribute("position") as THREE.BufferAttribute;
      placement.corners_gltf.forEach((c, i) => pos.setXYZ(i, c[0], c[1], c[2]));
      pos.needsUpdate = true;
      q.mesh.geometry.computeBoundingSphere();
      q.mesh.visible = true;
      const image: SliceImage = { plane, url, position_mm: placement.position_mm, width: placement.width, height: placement.height };
      this.images.set(plane, image);
      this.onImage(plane, image);
    } catch (e) {
      if (token !== q.token) return;
      q.key = "";
      this.onImage(plane, null, e instanceof Error ? e.message : String(e));
    }
  }

  dispose(): void {
    for (const q of this.quads.values()) {
      q.token++;
      q.mesh.removeFromParent();
      q.mesh.geometry.dispose();
      q.material.dispose();
      q.texture?.dispose();
      if (q.url) URL.revokeObjectURL(q.url);
    }
  }
}
