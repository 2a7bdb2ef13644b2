import { Api, ApiError } from "./net/Api";
import type { User } from "./net/Protocol";
import { AdminPage } from "./ui/AdminPage";
import { LobbyPage } from "./ui/LobbyPage";
import type { Page } from "./ui/Page";
import { SignInPage } from "./ui/SignInPage";
import { SpacePage } from "./ui/SpacePage";
import { Toaster } from "./ui/Toaster";
import { h } from "./ui/dom";

const SIGNED_IN_KEY = "medverse.signedIn";

/** The single-page app: hash routes (#/signin, #/lobby, #/admin, #/space/<name>) and the session. */
export class App {
  readonly api = new Api();
  readonly toaster = new Toaster();
  me: User | null = null;
  private page: Page | null = null;
  private routing = false;

  constructor(private readonly root: HTMLElement) {}

  async start(): Promise<void> {
    this.api.onUnauthorized = () => {
      if (!this.me) return;
      this.setMe(null);
      this.toaster.show("Your session ended; please sign in again.", "info");
      this.go(`#/signin?next=${encodeURIComponent(location.hash)}`);
    };
    window.addEventListener("hashchange", () => void this.route());
    await this.loadMe();
  }

  private async loadMe(): Promise<void> {
    try {
      // Without the marker nobody signed in from this browser: skip the request (a 401 is noise).
      this.me = localStorage.getItem(SIGNED_IN_KEY) ? await this.api.me() : null;
      if (!this.me) localStorage.removeItem(SIGNED_IN_KEY);
    } catch (err) {
      this.mount({
        el: h(
          "main.page.page-signin",
          null,
          h(
            "div.signin-card",
            { role: "alert" },
            h("h1", null, "The server cannot be reached"),
            h("p.muted", null, err instanceof ApiError ? err.detail : String(err)),
            h("button.btn.btn-primary", { type: "button", onclick: () => void this.loadMe() }, "Try again"),
          ),
        ),
        dispose() {},
      });
      return;
    }
    await this.route();
  }

  /** Navigates to a hash route (re-renders even when the hash is unchanged). */
  go(hash: string): void {
    if (location.hash === hash) void this.route();
    else location.hash = hash;
  }

  /** Shows a message on the page the user lands on next. */
  flash(message: string, kind: "info" | "error" | "success" = "info"): void {
    this.toaster.show(message, kind);
  }

  /** Records who is signed in (a marker in localStorage saves a 401 round trip on the next visit). */
  setMe(user: User | null): void {
    this.me = user;
    if (user) localStorage.setItem(SIGNED_IN_KEY, "1");
    else localStorage.removeItem(SIGNED_IN_KEY);
  }

  async signOut(): Promise<void> {
    try {
      await this.api.logout();
    } catch {
      /* signed out anyway */
    }
    this.setMe(null);
    this.go("#/signin");
  }

  private async route(): Promise<void> {
    if (this.routing) return;
    this.routing = true;
    try {
      const raw = location.hash.replace(/^#\/?/, "");
      const [path, query] = raw.split("?");
      const parts = path.split("/").filter(Boolean);
      const params = new URLSearchParams(query ?? "");
      if (!this.me) {
        if (parts[0] !== "signin") {
          const next = location.hash && location.hash !== "#/" ? `?next=${encodeURIComponent(location.hash)}` : "";
          history.replaceState(null, "", `#/signin${next}`);
        }
        this.mount(new SignInPage(this, params.get("next") ?? (parts[0] !== "signin" ? location.hash : "")));
        document.title = "Sign in · medverse";
        return;
      }
      switch (parts[0]) {
        case "signin": {
          const next = params.get("next");
          history.replaceState(null, "", next && next.startsWith("#/") && !next.startsWith("#/signin") ? next : "#/lobby");
          this.routing = false;
          await this.route();
          return;
        }
        case "admin":
          if (!this.me.is_admin) {
            this.flash("Only site administrators may open the admin page.", "error");
            history.replaceState(null, "", "#/lobby");
            this.mount(new LobbyPage(this));
            return;
          }
          this.mount(new AdminPage(this));
          document.title = "Admin · medverse";
          return;
        case "space":
          if (parts[1]) {
            this.mount(new SpacePage(this, decodeURIComponent(parts[1])));
            return;
          }
          break;
        default:
          break;
      }
      if (parts[0] !== "lobby") history.replaceState(null, "", "#/lobby");
      this.mount(new LobbyPage(this));
      document.title = "Spaces · medverse";
    } finally {
      this.routing = false;
    }
  }

  private mount(page: Page): void {
    this.page?.dispose();
    this.page = page;
    this.root.replaceChildren(page.el);
    page.mounted?.();
  }
}
