import { h } from "../../ui/dom";
import { AnatomyState } from "./AnatomyState";

export interface StructureListActions {
  select(label: number): void;
  setVisible(label: number, visible: boolean): void;
  setOpacity(label: number, opacity: number): void;
  showAll(): void;
}

/**
 * The study's structures: colour swatch, name, a visibility checkbox and an opacity slider. The
 * instructor's changes are shared commands; students see the same list read-only.
 */
export class StructureList {
  readonly el: HTMLElement;
  private readonly list = h("ul.an-structures#anatomy-structures", { "aria-label": "Structures" });
  private readonly filter = h("input.an-filter#anatomy-filter", { type: "search", placeholder: "Filter structures", "aria-label": "Filter structures" }) as HTMLInputElement;
  private readonly showAllBtn: HTMLButtonElement;
  private readonly rows = new Map<number, { li: HTMLElement; box: HTMLInputElement; slider: HTMLInputElement; name: string }>();
  private studyKey = "";
  private instructor = false;

  constructor(private readonly actions: StructureListActions) {
    this.showAllBtn = h("button.btn.btn-small#anatomy-show-all", { type: "button", onclick: () => actions.showAll() }, "Show all") as HTMLButtonElement;
    this.filter.addEventListener("input", () => this.applyFilter());
    this.el = h("section.an-section", null, h("div.an-row", null, this.filter, this.showAllBtn), this.list);
  }

  render(s: AnatomyState, instructor: boolean, selected: number | null): void {
    const key = s.study ? `${s.study.id}:${s.study.structures.length}:${instructor}` : "";
    if (key !== this.studyKey) {
      this.studyKey = key;
      this.instructor = instructor;
      this.build(s);
    }
    this.showAllBtn.hidden = !instructor;
    for (const [label, r] of this.rows) {
      r.box.checked = s.isVisible(label);
      if (document.activeElement !== r.slider) r.slider.value = String(Math.round(s.opacityOf(label) * 100));
      r.li.classList.toggle("is-selected", label === selected);
      r.li.classList.toggle("is-highlight", label === s.highlight);
      r.li.classList.toggle("is-hidden", !s.isVisible(label));
    }
  }

  private build(s: AnatomyState): void {
    this.rows.clear();
    const items = (s.study?.structures ?? []).slice().sort((a, b) => a.name.localeCompare(b.name));
    this.list.replaceChildren(
      ...items.map((st) => {
        const name = AnatomyState.prettyName(st.name);
        const [r, g, b] = st.color;
        const box = h("input", { type: "checkbox", disabled: !this.instructor, "aria-label": `Show ${name}`, title: this.instructor ? "Show or hide for everyone" : "Only the instructor can change this" }) as HTMLInputElement;
        box.addEventListener("change", () => this.actions.setVisible(st.label, box.checked));
        const slider = h("input.an-opacity", { type: "range", min: "5", max: "100", step: "5", "aria-label": `Opacity of ${name}`, title: "Opacity for everyone", hidden: !this.instructor }) as HTMLInputElement;
        slider.addEventListener("change", () => this.actions.setOpacity(st.label, Number(slider.value) / 100));
        const details = [st.volume_ml !== null ? `${st.volume_ml.toFixed(1)} mL` : "", st.triangles ? `${st.triangles.toLocaleString()} triangles` : ""].filter(Boolean).join(" · ");
        const li = h(
          "li.an-structure",
          { "data-label": String(st.label) },
          box,
          h("span.an-swatch", { style: { background: `rgb(${r}, ${g}, ${b})` }, "aria-hidden": "true" }),
          h("button.an-name", { type: "button", title: details || name, onclick: () => this.actions.select(st.label) }, name),
          slider,
        );
        this.rows.set(st.label, { li, box, slider, name: name.toLowerCase() });
        return li;
      }),
    );
    if (!items.length) this.list.append(h("li.muted.small", null, "The structures of the study appear here once one is loaded."));
    this.applyFilter();
  }

  private applyFilter(): void {
    const q = this.filter.value.trim().toLowerCase();
    for (const r of this.rows.values()) r.li.hidden = q !== "" && !r.name.includes(q);
  }
}
