/** tour and answer: the guided tour of a dump for people learning kernel debugging (src/tour, lessons/). */
import { CommandError, type Args, type Command } from '../src/command.js';
import type { View } from '../src/render/view.js';
import type { Session } from '../src/session.js';
import { tourFor } from '../src/tour/tour.js';

const HELP = `tour - a guided tour of kernel crash analysis, over the open dump

SYNOPSIS
  tour                 start, or show the step you are at
  tour list            the lessons, with a mark for each step
  tour N               go to lesson N (a number, or a lesson's id)
  tour hint            a nudge for the current step (not the answer)
  tour show            the line that passes the current step
  tour skip | back     the next or the previous step
  tour load FILE|DIR   add a lesson file (or a folder of them) written by a teacher
  tour stop | reset    stop watching commands (your place is kept) | forget all progress
  answer WORDS         answer a step that asks a question

Each lesson is a few steps. A step says what to look for and why, and asks you to type a
command at the crash> prompt, or to find something in an output and answer it. The tour
watches what you type: it reads your line with the same parser the commands use, so
"bt 192", "bt ct-crash" and "bt 0xffff..." are one answer. The right one gets a check mark
and an explanation of the output; a wrong one gets a cross and a hint. help, set, alias and
eval never count as tries. While the tour runs, explain notes ("# ..." lines, dim on a
terminal) are on: "set explain off" hides them.

Answers are found in the dump when the lesson runs, never written in the lesson: the same
lessons work on your own dumps, and a lesson the dump cannot support (an oops in a module on a
dump without one) says so. Progress is kept in $XDG_STATE_HOME/crash-ts/tour.json
(~/.local/state/crash-ts/tour.json). Lessons are JSON files: docs/lessons.md describes them.

EXAMPLES
  crash> tour
  crash> answer 192
  crash> tour 3
  crash> tour load my-lesson.json
  $ crash-ts --tour`;

const tour: Command = {
  name: 'tour',
  summary: 'a guided tour of crash analysis: lessons over the open dump',
  help: HELP,
  run(session: Session, args: Args): Promise<View> | View {
    const t = tourFor(session);
    const [sub, ...rest] = args.positional;
    switch (sub) {
      case undefined:
      case 'start':
        return t.start();
      case 'list':
        return t.list();
      case 'hint':
        return t.hint();
      case 'show':
        return t.show();
      case 'skip':
      case 'next':
        return t.skip();
      case 'back':
        return t.back();
      case 'stop':
      case 'off':
        return t.stop();
      case 'reset':
        return t.reset();
      case 'answer':
        return t.answer(rest);
      case 'load':
        if (rest.length !== 1) throw new CommandError('load: give one lesson file (or folder)');
        return t.load(rest[0]!);
    }
    if (/^\d+$/.test(sub) || t.lessons.some((l) => l.id === sub)) return t.go(sub);
    throw new CommandError(`${sub}: not a tour command (list, N, hint, show, skip, back, load, stop, reset)`);
  },
};

const answer: Command = {
  name: 'answer',
  summary: 'answer the question of the current tour step',
  help: `answer - answer the question of the current tour step

SYNOPSIS
  answer WORDS

A tour step that asks a question ("which PID panicked?") is answered with answer, once you
have found it in an output. Numbers may be decimal or 0x hex; a task may be named by PID,
task address or command name. A wrong answer gets a hint. See "help tour".

EXAMPLES
  crash> answer 192
  crash> answer ct-crash`,
  run(session: Session, args: Args): Promise<View> {
    return tourFor(session).answer(args.positional);
  },
};

export default [tour, answer];
