import type { MediaController } from "../media/MediaController";
import { h, replace } from "./dom";
import { icon } from "./icons";

export interface MediaBarActions {
  raiseHand(raised: boolean): void;
  handRaised(): boolean;
  canRaiseHand(): boolean;
}

const STATUS_TEXT: Record<string, string> = {
  connecting: "connecting audio…",
  reconnecting: "reconnecting audio…",
};

/**
 * The media controls under the 3D view: "Join audio" (one click that starts playback and asks for
 * the microphone), then mute (M), push-to-talk (hold V when on), camera, screen share, raise hand,
 * and a settings popover (input, output and camera devices). A level meter shows the own voice.
 */
export class MediaBar {
  readonly el: HTMLElement;
  private readonly joinBtn: HTMLButtonElement;
  private readonly micBtn: HTMLButtonElement;
  private readonly meter = h("span.level-meter#mic-level", { "aria-hidden": "true" }, h("span.level-fill"));
  private readonly camBtn: HTMLButtonElement;
  private readonly screenBtn: HTMLButtonElement;
  private readonly handBtn: HTMLButtonElement;
  private readonly settingsBtn: HTMLButtonElement;
  private readonly status = h("span.media-status#media-status", { role: "status", "aria-live": "polite" });
  private readonly settings = h("div.media-settings#media-settings", { hidden: true, role: "dialog", "aria-label": "Audio and video settings" });
  private raf = 0;
  private lastRender = 0;

  constructor(
    private readonly media: MediaController,
    private readonly actions: MediaBarActions,
  ) {
    this.joinBtn = h("button.btn.btn-primary#join-audio", { type: "button", onclick: () => void this.media.join() }, icon("mic", 16), "Join audio") as HTMLButtonElement;
    this.micBtn = h("button.media-btn#mic-toggle", { type: "button", onclick: () => this.media.setMuted(this.media.micWanted) }, icon("mic", 18), this.meter) as HTMLButtonElement;
    this.camBtn = h("button.media-btn#camera-toggle", { type: "button", onclick: () => void this.media.toggleCamera() }, icon("camera", 18)) as HTMLButtonElement;
    this.screenBtn = h("button.media-btn#screen-toggle", { type: "button", onclick: () => void this.media.toggleScreen() }, icon("screen", 18)) as HTMLButtonElement;
    this.handBtn = h("button.media-btn#hand-toggle", { type: "button", onclick: () => this.actions.raiseHand(!this.actions.handRaised()) }, icon("hand", 18)) as HTMLButtonElement;
    this.settingsBtn = h(
      "button.media-btn#media-settings-toggle",
      { type: "button", "aria-label": "Audio and video settings", title: "Devices and push-to-talk", "aria-expanded": "false", onclick: () => void this.toggleSettings() },
      icon("settings", 18),
    ) as HTMLButtonElement;
    this.el = h("div.media-bar#media-bar", { role: "toolbar", "aria-label": "Voice and video" }, this.joinBtn, this.micBtn, this.camBtn, this.screenBtn, this.handBtn, this.settingsBtn, this.status, this.settings);
    this.media.events.on("changed", () => this.render());
    this.render();
    const tick = (now: number): void => {
      this.raf = requestAnimationFrame(tick);
      if (now - this.lastRender > 1000) this.render(); // e.g. walking into a zone
      const level = this.media.live || this.media.local.mic ? this.media.local.level() : 0;
      (this.meter.firstChild as HTMLElement).style.transform = `scaleY(${Math.min(1, level * 1.6).toFixed(3)})`;
    };
    this.raf = requestAnimationFrame(tick);
  }

  render(): void {
    this.lastRender = performance.now();
    const m = this.media;
    this.joinBtn.hidden = m.joined;
    for (const b of [this.micBtn, this.camBtn, this.screenBtn, this.settingsBtn]) b.hidden = !m.joined;
    // phones and tablets cannot share a screen from the browser
    if (!navigator.mediaDevices?.getDisplayMedia) this.screenBtn.hidden = true;
    this.handBtn.hidden = !m.joined || !this.actions.canRaiseHand();
    const refusal = m.speakRefusal();
    const unmuteRefusal = m.unmuteRefusal();
    const micState = m.local.micState;
    const noMic = micState === "denied" || micState === "none";
    const on = m.micWanted && !refusal && !noMic;
    this.micBtn.replaceChildren(icon(on ? "mic" : "micOff", 18), this.meter);
    this.micBtn.classList.toggle("off", !on);
    this.micBtn.classList.toggle("live", m.live);
    this.micBtn.setAttribute("aria-pressed", String(!on));
    this.micBtn.disabled = noMic || (!on && unmuteRefusal !== null);
    const micLabel = noMic ? `No microphone: ${m.local.micError || "listening only"}` : on ? (m.pushToTalk ? "Microphone on while you hold V (push-to-talk); click to mute" : "Mute your microphone (M)") : unmuteRefusal ? `Muted: ${unmuteRefusal}` : "Unmute your microphone (M)";
    this.micBtn.setAttribute("aria-label", micLabel);
    this.micBtn.title = micLabel;
    const cam = m.local.camera !== null;
    this.camBtn.replaceChildren(icon(cam ? "camera" : "cameraOff", 18));
    this.camBtn.setAttribute("aria-pressed", String(cam));
    this.camBtn.setAttribute("aria-label", cam ? "Turn your camera off" : "Turn your camera on");
    this.camBtn.title = this.camBtn.getAttribute("aria-label") ?? "";
    const screen = m.local.screen !== null;
    this.screenBtn.classList.toggle("active", screen);
    this.screenBtn.setAttribute("aria-pressed", String(screen));
    this.screenBtn.setAttribute("aria-label", screen ? "Stop sharing your screen" : "Share a screen, window or tab on the board");
    this.screenBtn.title = this.screenBtn.getAttribute("aria-label") ?? "";
    const raised = this.actions.handRaised();
    this.handBtn.classList.toggle("active", raised);
    this.handBtn.setAttribute("aria-pressed", String(raised));
    this.handBtn.setAttribute("aria-label", raised ? "Lower your hand" : "Raise your hand to ask for the floor");
    this.handBtn.title = this.handBtn.getAttribute("aria-label") ?? "";
    const status = m.status;
    const bits: string[] = [];
    if (STATUS_TEXT[status]) bits.push(STATUS_TEXT[status]);
    if (m.joined && noMic) bits.push("listening only");
    else if (m.joined && refusal) bits.push(refusal.startsWith("observers") ? "observers listen only" : "muted by an instructor");
    if (m.joined && !m.audio.running) bits.push("sound is paused: click Join audio again");
    const zone = m.currentZone();
    if (zone) bits.push(`in ${zone}: voices stay inside`);
    if (m.overLimit) bits.push("many people here: your voice reaches the nearest only");
    if (m.poorConnection) bits.push("poor connection");
    this.status.textContent = bits.join(" · ");
    this.status.dataset.status = status;
    if (m.joined && !m.audio.running) this.joinBtn.hidden = false;
  }

  private async toggleSettings(): Promise<void> {
    const open = this.settings.hidden;
    this.settings.hidden = !open;
    this.settingsBtn.setAttribute("aria-expanded", String(open));
    if (!open) return;
    const devices = await this.media.local.devices();
    const select = (kind: MediaDeviceKind, label: string, id: string, current: string, choose: (id: string) => void): HTMLElement => {
      const list = devices.filter((d) => d.kind === kind);
      return h(
        "label.field",
        null,
        h("span", null, label),
        h(
          `select#${id}`,
          { onchange: (e: Event) => choose((e.target as HTMLSelectElement).value), disabled: list.length === 0 },
          list.length === 0 ? h("option", null, "none found") : list.map((d, i) => h("option", { value: d.deviceId, selected: d.deviceId === current }, d.label || `${label} ${i + 1}`)),
        ),
      );
    };
    replace(
      this.settings,
      h("h3", null, "Audio and video"),
      select("audioinput", "Microphone", "input-device", this.media.local.inputId, (id) => void this.media.chooseInput(id)),
      select("audiooutput", "Speakers", "output-device", this.media.audio.outputId, (id) => void this.media.chooseOutput(id)),
      select("videoinput", "Camera", "camera-device", this.media.local.cameraId, (id) => void this.media.chooseCamera(id)),
      h(
        "label.toggle",
        null,
        h("input#push-to-talk", { type: "checkbox", checked: this.media.pushToTalk, onchange: (e: Event) => this.media.setPushToTalk((e.target as HTMLInputElement).checked) }),
        h("span", null, "Push-to-talk (hold V)"),
      ),
      h("button.btn.btn-small", { type: "button", onclick: () => void this.toggleSettings() }, "Close"),
    );
  }

  dispose(): void {
    cancelAnimationFrame(this.raf);
  }
}
