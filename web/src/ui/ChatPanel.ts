import type { ChatEntry } from "../state/SpaceState";
import { clock, colourFor, h } from "./dom";

/** The space's text chat: the log (from `chat.message` events) and an input (`chat.send`). */
export class ChatPanel {
  readonly el: HTMLElement;
  readonly input: HTMLInputElement;
  private readonly log: HTMLElement;
  private readonly send: HTMLButtonElement;
  private readonly note: HTMLElement;

  constructor(private readonly onSend: (text: string) => Promise<unknown>) {
    this.log = h("ol.chat-log#chat-log", { role: "log", "aria-live": "polite", "aria-label": "Chat messages" });
    this.input = h("input#chat-input", { type: "text", maxlength: "2000", placeholder: "Message everyone…", "aria-label": "Chat message", autocomplete: "off" });
    this.send = h("button.btn.btn-primary#chat-send", { type: "submit", "aria-label": "Send message" }, "Send");
    this.note = h("p.chat-note.muted", { hidden: true });
    this.el = h(
      "section.panel.chat-panel",
      { "aria-labelledby": "chat-title" },
      h("h2.panel-title#chat-title", null, "Chat"),
      this.log,
      this.note,
      h("form.chat-form", { onsubmit: (e: Event) => this.submit(e) }, this.input, this.send),
    );
    this.empty();
  }

  private empty(): void {
    if (!this.log.children.length) this.log.appendChild(h("li.chat-empty.muted", null, "No messages yet. Say hello!"));
  }

  private submit(e: Event): void {
    e.preventDefault();
    const text = this.input.value.trim();
    if (!text) return;
    this.input.value = "";
    this.onSend(text).catch(() => {
      if (!this.input.value) this.input.value = text; // give the text back after a refusal
    });
  }

  reset(entries: ChatEntry[]): void {
    this.log.replaceChildren();
    for (const e of entries) this.add(e, false);
    this.empty();
    this.scroll();
  }

  add(e: ChatEntry, scroll = true): void {
    this.log.querySelector(".chat-empty")?.remove();
    this.log.appendChild(
      h(
        "li.chat-msg",
        { "data-seq": e.seq === null ? null : String(e.seq) },
        h("span.chat-meta", null, h("span.chat-name", { style: { color: colourFor(e.user_id) } }, e.display_name), h("time.chat-time", null, clock(e.ts))),
        h("span.chat-text", null, e.text),
      ),
    );
    while (this.log.children.length > 300) this.log.firstElementChild?.remove();
    if (scroll) this.scroll();
  }

  /** A local line (someone joined or left); not part of the space's history. */
  system(text: string): void {
    this.log.querySelector(".chat-empty")?.remove();
    this.log.appendChild(h("li.chat-system.muted", null, text));
    this.scroll();
  }

  setMuted(muted: boolean): void {
    this.input.disabled = muted;
    this.send.disabled = muted;
    this.input.placeholder = muted ? "An instructor muted your chat" : "Message everyone…";
    this.note.hidden = !muted;
    this.note.textContent = muted ? "You are muted: you can read but not write." : "";
  }

  private scroll(): void {
    this.log.scrollTop = this.log.scrollHeight;
  }
}
