import type { App } from "../App";
import { ApiError } from "../net/Api";
import type { Page } from "./Page";
import { h } from "./dom";

/** The sign-in form. */
export class SignInPage implements Page {
  readonly el: HTMLElement;
  private readonly error: HTMLElement;
  private readonly username: HTMLInputElement;
  private readonly password: HTMLInputElement;
  private readonly submit: HTMLButtonElement;

  constructor(
    private readonly app: App,
    private readonly next: string,
  ) {
    this.username = h("input#username", { name: "username", autocomplete: "username", required: true, autocapitalize: "none", spellcheck: "false" });
    this.password = h("input#password", { name: "password", type: "password", autocomplete: "current-password", required: true });
    this.error = h("p.form-error", { role: "alert" });
    this.submit = h("button.btn.btn-primary.btn-wide", { type: "submit" }, "Sign in");
    const form = h(
      "form.signin-card",
      { onsubmit: (e: Event) => void this.onSubmit(e), "aria-labelledby": "signin-title" },
      h("div.signin-brand", null, h("span.brand-mark.brand-mark-lg", { "aria-hidden": "true" }, "+"), h("span", null, "medverse")),
      h("h1#signin-title", null, "Sign in"),
      h("p.muted", null, "Shared 3D spaces for healthcare teaching."),
      h("label", { for: "username" }, "Username"),
      this.username,
      h("label", { for: "password" }, "Password"),
      this.password,
      this.error,
      this.submit,
    );
    this.el = h("main.page.page-signin", null, form, h("footer.signin-footer", null, "medverse · self-hosted · ", h("a", { href: "/api/health", target: "_blank", rel: "noopener" }, "server status")));
  }

  mounted(): void {
    this.username.focus();
  }

  private async onSubmit(e: Event): Promise<void> {
    e.preventDefault();
    this.error.textContent = "";
    this.submit.disabled = true;
    this.submit.textContent = "Signing in…";
    try {
      const user = await this.app.api.login(this.username.value.trim(), this.password.value);
      this.app.setMe(user);
      this.app.go(this.next || "#/lobby");
    } catch (err) {
      this.error.textContent =
        err instanceof ApiError && err.status === 401 ? "Wrong username or password." : err instanceof Error ? err.message : String(err);
      this.password.select();
    } finally {
      this.submit.disabled = false;
      this.submit.textContent = "Sign in";
    }
  }

  dispose(): void {}
}
