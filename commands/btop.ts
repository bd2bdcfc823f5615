/** btop: a byte address → its page frame number. */
import { CommandError, type Command } from '../src/command.js';
import { text } from '../src/render/view.js';
import { parseAddress } from '../src/kernel/address.js';
import { PAGE_SHIFT } from '../src/kernel/objects/pages.js';

const btop: Command = {
  name: 'btop',
  summary: 'page frame number of an address',
  help: `btop - address to page frame number

SYNOPSIS
  btop ADDRESS ...

Divides each ADDRESS (hexadecimal, as crash reads addresses) by the page size and prints
"ADDRESS: PFN", both in hexadecimal. Any address works, physical or virtual: it is only arithmetic.

EXAMPLES
  btop 1000000          1000000: 1000
  btop 0x7ffe1000 512000`,
  run(session, args) {
    if (!args.positional.length) throw new CommandError('give one or more addresses: btop ADDRESS ...');
    const rows = args.positional.map((w) => {
      let v: bigint;
      try {
        v = parseAddress(session.kernel, w);
      } catch (e) {
        throw new CommandError((e as Error).message);
      }
      return { address: v, pfn: v >> PAGE_SHIFT };
    });
    return text(
      rows.map((r) => `${r.address.toString(16)}: ${r.pfn.toString(16)}`),
      rows,
    );
  },
};

export default btop;
