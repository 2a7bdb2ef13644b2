import { FINAL_JOB_STATES, JobState } from "../../net/Protocol";
import type { Job } from "../../net/Protocol";
import { h } from "../../ui/dom";
import type { Study } from "./AnatomyState";

interface Sample {
  name: string;
  title: string;
  available: boolean;
  reason: string | null;
  license?: string;
}

const STAGES: Record<string, string> = {
  queued: "Waiting to start",
  done: "Done",
};

/** Turns a problem+json body (or anything) into one plain sentence. */
async function problem(r: Response): Promise<string> {
  try {
    const p = (await r.json()) as Record<string, unknown>;
    return String(p.detail ?? p.title ?? `the server answered ${r.status}`);
  } catch {
    return `the server answered ${r.status}`;
  }
}

/**
 * The study card: the loaded study's title and credit line for everyone; for the instructor, the
 * import form (a sample from the library, or an upload), the job's progress bar with its stage and
 * a Cancel button, and the reason when an import fails.
 */
export class ImportPanel {
  readonly el: HTMLElement;
  private readonly titleEl = h("div.an-study-title#anatomy-study-title", null, "No study loaded yet");
  private readonly creditEl = h("div.an-credit#anatomy-credit");
  private readonly form: HTMLElement;
  private readonly sampleSelect = h("select#anatomy-sample", { "aria-label": "Sample study" });
  private readonly fileInput = h("input#anatomy-file", { type: "file", accept: ".zip,.dcm,.nii,.gz", "aria-label": "Study file to upload" }) as HTMLInputElement;
  /** The study's title is the importer's words, never the file's name (often the patient's name). */
  private readonly uploadTitle = h("input#anatomy-upload-title", { type: "text", maxlength: "200", placeholder: "Study title (no patient names)", "aria-label": "Title of the uploaded study" }) as HTMLInputElement;
  private readonly importBtn: HTMLButtonElement;
  private readonly uploadBtn: HTMLButtonElement;
  private readonly progress = h("div.an-progress#anatomy-progress", { hidden: true });
  private readonly bar = h("div.an-bar-fill");
  private readonly stageEl = h("span.an-stage#anatomy-stage");
  private readonly cancelBtn: HTMLButtonElement;
  private readonly errorEl = h("div.an-error#anatomy-import-error", { role: "alert", hidden: true });
  private job: Job | null = null;
  private readonly finished = new Set<string>();
  private samplesLoaded = false;

  private readonly unloadBtn: HTMLButtonElement;
  private readonly libraryRow: HTMLElement;
  private readonly librarySelect = h("select#anatomy-library", { "aria-label": "Study of this space's library" });
  private libraryKey = "";

  /**
   * @param unload asks the server to clear the body (anatomy.unload_study)
   * @param load asks the server to show a study of the space's library (anatomy.load_study)
   */
  constructor(
    private readonly spaceName: string,
    unload: () => void,
    load: (studyId: string) => void,
  ) {
    this.unloadBtn = h("button.btn.btn-small.btn-ghost#anatomy-unload", { type: "button", hidden: true, title: "Clear the body for everyone", onclick: () => window.confirm("Remove the body for everyone? Cuts, slices, measurements and the quiz are cleared too.") && unload() }, "Remove the body") as HTMLButtonElement;
    this.importBtn = h("button.btn.btn-small.btn-primary#anatomy-import", { type: "button", onclick: () => void this.importSample() }, "Import") as HTMLButtonElement;
    this.uploadBtn = h("button.btn.btn-small#anatomy-upload", { type: "button", onclick: () => void this.upload() }, "Upload") as HTMLButtonElement;
    this.cancelBtn = h("button.btn.btn-small.btn-danger#anatomy-cancel", { type: "button", onclick: () => void this.cancel() }, "Cancel") as HTMLButtonElement;
    this.progress.append(h("div.an-bar", null, this.bar), h("div.an-row", null, this.stageEl, this.cancelBtn));
    const showBtn = h("button.btn.btn-small#anatomy-library-show", { type: "button", onclick: () => this.librarySelect.value && load(this.librarySelect.value) }, "Show");
    this.libraryRow = h("div.an-library", { hidden: true }, h("label.an-label", { for: "anatomy-library" }, "Show a study imported here"), h("div.an-row", null, this.librarySelect, showBtn));
    this.form = h(
      "div.an-import",
      { hidden: true },
      this.libraryRow,
      h("label.an-label", { for: "anatomy-sample" }, "Import a sample study"),
      h("div.an-row", null, this.sampleSelect, this.importBtn),
      h("label.an-label", { for: "anatomy-file" }, "…or upload a scan (.zip of DICOM, .dcm, .nii, .nii.gz)"),
      h("div.an-row", null, this.fileInput),
      h("div.an-row", null, this.uploadTitle, this.uploadBtn),
    );
    this.el = h("section.an-section", null, this.titleEl, this.creditEl, this.form, this.progress, this.errorEl, this.unloadBtn);
  }

  setInstructor(on: boolean): void {
    this.form.hidden = !on;
    if (on && !this.samplesLoaded) {
      this.samplesLoaded = true;
      void this.loadSamples();
    }
  }

  setStudy(study: Study | null): void {
    this.titleEl.textContent = study ? study.title || study.id : "No study loaded yet";
    this.creditEl.textContent = study?.credit ? `Data: ${study.credit}` : "";
    this.creditEl.hidden = !study?.credit;
    this.unloadBtn.hidden = !study || this.form.hidden;
  }

  /** The studies imported into this space (the instructor may show any of them again). */
  setLibrary(library: Record<string, { title: string }>, current: string | null): void {
    const ids = Object.keys(library).sort((a, b) => library[a].title.localeCompare(library[b].title));
    const key = ids.map((id) => `${id}:${library[id].title}`).join("|");
    if (key !== this.libraryKey) {
      this.libraryKey = key;
      this.librarySelect.replaceChildren(...ids.map((id) => h("option", { value: id }, library[id].title || id)));
    }
    if (current && document.activeElement !== this.librarySelect) this.librarySelect.value = current;
    this.libraryRow.hidden = ids.length === 0;
  }

  /** A `job.progress` message from the space. */
  onJob(job: Job): void {
    // The REST answer that started a job can arrive after the job's last progress message.
    const final = FINAL_JOB_STATES.includes(job.state);
    if (!final && this.finished.has(job.id)) return;
    if (final) this.finished.add(job.id);
    if (this.job && job.id !== this.job.id && this.job.state === JobState.RUNNING) return;
    this.job = job;
    const running = !final;
    this.progress.hidden = false;
    this.bar.style.width = `${Math.max(0, Math.min(100, job.percent))}%`;
    const stage = STAGES[job.stage] ?? (job.stage ? job.stage.replace(/_/g, " ") : "working");
    if (running) this.stageEl.textContent = `${stage[0].toUpperCase()}${stage.slice(1)} · ${Math.round(job.percent)} %`;
    else if (job.state === JobState.SUCCEEDED) this.stageEl.textContent = "Imported: the body appears for everyone";
    else if (job.state === JobState.CANCELLED) this.stageEl.textContent = "Import cancelled";
    else this.stageEl.textContent = "Import failed";
    this.cancelBtn.hidden = !running || this.form.hidden;
    this.busy(running);
    if (job.state === JobState.FAILED) this.showError(`The import failed: ${job.error ?? "no reason given"}`);
    else this.showError(null);
    if (!running) window.setTimeout(() => {
      if (this.job === job) this.progress.hidden = true;
    }, job.state === JobState.FAILED ? 15000 : 4000);
  }

  private busy(on: boolean): void {
    this.importBtn.disabled = on;
    this.uploadBtn.disabled = on;
  }

  private showError(text: string | null): void {
    this.errorEl.hidden = text === null;
    this.errorEl.textContent = text ?? "";
  }

  private async loadSamples(): Promise<void> {
    try {
      const r = await fetch("/api/studies/samples", { credentials: "same-origin" });
      if (!r.ok) throw new Error(await problem(r));
      const { samples } = (await r.json()) as { samples: Sample[] };
      this.sampleSelect.replaceChildren(
        ...samples.map((s) => h("option", { value: s.name, disabled: !s.available, title: s.reason ?? s.license ?? "" }, s.available ? s.title : `${s.title} (unavailable)`)),
      );
      const organs = samples.find((s) => s.name === "abdomen-ct-organs" && s.available);
      if (organs) this.sampleSelect.value = organs.name;
    } catch (e) {
      this.showError(`The sample list could not be loaded: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private started(job: Job): void {
    this.job = null;
    this.onJob(job);
  }

  private async importSample(): Promise<void> {
    const sample = this.sampleSelect.value;
    if (!sample) return;
    this.showError(null);
    this.busy(true);
    try {
      const r = await fetch(`/api/spaces/${encodeURIComponent(this.spaceName)}/studies`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ sample }),
      });
      if (!r.ok) throw new Error(await problem(r));
      this.started(((await r.json()) as { job: Job }).job);
    } catch (e) {
      this.busy(false);
      this.showError(`The import could not start: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async upload(): Promise<void> {
    const file = this.fileInput.files?.[0];
    if (!file) {
      this.showError("Choose a file first: a .zip of DICOM files, a .dcm file, or a NIfTI file (.nii, .nii.gz).");
      return;
    }
    this.showError(null);
    this.busy(true);
    this.progress.hidden = false;
    this.cancelBtn.hidden = true;
    this.bar.style.width = "0%";
    this.stageEl.textContent = `Uploading ${file.name}…`;
    // The file itself is the body; the server takes the kind of file from the name's ending and
    // keeps nothing else of the name. The title is what the importer typed (or the server names it
    // after its modality).
    const query = new URLSearchParams({ filename: file.name, title: this.uploadTitle.value.trim() });
    try {
      const r = await fetch(`/api/spaces/${encodeURIComponent(this.spaceName)}/studies/upload?${query}`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/octet-stream", Accept: "application/json" },
        body: file,
      });
      if (!r.ok) throw new Error(await problem(r));
      this.started(((await r.json()) as { job: Job }).job);
      this.fileInput.value = "";
      this.uploadTitle.value = "";
    } catch (e) {
      this.busy(false);
      this.progress.hidden = true;
      this.showError(`The upload was refused: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async cancel(): Promise<void> {
    if (!this.job) return;
    this.cancelBtn.disabled = true;
    try {
      const r = await fetch(`/api/jobs/${encodeURIComponent(this.job.id)}`, { method: "DELETE", credentials: "same-origin" });
      if (!r.ok) throw new Error(await problem(r));
      this.onJob(((await r.json()) as { job: Job }).job);
    } catch (e) {
      this.showError(`Could not cancel: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.cancelBtn.disabled = false;
    }
  }
}
