/** ptob: a page frame number → its physical byte address. */
import { CommandError, type Command } from '../src/command.js';
import { text } from '../src/render/view.js';
import { parseCount } from '../src/kernel/address.js';
import { PAGE_SHIFT } from '../src/kernel/objects/pages.js';

const ptob: Command = {
  name: 'ptob',
  summary: 'physical address of a page frame number',
  help: `ptob - page frame number to address

SYNOPSIS
  ptob PFN ...

Multiplies each page frame number by the page size and prints "PFN: ADDRESS" in hexadecimal.
PFN is decimal, or hexadecimal when written 0x... or with a hex letter (4096, 0x1000 and 1000a).

EXAMPLES
  ptob 4096             1000: 1000000
  ptob 0x2861a          2861a: 2861a000`,
  run(_session, args) {
    if (!args.positional.length) throw new CommandError('give one or more page frame numbers: ptob PFN ...');
    const rows = args.positional.map((w) => {
      let pfn: bigint;
      try {
        pfn = parseCount(w);
      } catch (e) {
        throw new CommandError((e as Error).message);
      }
      return { pfn, address: BigInt.asUintN(64, pfn << PAGE_SHIFT) };
    });
    return text(
      rows.map((r) => `${r.pfn.toString(16)}: ${r.address.toString(16)}`),
      rows,
    );
  },
};

export default ptob;
