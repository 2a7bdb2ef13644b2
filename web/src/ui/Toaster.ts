import { h } from "./dom";

export type ToastKind = "info" | "error" | "success";

/** Short messages stacked at the top of the page; errors stay longer and are announced. */
export class Toaster {
  private readonly el: HTMLDivElement;

  constructor(parent: HTMLElement = document.body) {
    this.el = h("div.toasts", { role: "status", "aria-live": "assertive" });
    parent.appendChild(this.el);
  }

  show(message: string, kind: ToastKind = "info", ms = kind === "error" ? 6000 : 3000): HTMLElement {
    // The same message again within a moment (e.g. each update of a refused drag): show it once.
    const last = this.el.lastElementChild as HTMLElement | null;
    if (last && last.dataset.kind === kind && last.dataset.text === message && performance.now() - Number(last.dataset.at) < 2000) {
      return last;
    }
    const toast = h(
      "div.toast",
      { class: `toast-${kind}`, role: kind === "error" ? "alert" : "status", "data-kind": kind, "data-text": message, "data-at": String(performance.now()) },
      h("span.toast-text", null, message),
      h("button.toast-close", { "aria-label": "Dismiss", title: "Dismiss", onclick: () => toast.remove() }, "×"),
    );
    this.el.appendChild(toast);
    while (this.el.children.length > 5) this.el.firstElementChild?.remove();
    window.setTimeout(() => {
      toast.classList.add("toast-leaving");
      window.setTimeout(() => toast.remove(), 300);
    }, ms);
    return toast;
  }
}
