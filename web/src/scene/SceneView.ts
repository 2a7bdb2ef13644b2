import * as THREE from "three";

export type FrameCallback = (dt: number, time: number, frame: XRFrame | undefined) => void;

/**
 * The renderer, camera, lights and floor of a space. The render loop runs through
 * `renderer.setAnimationLoop`, so the same loop drives desktop and WebXR sessions.
 */
export class SceneView {
  readonly renderer: THREE.WebGLRenderer;
  readonly scene = new THREE.Scene();
  readonly camera: THREE.PerspectiveCamera;
  /** The user's play area: the camera and XR controllers are its children. */
  readonly rig = new THREE.Group();
  /** Things a pointer may hit (shared objects register here). */
  readonly pickables = new THREE.Group();
  readonly floor: THREE.Mesh;
  frames = 0;
  private readonly callbacks = new Set<FrameCallback>();
  private readonly timer = new THREE.Timer();
  private readonly resizeObserver: ResizeObserver;

  /** True on a CPU rasteriser (SwiftShader, llvmpipe): render lighter there. */
  readonly software: boolean;
  private readonly minFrameMs: number;
  private lastFrame = -Infinity;

  constructor(private readonly container: HTMLElement) {
    this.software = SceneView.isSoftwareRenderer();
    this.minFrameMs = this.software ? 1000 / 30 : 0;
    this.renderer = new THREE.WebGLRenderer({ antialias: !this.software && window.devicePixelRatio < 2, powerPreference: "high-performance" });
    this.renderer.setPixelRatio(this.software ? 1 : Math.min(window.devicePixelRatio, 2));
    this.renderer.outputColorSpace = THREE.SRGBColorSpace;
    this.renderer.xr.enabled = true;
    this.renderer.xr.setReferenceSpaceType("local-floor");
    const canvas = this.renderer.domElement;
    canvas.classList.add("scene-canvas");
    canvas.setAttribute("tabindex", "0");
    canvas.setAttribute("aria-label", "3D view of the space. Drag to orbit, W A S D Q E to move, press ? for help.");
    container.appendChild(canvas);

    this.camera = new THREE.PerspectiveCamera(60, 1, 0.05, 300);
    this.camera.position.set(0, 1.7, 5);
    this.rig.add(this.camera);
    this.scene.add(this.rig);
    this.scene.add(this.pickables);

    this.scene.background = new THREE.Color(0x1b2430);
    this.scene.fog = new THREE.Fog(0x1b2430, 25, 70);

    const hemi = new THREE.HemisphereLight(0xe6f0ff, 0x39404a, 1.6);
    this.scene.add(hemi);
    const sun = new THREE.DirectionalLight(0xffffff, 1.8);
    sun.position.set(6, 10, 4);
    this.scene.add(sun);

    this.floor = new THREE.Mesh(
      new THREE.CircleGeometry(40, 64).rotateX(-Math.PI / 2),
      new THREE.MeshStandardMaterial({ color: 0x2a3441, roughness: 0.95, metalness: 0 }),
    );
    this.floor.name = "floor";
    this.scene.add(this.floor);
    const grid = new THREE.GridHelper(40, 40, 0x5b6b7d, 0x3a4756);
    grid.position.y = 0.002;
    (grid.material as THREE.Material).transparent = true;
    (grid.material as THREE.Material).opacity = 0.55;
    this.scene.add(grid);

    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(container);
    this.resize();
    this.renderer.setAnimationLoop((time, frame) => this.tick(time, frame));
  }

  /** Asks a throwaway WebGL context which renderer the browser uses. */
  static isSoftwareRenderer(): boolean {
    try {
      const canvas = document.createElement("canvas");
      const gl = canvas.getContext("webgl2") ?? canvas.getContext("webgl");
      if (!gl) return false;
      const info = gl.getExtension("WEBGL_debug_renderer_info");
      const name = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
      gl.getExtension("WEBGL_lose_context")?.loseContext();
      return /swiftshader|llvmpipe|softpipe|software/i.test(name);
    } catch {
      return false;
    }
  }

  onFrame(cb: FrameCallback): () => void {
    this.callbacks.add(cb);
    return () => this.callbacks.delete(cb);
  }

  /** The camera's pose in world space (in XR: the headset). */
  viewerPose(position: THREE.Vector3, quaternion: THREE.Quaternion): void {
    if (this.renderer.xr.isPresenting) {
      // The XR camera's world matrix is set by the WebXR manager each frame (rig included).
      this.renderer.xr.getCamera().matrixWorld.decompose(position, quaternion, _scale);
      return;
    }
    this.camera.updateMatrixWorld();
    this.camera.matrixWorld.decompose(position, quaternion, _scale);
  }

  private resize(): void {
    if (this.renderer.xr.isPresenting) return;
    const w = Math.max(1, this.container.clientWidth);
    const hgt = Math.max(1, this.container.clientHeight);
    this.renderer.setSize(w, hgt, false);
    this.camera.aspect = w / hgt;
    this.camera.updateProjectionMatrix();
  }

  private tick(time: number, frame: XRFrame | undefined): void {
    // On a CPU rasteriser, 30 frames a second leave the CPU to the rest of the page.
    if (!frame && time - this.lastFrame < this.minFrameMs - 2) return;
    this.lastFrame = time;
    this.timer.update(time);
    const dt = Math.min(0.1, this.timer.getDelta());
    const t = this.timer.getElapsed();
    for (const cb of this.callbacks) cb(dt, t, frame);
    this.renderer.render(this.scene, this.camera);
    this.frames++;
  }

  dispose(): void {
    this.renderer.setAnimationLoop(null);
    this.resizeObserver.disconnect();
    this.timer.dispose();
    this.callbacks.clear();
    this.scene.traverse((o) => {
      const m = o as THREE.Mesh;
      if (m.geometry) m.geometry.dispose();
      const mat = m.material as THREE.Material | THREE.Material[] | undefined;
      if (Array.isArray(mat)) mat.forEach((x) => x.dispose());
      else if (mat) {
        const map = (mat as THREE.SpriteMaterial).map;
        if (map) map.dispose();
        mat.dispose();
      }
    });
    this.renderer.dispose();
    this.renderer.domElement.remove();
  }
}

const _scale = new THREE.Vector3();
