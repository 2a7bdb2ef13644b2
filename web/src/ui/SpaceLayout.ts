import type { Role } from "../net/Protocol";
import type { ConnectionStatus } from "../net/SpaceConnection";
import { ROLE_LABEL, h } from "./dom";
import { icon } from "./icons";

type SideTab = "people" | "chat" | "kind";
const SIDE_TABS: [SideTab, string][] = [
  ["people", "People"],
  ["chat", "Chat"],
  ["kind", "Panel"],
];

/** The parts of the page the layout places (each built by its owner). */
export interface SpaceLayoutParts {
  banner: HTMLElement;
  toolbar: HTMLElement;
  help: HTMLElement;
  people: HTMLElement;
  chat: HTMLElement;
  onHelp(): void;
}

/**
 * The space page's frame: the header bar (back to the lobby, title, own role, connection status,
 * the kind's buttons, VR, help), the 3D viewport with its overlays and the kind's panel slot, and
 * the sidebar with people and chat.
 */
export class SpaceLayout {
  readonly el: HTMLElement;
  /** Holds the 3D canvas and everything drawn over it. */
  readonly viewport: HTMLElement;
  /** The kind's panels (over the viewport). */
  readonly kindPanel = h("div.kind-panel");
  /** The kind's header buttons. */
  readonly kindButtons = h("div.kind-buttons");
  readonly vrSlot = h("div.vr-slot");
  private readonly titleEl: HTMLElement;
  private readonly roleEl = h("span.badge.role-badge#my-role", { title: "your role in this space" }, "…");
  private readonly statusDot = h("span.status-dot#conn-status", { role: "img", "aria-label": "connecting", title: "connecting" });
  private readonly notice = h("div.space-notice#space-notice", { role: "alert", hidden: true });
  /** On a phone the sidebar shows one of people, chat and the kind's panel at a time (CSS hides the tabs elsewhere). */
  private readonly sideTabs = new Map<SideTab, HTMLButtonElement>();
  private sideTabChosen = false;

  constructor(spaceName: string, parts: SpaceLayoutParts) {
    this.titleEl = h("h1.space-title", null, spaceName);
    this.viewport = h(
      "div.viewport#viewport",
      null,
      parts.banner,
      parts.toolbar,
      this.kindPanel,
      parts.help,
      this.notice,
      h(
        "div.about-corner",
        null,
        h(
          "details",
          null,
          h("summary", { "aria-label": "About medverse" }, icon("info", 14), " medverse"),
          h(
            "div.about-card",
            null,
            h("strong", null, "medverse 0.1"),
            h("p", null, "A self-hosted healthcare metaverse: shared 3D spaces for teaching and practice."),
            h("p.muted.small", null, "Rendering by three.js (MIT). Built with TypeScript and Vite. Licensed Apache-2.0."),
          ),
        ),
      ),
    );
    const tabBar = h("div.side-tabs", { role: "tablist", "aria-label": "Side panels" });
    for (const [tab, label] of SIDE_TABS) {
      const b = h("button.side-tab", { type: "button", role: "tab", id: `side-tab-${tab}`, onclick: () => this.showSideTab(tab, true) }, label) as HTMLButtonElement;
      this.sideTabs.set(tab, b);
      tabBar.append(b);
    }
    this.el = h(
      "div.page.page-space",
      null,
      h(
        "header.space-bar",
        null,
        h("a.btn.btn-ghost.back-link", { href: "#/lobby", "aria-label": "Back to the lobby", title: "Back to the lobby" }, icon("back", 16), "Lobby"),
        h("div.space-heading", null, this.titleEl, this.roleEl, this.statusDot),
        h("div.header-spacer"),
        this.kindButtons,
        this.vrSlot,
        h("button.btn.btn-ghost#help-button", { type: "button", "aria-label": "Show controls and shortcuts", title: "Controls (?)", onclick: () => parts.onHelp() }, icon("help", 20)),
      ),
      h("div.space-main", null, this.viewport, h("aside.sidebar", { "aria-label": "People and chat" }, tabBar, parts.people, parts.chat)),
    );
    this.showSideTab("chat", false);
    // The kind's panel tab is named after the panel and, until the user picks a tab, shown first.
    new MutationObserver(() => this.onKindPanelChanged()).observe(this.kindPanel, { childList: true });
  }

  /** Which side panel a phone shows (people, chat or the kind's panel); `chosen` when the user picked it. */
  showSideTab(tab: SideTab, chosen: boolean): void {
    if (chosen) this.sideTabChosen = true;
    this.el.dataset.sideTab = tab;
    for (const [t, b] of this.sideTabs) b.setAttribute("aria-selected", String(t === tab));
  }

  private onKindPanelChanged(): void {
    const named = this.kindPanel.querySelector("[aria-label]");
    const label = named?.getAttribute("aria-label");
    const button = this.sideTabs.get("kind");
    if (button) {
      button.textContent = label || "Panel";
      button.title = label || "The space's panel";
    }
    if (!this.sideTabChosen && this.kindPanel.childElementCount > 0) this.showSideTab("kind", false);
  }

  setTitle(title: string): void {
    this.titleEl.textContent = title;
  }

  setRole(role: Role): void {
    this.roleEl.textContent = ROLE_LABEL[role];
    this.roleEl.className = `badge role-badge role-${role}`;
  }

  setStatus(status: ConnectionStatus): void {
    this.statusDot.dataset.status = status;
    this.statusDot.setAttribute("aria-label", status);
    this.statusDot.title = status === "open" ? "connected" : status;
  }

  /** A message over the whole view that stays (e.g. the page is out of date), with a Reload button. */
  showNotice(title: string, message: string): void {
    this.notice.replaceChildren(
      h(
        "div.space-notice-card",
        null,
        h("h2", null, title),
        h("p#space-notice-text", null, message),
        h("button.btn.btn-primary#space-notice-reload", { type: "button", onclick: () => location.reload() }, "Reload the page"),
      ),
    );
    this.notice.hidden = false;
  }
}
