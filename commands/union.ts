/** union: a union's layout, or its contents at an address (the struct command's twin). */
import type { Command } from '../src/command.js';
import { aggregateHelp, runAggregate } from './struct.js';

const union: Command = {
  name: 'union',
  summary: 'show a union definition, or the union at an address',
  needsDump: true,
  options: {
    o: 'member offsets',
    x: 'hexadecimal',
    d: 'decimal',
    l: '=STRUCT.MEMBER or OFFSET: ADDRESS is that member',
  },
  help: aggregateHelp('union'),
  run: (session, args) => runAggregate('union', session, args),
};

export default union;
