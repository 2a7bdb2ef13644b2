import type { ConnectionStatus } from "../net/SpaceConnection";
import { h } from "./dom";

/** The banner over the scene while the socket is (re)connecting. */
export class ConnectionBanner {
  readonly el: HTMLElement;
  private readonly text: HTMLElement;
  private since = 0;
  private timer: number | null = null;

  constructor(onRetry: () => void) {
    this.text = h("span.banner-text");
    this.el = h(
      "div.conn-banner#conn-banner",
      { role: "status", "aria-live": "polite", hidden: true },
      h("span.spinner", { "aria-hidden": "true" }),
      this.text,
      h("button.btn.btn-small.btn-ghost", { type: "button", onclick: onRetry }, "Retry now"),
    );
  }

  set(status: ConnectionStatus): void {
    this.el.dataset.status = status;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (status === "open" || status === "closed") {
      this.el.hidden = true;
      return;
    }
    this.el.hidden = false;
    if (status === "connecting") {
      this.text.textContent = "Connecting…";
      return;
    }
    this.since = performance.now();
    const show = (): void => {
      const s = Math.round((performance.now() - this.since) / 1000);
      this.text.textContent = s >= 3 ? `Reconnecting… (offline ${s} s; your changes will be sent when back)` : "Reconnecting…";
    };
    show();
    this.timer = window.setInterval(show, 1000);
  }

  dispose(): void {
    if (this.timer !== null) clearInterval(this.timer);
  }
}
