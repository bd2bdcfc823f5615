/**
 * The guided tour: lessons (lessons/*.json, and files added with `tour load`) walked one step at a time over the
 * open dump. While it is on, it watches every command the learner types (a Session observer): the right command
 * passes the step (✓, then what the output meant, then the next step); a wrong one gets ✗ and the step's hint,
 * never the answer. `answer WORDS` answers a question step. Progress is saved after every move (progress.ts).
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LineStyle, TextView, View } from '../render/view.js';
import type { CommandEvent, CommandObserver, Session } from '../session.js';
import { packageRoot } from '../version.js';
import { checkAnswer, checkCommand } from './check.js';
import { Facts } from './facts.js';
import { readLesson, readLessonDir, type Lesson, type Step } from './lesson.js';
import { readProgress, writeProgress, type Mark, type Progress, progressFile } from './progress.js';

/** Commands that look around without being an attempt at the step (unless the step asks for them). */
const NEUTRAL = new Set(['help', 'tour', 'answer', 'alias', 'set', 'q', 'eval']);

const MARK_SIGN: Record<Mark, string> = { pass: '✓', shown: '✓', skip: '-', fail: '✗' };

/** Lines with a style each (the terminal dims or bolds them; plain text is the same words). */
class Out {
  lines: string[] = [];
  styles: (LineStyle | undefined)[] = [];
  add(line: string, style?: LineStyle): this {
    this.lines.push(line);
    this.styles.push(style);
    return this;
  }
  addAll(lines: string[], style?: LineStyle): this {
    for (const l of lines) this.add(l, style);
    return this;
  }
  view(): TextView {
    return { kind: 'text', lines: this.lines, styles: this.styles };
  }
}

export const defaultLessonDir = (): string => join(packageRoot(), 'lessons');

export interface TourOptions {
  lessonDir?: string;
  progressPath?: string;
}

const tours = new WeakMap<Session, Tour>();

/** The tour of a session (made on first use). */
export function tourFor(session: Session, opts: TourOptions = {}): Tour {
  let t = tours.get(session);
  if (!t) {
    t = new Tour(session, opts);
    tours.set(session, t);
  }
  return t;
}

export class Tour {
  lessons: Lesson[] = [];
  readonly facts: Facts;
  progress: Progress;
  active = false;
  /** lessons that could not be read (shown when the tour starts) */
  problems: string[] = [];
  private readonly progressPath: string;
  private saveProblem: string | undefined;
  /** explain mode was off when the tour turned it on */
  private explainWasOff = false;
  private readonly observer: CommandObserver = (ev) => this.observe(ev);

  constructor(
    readonly session: Session,
    opts: TourOptions = {},
  ) {
    this.facts = new Facts(session);
    this.progressPath = opts.progressPath ?? progressFile();
    this.progress = readProgress(this.progressPath);
    const dir = opts.lessonDir ?? defaultLessonDir();
    try {
      this.lessons = existsSync(dir) ? readLessonDir(dir) : [];
    } catch (e) {
      this.problems.push((e as Error).message);
    }
    for (const f of this.progress.loaded) {
      try {
        this.add(readLesson(f));
      } catch (e) {
        this.problems.push(`tour load ${f}: ${(e as Error).message}`);
      }
    }
  }

  private add(l: Lesson): number {
    const i = this.lessons.findIndex((x) => x.id === l.id);
    if (i >= 0) this.lessons[i] = l;
    else this.lessons.push(l);
    return i >= 0 ? i : this.lessons.length - 1;
  }

  private get lessonIndex(): number {
    const i = this.lessons.findIndex((l) => l.id === this.progress.lesson);
    return i >= 0 ? i : 0;
  }

  private get lesson(): Lesson | undefined {
    return this.lessons[this.lessonIndex];
  }

  private get step(): Step | undefined {
    return this.lesson?.steps[this.progress.step];
  }

  private marks(l: Lesson): (Mark | null)[] {
    const m = (this.progress.marks[l.id] ??= []);
    while (m.length < l.steps.length) m.push(null);
    return m;
  }

  private setMark(mark: Mark): void {
    const l = this.lesson;
    if (!l) return;
    const m = this.marks(l);
    const prev = m[this.progress.step];
    // a pass stays a pass; a step passed after `tour show` stays "shown"
    if (mark === 'pass' && prev === 'shown') return;
    if (mark === 'fail' && (prev === 'pass' || prev === 'shown')) return;
    m[this.progress.step] = mark;
  }

  private save(out?: Out): void {
    const problem = writeProgress(this.progress, this.progressPath);
    if (problem && problem !== this.saveProblem)
      out?.add(`tour: ${problem} (the tour goes on without saving)`, 'warning');
    this.saveProblem = problem;
  }

  /** Lessons whose facts this dump lacks: the missing ones. */
  private async unmet(l: Lesson): Promise<string[]> {
    if (!l.needs) return [];
    const out: string[] = [];
    for (const f of l.needs.facts) if ((await this.facts.get(f)) === undefined) out.push(f);
    return out;
  }

  private on(out: Out): void {
    if (this.active) return;
    this.active = true;
    this.session.observers.push(this.observer);
    if (!this.session.settings.explain) {
      this.session.settings.explain = true;
      this.explainWasOff = true;
      out.add(
        '(explain notes are on while the tour runs: "# ..." lines beside what matters; set explain off hides them)',
        'dim',
      );
    }
  }

  /** `tour`: start, or show where the learner is. */
  async start(): Promise<View> {
    const out = new Out();
    if (!this.session.kernel)
      return out.add('tour: the tour needs a dump: start crash-ts without files to open the bundled sample').view();
    if (this.lessons.length === 0) return out.add(`tour: no lessons found in ${defaultLessonDir()}`).view();
    for (const p of this.problems) out.add(`tour: ${p}`, 'warning');
    this.problems = [];
    const fresh = !this.active;
    this.on(out);
    if (fresh && this.progress.lesson === undefined)
      out.addAll([
        'Welcome to the crash-ts tour. Each step asks you to find something in this dump with a command.',
        'Type the command at the crash> prompt as usual; the tour checks it and explains what you got.',
        'tour hint: a nudge · tour show: the answer · tour skip / tour back: move · tour list: the lessons · tour stop',
        '',
      ]);
    this.progress.lesson ??= this.lessons[0]!.id;
    await this.showStep(out, true);
    this.save(out);
    return out.view();
  }

  private async showStep(out: Out, withIntro: boolean): Promise<void> {
    const l = this.lesson!;
    const n = this.lessonIndex + 1;
    const step = this.step;
    if (withIntro || this.progress.step === 0) {
      out.add(`Lesson ${n} of ${this.lessons.length}: ${l.title}`, 'header');
      if (this.progress.step === 0 && l.intro) out.addAll(await Promise.all(l.intro.map((t) => this.facts.fill(t))));
      const unmet = await this.unmet(l);
      if (unmet.length) {
        out.add(`This dump cannot run this lesson: ${l.needs!.why}`, 'warning');
        out.add(`(missing: ${unmet.join(', ')}) — read on, or: tour skip`, 'dim');
        for (const s of l.steps)
          out.addAll(
            (await Promise.all(s.say.map((t) => this.facts.fill(t, () => '…')))).map((t) => `  ${t}`),
            'dim',
          );
        return;
      }
    }
    if (!step) return;
    out.add(`Step ${this.progress.step + 1} of ${l.steps.length}:`, 'emphasis');
    out.addAll(await Promise.all(step.say.map((t) => this.facts.fill(t))));
    if (step.ask)
      out.add(`? ${await this.facts.fill(step.ask.question)}  (look it up, then: answer WORDS)`, 'emphasis');
    out.add('(tour hint · tour show · tour skip · tour back · tour list)', 'dim');
  }

  /** Move to the next step (or lesson); says what comes next. */
  private async advance(out: Out): Promise<void> {
    const l = this.lesson!;
    if (this.progress.step + 1 < l.steps.length) {
      this.progress.step++;
      out.add('');
      await this.showStep(out, false);
      return;
    }
    const marks = this.marks(l);
    out.add('');
    if (l.outro) out.addAll(await Promise.all(l.outro.map((t) => this.facts.fill(t))));
    out.add(`Lesson ${this.lessonIndex + 1} done: ${marks.map((m) => (m ? MARK_SIGN[m] : '·')).join(' ')}`, 'emphasis');
    const next = this.lessons[this.lessonIndex + 1];
    if (!next) {
      out.add('That was the last lesson. tour list shows your marks; tour 1 starts again.');
      return;
    }
    this.progress.lesson = next.id;
    this.progress.step = 0;
    out.add('');
    await this.showStep(out, true);
  }

  /** The observer: a command the learner typed, while the tour is on. */
  async observe(ev: CommandEvent): Promise<View | undefined> {
    const l = this.lesson;
    const step = this.step;
    if (!this.active || !l || !step || (await this.unmet(l)).length) return undefined;
    if (step.ask) return undefined; // looking around for the answer
    const expected = (Array.isArray(step.expect) ? step.expect : [step.expect!]).map(
      (e) => this.session.commands?.get(e.command)?.name ?? e.command,
    );
    if (NEUTRAL.has(ev.name) && !expected.includes(ev.name)) return undefined;
    const out = new Out();
    const v = await checkCommand(step, ev, this.session.commands!, this.facts);
    if (v.ok) {
      this.setMark('pass');
      out.add(`✓ ${step.explain?.length ? await this.facts.fill(step.explain[0]!) : 'right'}`, 'emphasis');
      if (step.explain) out.addAll(await Promise.all(step.explain.slice(1).map((t) => this.facts.fill(t))));
      await this.advance(out);
    } else {
      this.setMark('fail');
      const sameCommand = expected.includes(ev.name);
      out.add(
        `✗ ${sameCommand ? `right command, but not quite (${v.why})` : 'not the command this step is after'}`,
        'warning',
      );
      out.add(`hint: ${await this.facts.fill(step.hint)}`);
    }
    this.save(out);
    return out.view();
  }

  /** `answer WORDS` */
  async answer(words: string[]): Promise<View> {
    const out = new Out();
    const step = this.step;
    if (!this.active || !step) return out.add('answer: no tour question is open (tour starts the tour)').view();
    if (!step.ask) return out.add('answer: this step wants a command, not an answer (tour shows the step)').view();
    const v = await checkAnswer(step, words, this.facts);
    if (v.ok) {
      this.setMark('pass');
      out.add(`✓ ${step.explain?.length ? await this.facts.fill(step.explain[0]!) : 'right'}`, 'emphasis');
      if (step.explain) out.addAll(await Promise.all(step.explain.slice(1).map((t) => this.facts.fill(t))));
      await this.advance(out);
    } else {
      this.setMark('fail');
      out.add(`✗ ${v.why}`, 'warning');
      out.add(`hint: ${await this.facts.fill(step.hint)}`);
    }
    this.save(out);
    return out.view();
  }

  async hint(): Promise<View> {
    const step = this.step;
    const out = new Out();
    if (!step) return out.add('tour: no step (tour starts the tour)').view();
    this.on(out);
    return out.add(`hint: ${await this.facts.fill(step.hint)}`).view();
  }

  /** `tour show`: the line that passes the step (marked as shown). */
  async show(): Promise<View> {
    const step = this.step;
    const out = new Out();
    if (!step) return out.add('tour: no step (tour starts the tour)').view();
    this.on(out);
    const sol = await this.facts.fill(step.solution);
    this.setMark('shown');
    this.save(out);
    out.add(step.ask ? `type: ${sol}` : `type: ${sol}`, 'emphasis');
    return out.view();
  }

  async skip(): Promise<View> {
    const out = new Out();
    if (!this.lesson) return this.start();
    this.on(out);
    const unmet = (await this.unmet(this.lesson)).length > 0;
    if (unmet) this.progress.step = this.lesson.steps.length - 1;
    else if (!this.marks(this.lesson)[this.progress.step]) this.setMark('skip');
    out.add('(skipped)', 'dim');
    await this.advance(out);
    this.save(out);
    return out.view();
  }

  async back(): Promise<View> {
    const out = new Out();
    if (!this.lesson) return this.start();
    this.on(out);
    if (this.progress.step > 0) this.progress.step--;
    else if (this.lessonIndex > 0) {
      const prev = this.lessons[this.lessonIndex - 1]!;
      this.progress.lesson = prev.id;
      this.progress.step = prev.steps.length - 1;
    }
    await this.showStep(out, true);
    this.save(out);
    return out.view();
  }

  /** `tour N` (a number or a lesson id) */
  async go(which: string): Promise<View> {
    const i = /^\d+$/.test(which) ? Number(which) - 1 : this.lessons.findIndex((l) => l.id === which);
    if (i < 0 || i >= this.lessons.length)
      return new Out().add(`tour: no lesson ${which} (tour list shows ${this.lessons.length})`).view();
    this.progress.lesson = this.lessons[i]!.id;
    this.progress.step = 0;
    const out = new Out();
    this.on(out);
    await this.showStep(out, true);
    this.save(out);
    return out.view();
  }

  /** `tour show` of the whole course: lessons with their marks. */
  list(): View {
    const out = new Out();
    out.add('   lesson                                                     steps', 'header');
    this.lessons.forEach((l, i) => {
      const m = this.marks(l);
      const here = this.active && l.id === this.progress.lesson ? '>' : ' ';
      out.add(
        `${here}${String(i + 1).padStart(2)} ${l.title.padEnd(56).slice(0, 56)}  ${m.map((x) => (x ? MARK_SIGN[x] : '·')).join('')}`,
      );
    });
    out.add('(✓ passed · ✗ last try wrong · - skipped · not yet; tour N goes to lesson N)', 'dim');
    return out.view();
  }

  /** `tour load FILE|DIR` */
  load(path: string): View {
    const out = new Out();
    const full = resolve(path);
    const files = existsSync(full) && statSync(full).isDirectory() ? readLessonDir(full).map((l) => l.file) : [full];
    for (const f of files) {
      const l = readLesson(f); // throws a LessonError naming the file and field
      const i = this.add(l);
      if (!this.progress.loaded.includes(f)) this.progress.loaded.push(f);
      out.add(`loaded lesson ${i + 1}: ${l.title} (${l.steps.length} steps); tour ${i + 1} starts it`);
    }
    this.save(out);
    return out.view();
  }

  /** `tour stop`: stop watching commands (progress is kept). */
  stop(): View {
    const out = new Out();
    if (this.active) {
      this.active = false;
      this.session.observers = this.session.observers.filter((o) => o !== this.observer);
      if (this.explainWasOff) this.session.settings.explain = false;
      this.explainWasOff = false;
    }
    return out.add('tour stopped; your place is kept: tour goes on from there').view();
  }

  /** `tour reset`: forget every mark and start again at lesson 1. */
  reset(): View {
    this.progress = { ...this.progress, lesson: undefined, step: 0, marks: {} };
    const out = new Out().add('tour progress cleared');
    this.save(out);
    return out.view();
  }
}
