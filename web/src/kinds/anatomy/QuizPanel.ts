import { h } from "../../ui/dom";
import { AnatomyState } from "./AnatomyState";

export interface QuizPanelActions {
  start(label: number): void;
  answer(label: number): void;
  reveal(): void;
  end(): void;
}

/**
 * "Find the <structure>": the instructor asks, each student answers by selecting a structure and
 * pressing Answer, the server grades, the instructor sees every answer as it comes and reveals
 * the right one (then it glows green for everyone).
 */
export class QuizPanel {
  readonly el: HTMLElement;
  private readonly ask: HTMLElement;
  private readonly askSelect = h("select#quiz-structure", { "aria-label": "Structure to ask for" }) as HTMLSelectElement;
  private readonly prompt = h("div.an-quiz-prompt#quiz-prompt", { hidden: true });
  private readonly mine = h("div.an-quiz-mine#quiz-mine", { hidden: true });
  private readonly answerBtn: HTMLButtonElement;
  private readonly results = h("div.an-quiz-results#quiz-results", { hidden: true });
  private readonly teacherButtons: HTMLElement;
  private studyKey = "";

  constructor(private readonly actions: QuizPanelActions) {
    const startBtn = h("button.btn.btn-small.btn-primary#quiz-start", { type: "button", onclick: () => this.askSelect.value && actions.start(Number(this.askSelect.value)) }, "Ask") as HTMLButtonElement;
    this.ask = h("div.an-quiz-ask", { hidden: true }, h("label.an-label", { for: "quiz-structure" }, "Ask the class to find"), h("div.an-row", null, this.askSelect, startBtn));
    this.answerBtn = h("button.btn.btn-small.btn-primary#quiz-answer", { type: "button" }, "Answer") as HTMLButtonElement;
    this.teacherButtons = h(
      "div.an-row",
      { hidden: true },
      h("button.btn.btn-small#quiz-reveal", { type: "button", onclick: () => actions.reveal() }, "Reveal the answer"),
      h("button.btn.btn-small.btn-ghost#quiz-end", { type: "button", onclick: () => actions.end() }, "End quiz"),
    );
    this.el = h("section.an-section#anatomy-quiz", null, this.ask, this.prompt, this.mine, this.results, this.teacherButtons);
  }

  render(s: AnatomyState, instructor: boolean, myUserId: number | null, selected: number | null): void {
    const key = s.study ? `${s.study.id}:${s.study.structures.length}` : "";
    if (key !== this.studyKey) {
      this.studyKey = key;
      const items = (s.study?.structures ?? []).slice().sort((a, b) => a.name.localeCompare(b.name));
      this.askSelect.replaceChildren(...items.map((st) => h("option", { value: String(st.label) }, AnatomyState.prettyName(st.name))));
    }
    if (instructor && selected !== null && document.activeElement !== this.askSelect) this.askSelect.value = String(selected);
    const q = s.quiz;
    this.ask.hidden = !instructor || !s.study;
    this.prompt.hidden = !q;
    this.teacherButtons.hidden = !instructor || !q;
    this.results.hidden = !q || (!instructor && !q.revealed);
    this.mine.hidden = !q || instructor;
    if (!q) {
      if (!s.study) this.prompt.textContent = "";
      return;
    }
    this.prompt.replaceChildren(
      h("span.muted.small", null, `Question ${q.round}${q.revealed ? " · answer revealed" : ""}`),
      h("strong", null, `Find the ${AnatomyState.prettyName(q.name).toLowerCase()}`),
    );
    const answers = Object.entries(q.answers);
    if (instructor || q.revealed) {
      const right = answers.filter(([, a]) => "correct" in a && a.correct).length;
      this.results.replaceChildren(
        h("div.small", null, `${answers.length} answer${answers.length === 1 ? "" : "s"}, ${right} right`),
        h(
          "ul.an-quiz-list",
          null,
          ...answers.map(([uid, a]) =>
            "hidden" in a
              ? h("li.is-hidden", { "data-user": uid }, h("span.an-quiz-mark", { "aria-label": "answered" }, "•"), h("span", null, a.display_name), h("span.muted", null, "answered"))
              : h(
                  `li.${a.correct ? "is-right" : "is-wrong"}`,
                  { "data-user": uid },
                  h("span.an-quiz-mark", { "aria-label": a.correct ? "right" : "wrong" }, a.correct ? "✓" : "✗"),
                  h("span", null, a.display_name),
                  h("span.muted", null, AnatomyState.prettyName(a.name)),
                ),
          ),
        ),
      );
    }
    if (!instructor) {
      const mine = myUserId === null ? undefined : q.answers[String(myUserId)];
      // The server always shows a student their own answer in full.
      const own = mine && !("hidden" in mine) ? mine : undefined;
      const sel = s.structure(selected);
      const children: (Node | string)[] = [];
      if (q.revealed) {
        children.push(
          h("div", null, own ? (own.correct ? "Right! " : `Not quite: you chose the ${AnatomyState.prettyName(own.name).toLowerCase()}. `) : "You did not answer. "),
          h("div", null, `The answer is glowing green: the ${AnatomyState.prettyName(q.name).toLowerCase()}.`),
        );
      } else if (own) {
        children.push(h("div.small", null, `You answered: ${AnatomyState.prettyName(own.name)}. The answer shows when the instructor reveals it.`));
      } else {
        children.push(h("div.small", null, "Click the structure in the body (or in the Structures list), then press Answer. You answer once."));
        children.push(h("div", null, "Selected: ", h("strong", null, sel ? AnatomyState.prettyName(sel.name) : "nothing yet")));
        this.answerBtn.disabled = !sel;
        this.answerBtn.onclick = () => sel && this.actions.answer(sel.label);
        children.push(this.answerBtn);
      }
      this.mine.replaceChildren(...children);
    }
  }
}
