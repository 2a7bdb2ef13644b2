import { h } from "./dom";
import { icon } from "./icons";

const SHORTCUTS: [string, string][] = [
  ["Drag / one finger", "Orbit the view"],
  ["Right-drag / two fingers", "Pan (two fingers also pinch to zoom)"],
  ["Wheel", "Zoom"],
  ["W A S D", "Walk forward, left, back, right"],
  ["Q / E", "Down / up"],
  ["Shift", "Move faster"],
  ["Click", "Select an object"],
  ["1 / 2 / 3", "Move / rotate / scale the selection"],
  ["Delete", "Delete the selection"],
  ["F", "Focus on the selection"],
  ["Esc", "Deselect, close this help"],
  ["Enter", "Write in the chat"],
  ["?", "Show or hide this help"],
];

/** The keyboard and pointer shortcuts, shown with "?" or the help button. */
export class HelpOverlay {
  readonly el: HTMLElement;

  constructor() {
    this.el = h(
      "div.overlay#help",
      { role: "dialog", "aria-modal": "false", "aria-labelledby": "help-title", hidden: true, onclick: (e: Event) => e.target === this.el && this.hide() },
      h(
        "div.overlay-card",
        null,
        h("div.card-head", null, h("h2#help-title", null, "Controls"), h("button.icon-btn", { type: "button", "aria-label": "Close help", onclick: () => this.hide() }, icon("remove", 16))),
        h("dl.shortcuts", null, SHORTCUTS.map(([k, d]) => [h("dt", null, h("kbd", null, k)), h("dd", null, d)])),
        h("p.muted.small", null, "In VR: point with a controller; hold the trigger on an object to grab and move it (if you may edit)."),
      ),
    );
  }

  get open(): boolean {
    return !this.el.hidden;
  }

  toggle(): void {
    this.el.hidden = !this.el.hidden;
  }

  hide(): void {
    this.el.hidden = true;
  }
}
