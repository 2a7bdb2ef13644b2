import type * as THREE from "three";
import { h } from "../ui/dom";
import { icon } from "../ui/icons";

export const VR_NEEDS_SECURE = "VR needs HTTPS or localhost";
export const VR_NO_HEADSET = "no headset found";

/**
 * The "Enter VR" button. It checks WebXR support itself and, when VR cannot start, stays disabled
 * and says why: "VR needs HTTPS or localhost" outside a secure context, "no headset found" when the
 * browser has no immersive-vr device.
 */
export class VRButton {
  readonly el: HTMLButtonElement;
  /** Why VR is unavailable; empty when it is available. */
  reason = "checking…";
  private readonly label: HTMLSpanElement;
  private readonly note: HTMLSpanElement;
  private session: XRSession | null = null;
  private disposed = false;
  private readonly onDeviceChange = (): void => void this.check();

  constructor(
    private readonly renderer: THREE.WebGLRenderer,
    private readonly onStart: (session: XRSession) => void,
    private readonly onEnd: () => void,
  ) {
    this.label = h("span.vr-label", null, "Enter VR");
    this.note = h("span.vr-reason");
    this.el = h("button.btn.btn-vr#enter-vr", { type: "button", disabled: true, onclick: () => void this.toggle() }, icon("vr", 20), this.label, this.note);
    this.setUnavailable("checking…");
    navigator.xr?.addEventListener("devicechange", this.onDeviceChange);
    void this.check();
  }

  async check(): Promise<void> {
    let supported = false;
    if (window.isSecureContext && navigator.xr) {
      try {
        supported = await navigator.xr.isSessionSupported("immersive-vr");
      } catch {
        supported = false;
      }
    }
    if (this.disposed || this.session) return;
    if (supported) {
      this.reason = "";
      this.el.disabled = false;
      this.label.textContent = "Enter VR";
      this.note.textContent = "";
      this.el.title = "Start an immersive VR session with your headset";
      this.el.setAttribute("aria-label", "Enter VR");
    } else {
      this.setUnavailable(window.isSecureContext ? VR_NO_HEADSET : VR_NEEDS_SECURE);
    }
  }

  private setUnavailable(reason: string): void {
    this.reason = reason;
    this.el.disabled = true;
    this.label.textContent = "Enter VR";
    this.note.textContent = reason;
    this.el.title = reason === VR_NEEDS_SECURE ? "WebXR only works on https:// pages or on localhost" : reason === VR_NO_HEADSET ? "No VR headset is available to this browser" : reason;
    this.el.setAttribute("aria-label", `Enter VR (unavailable: ${reason})`);
  }

  private async toggle(): Promise<void> {
    if (this.session) {
      await this.session.end();
      return;
    }
    if (!navigator.xr) return;
    try {
      const session = await navigator.xr.requestSession("immersive-vr", { optionalFeatures: ["local-floor", "bounded-floor", "hand-tracking"] });
      this.session = session;
      session.addEventListener("end", () => {
        this.session = null;
        this.label.textContent = "Enter VR";
        this.onEnd();
      });
      await this.renderer.xr.setSession(session);
      this.label.textContent = "Exit VR";
      this.onStart(session);
    } catch (err) {
      this.note.textContent = err instanceof Error ? err.message : String(err);
    }
  }

  get presenting(): boolean {
    return this.session !== null;
  }

  dispose(): void {
    this.disposed = true;
    navigator.xr?.removeEventListener("devicechange", this.onDeviceChange);
    if (this.session) void this.session.end().catch(() => undefined);
  }
}
