/**
 * crash-style option parsing against a command's declared options:
 * `-s`, `-SS` (a repeated flag counts: S=2), combined letters `-lt`, `-o OFF` / `-oOFF` for options that take a
 * value, `-S=1,3` for options whose value is optional and attached (description '?...'), whole-word options such as `-8` / `-64`, `--long[=value]`, `--` ends the options, and a negative number
 * (`-1`, `-0x10`) stays positional unless it is itself a declared option.
 */
import { CommandError, type Args } from '../command.js';

const takesValue = (desc: string | undefined): boolean => desc !== undefined && desc.startsWith('=');
/** a description starting with '?' marks an optional value attached to the letter's own word (getopt's "S::": -S=1,3) */
const takesAttachedValue = (desc: string | undefined): boolean => desc !== undefined && desc.startsWith('?');

function setFlag(flags: Args['flags'], name: string): void {
  const prev = flags[name];
  flags[name] = prev === undefined ? true : prev === true ? 2 : typeof prev === 'number' ? prev + 1 : true;
}

export function parseArgs(argv: string[], options: Record<string, string> | undefined): Args {
  const args: Args = { flags: {}, positional: [], raw: [...argv] };
  if (!options) {
    args.positional = [...argv];
    return args;
  }
  const has = (n: string) => Object.prototype.hasOwnProperty.call(options, n);
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') {
      args.positional.push(...argv.slice(i + 1));
      break;
    }
    if (!word.startsWith('-') || word === '-') {
      args.positional.push(word);
      continue;
    }
    const body = word.slice(1);
    if (body.startsWith('-')) {
      // --long or --long=value
      const eq = body.indexOf('=');
      const name = eq >= 0 ? body.slice(1, eq) : body.slice(1);
      if (!has(name)) throw new CommandError(`unknown option: --${name}`);
      if (takesValue(options[name])) {
        if (eq >= 0) args.flags[name] = body.slice(eq + 1);
        else if (i + 1 < argv.length) args.flags[name] = argv[++i]!;
        else throw new CommandError(`option --${name} needs a value`);
      } else if (eq >= 0) throw new CommandError(`option --${name} takes no value`);
      else setFlag(args.flags, name);
      continue;
    }
    if (has(body)) {
      // a whole-word option: -8, -64, -SS declared as such
      if (takesValue(options[body])) {
        if (i + 1 >= argv.length) throw new CommandError(`option -${body} needs a value`);
        args.flags[body] = argv[++i]!;
      } else setFlag(args.flags, body);
      continue;
    }
    if (/^(0x[0-9a-f]+|[0-9]+)$/i.test(body)) {
      args.positional.push(word); // a negative number, not an option
      continue;
    }
    for (let j = 0; j < body.length; j++) {
      const letter = body[j]!;
      if (!has(letter)) throw new CommandError(`invalid option: -${letter}`);
      if (takesValue(options[letter])) {
        const rest = body.slice(j + 1);
        if (rest) args.flags[letter] = rest;
        else if (i + 1 < argv.length) args.flags[letter] = argv[++i]!;
        else throw new CommandError(`option -${letter} needs a value`);
        break;
      }
      if (takesAttachedValue(options[letter]) && j + 1 < body.length) {
        args.flags[letter] = body.slice(j + 1);
        break;
      }
      setFlag(args.flags, letter);
    }
  }
  return args;
}
