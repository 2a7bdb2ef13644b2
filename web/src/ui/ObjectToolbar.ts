import type { TransformControlsMode } from "three/examples/jsm/controls/TransformControls.js";
import { SHAPES } from "../net/Protocol";
import type { Shape, SharedObject } from "../net/Protocol";
import { h } from "./dom";
import { icon } from "./icons";

export interface ObjectToolbarActions {
  place(shape: Shape, label: string, color: string): void;
  setMode(mode: TransformControlsMode): void;
  setLabel(id: string, label: string): void;
  setColor(id: string, color: string): void;
  remove(id: string): void;
  deselect(): void;
}

const MODES: [TransformControlsMode, string, string][] = [
  ["translate", "Move", "1"],
  ["rotate", "Rotate", "2"],
  ["scale", "Scale", "3"],
];

/** The floating toolbar for shared objects: place shapes and pins, edit the selected object. */
export class ObjectToolbar {
  readonly el: HTMLElement;
  private readonly labelInput: HTMLInputElement;
  private readonly colorInput: HTMLInputElement;
  private readonly placeButtons: HTMLButtonElement[];
  private readonly note: HTMLElement;
  private readonly selection: HTMLElement;
  private readonly selTitle: HTMLElement;
  private readonly selLabel: HTMLInputElement;
  private readonly selColor: HTMLInputElement;
  private readonly modeButtons = new Map<TransformControlsMode, HTMLButtonElement>();
  private readonly editOnly: HTMLElement[] = [];
  private current: SharedObject | null = null;

  constructor(private readonly actions: ObjectToolbarActions) {
    this.labelInput = h("input#new-label", { type: "text", maxlength: "200", placeholder: "Label (optional)", "aria-label": "Label for the next object" });
    this.colorInput = h("input#new-color", { type: "color", value: "#4fb3bf", "aria-label": "Colour for the next object" });
    this.placeButtons = SHAPES.map((shape) =>
      h(
        "button.tool-btn",
        { type: "button", "data-shape": shape, "aria-label": `Place a ${shape}`, title: `Place a ${shape} in front of you`, onclick: () => this.actions.place(shape, this.labelInput.value.trim(), this.colorInput.value) },
        h("span.tool-icon", null, icon(shape, 20)),
        h("span.tool-name", null, shape),
      ),
    );
    this.note = h("p.tool-note", { hidden: true });

    this.selTitle = h("strong.sel-title");
    this.selLabel = h("input#sel-label", { type: "text", maxlength: "200", "aria-label": "Label of the selected object" });
    this.selColor = h("input#sel-color", { type: "color", "aria-label": "Colour of the selected object" });
    this.selColor.addEventListener("change", () => {
      if (this.current) this.actions.setColor(this.current.id, this.selColor.value);
    });
    const modeRow = h(
      "div.mode-row",
      { role: "group", "aria-label": "Transform mode" },
      MODES.map(([mode, name, key]) => {
        const b = h("button.btn.btn-small", { type: "button", "aria-pressed": String(mode === "translate"), title: `${name} (${key})`, onclick: () => this.actions.setMode(mode) }, name);
        this.modeButtons.set(mode, b);
        return b;
      }),
    );
    const labelForm = h(
      "form.sel-label-form",
      {
        onsubmit: (e: Event) => {
          e.preventDefault();
          if (this.current) this.actions.setLabel(this.current.id, this.selLabel.value.trim());
        },
      },
      this.selLabel,
      h("button.btn.btn-small", { type: "submit" }, "Set"),
    );
    const del = h("button.btn.btn-small.btn-danger#delete-object", { type: "button", title: "Delete (Del)", onclick: () => this.current && this.actions.remove(this.current.id) }, "Delete");
    this.editOnly.push(modeRow, labelForm, this.selColor, del);
    this.selection = h(
      "div.tool-selection#selection",
      { hidden: true },
      h("div.sel-head", null, this.selTitle, h("button.icon-btn", { type: "button", "aria-label": "Deselect", title: "Deselect (Esc)", onclick: () => this.actions.deselect() }, icon("remove", 16))),
      modeRow,
      labelForm,
      h("div.sel-row", null, this.selColor, del),
    );
    this.el = h(
      "section.toolbar#object-toolbar",
      { "aria-label": "Shared objects" },
      h("h2.panel-title", null, "Objects"),
      h("div.tool-grid", null, this.placeButtons),
      h("div.tool-row", null, this.labelInput, this.colorInput),
      this.note,
      this.selection,
    );
  }

  setEditable(can: boolean, why: string): void {
    for (const b of this.placeButtons) {
      b.disabled = !can;
      b.title = can ? `Place a ${b.dataset.shape} in front of you` : why;
    }
    this.labelInput.disabled = !can;
    this.colorInput.disabled = !can;
    this.note.hidden = can;
    this.note.replaceChildren(...(can ? [] : [icon("lock", 14), document.createTextNode(` ${why}`)]));
    for (const el of this.editOnly) el.hidden = !can;
  }

  setMode(mode: TransformControlsMode): void {
    for (const [m, b] of this.modeButtons) b.setAttribute("aria-pressed", String(m === mode));
  }

  showSelection(o: SharedObject | null): void {
    this.current = o;
    this.selection.hidden = !o;
    if (!o) return;
    this.selTitle.textContent = o.label ? `${o.shape}: ${o.label}` : o.shape;
    if (document.activeElement !== this.selLabel) this.selLabel.value = o.label;
    this.selColor.value = o.color;
  }
}
