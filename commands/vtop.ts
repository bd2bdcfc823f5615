/** vtop: a virtual address's page-table walk, entry by entry, and the struct page it lands on. */
import { physicalAddressDigits } from '../src/kernel/objects/system.js';
import { CommandError, parseNumber, type Command } from '../src/command.js';
import { group, text, type View } from '../src/render/view.js';
import type { Session } from '../src/session.js';
import type { Kernel } from '../src/kernel/kernel.js';
import { isKernelAddress } from '../src/kernel/address.js';
import { traceWalk, type WalkTrace } from '../src/kernel/arch/x86_64/translate.js';
import { allTasks, findTaskByAddress, findTaskByPid, type Task } from '../src/kernel/objects/tasks.js';
import { PAGE_SHIFT } from '../src/kernel/objects/pages.js';
import { pageHeader, pageLine } from '../src/render/mem/kmem.js';
import { pageRow, requirePageLayout } from './kmem/pages.js';
import { hexArg } from './kmem.js';
import { vtopWalkLines, vtopHeader } from '../src/render/mem/vtop.js';
import { hex } from '../src/render/mem/fields.js';
import { taskAddressSpace, type Vma } from '../src/kernel/objects/mm.js';
import { mmUnreadable, vmaLine } from './vm.js';
import { swapLocation } from '../src/kernel/objects/swap.js';
import { tasksOfWord } from '../src/repl/task-selector.js';

const HELP = `vtop - virtual to physical address, with the page-table walk

SYNOPSIS
  vtop [-c PID|TASK] [-u|-k] ADDRESS ...

Translates each ADDRESS (hexadecimal) through the page tables as the CPU would and shows every
step: the top-level table, each entry read (its physical address => its value) down to the page,
the leaf entry's flags, and the struct page of the physical page.

A kernel address is walked in the kernel's own page tables (swapper_pg_dir); a user address in the
page tables of the current context's process (\`set PID\`), or of the task given with -c.

OPTIONS
  -c PID|TASK  use the address space of this task
  -u           ADDRESS is a user address
  -k           ADDRESS is a kernel address

  A walk that needs a page-table page the dump lacks stops there and says so. A user page that is
  not present is reported as not mapped; when swapped out, its entry's swap area (path) and slot
  (OFFSET) are shown, after the VMA too.

EXAMPLES
  vtop ffffffff82a1aa40
  vtop -c 1 400000`;

function taskArg(k: Kernel, word: string): Task {
  const t = /^\d+$/.test(word) ? findTaskByPid(k, Number(word)) : findTaskByAddress(k, parseNumber(word) ?? -1n);
  if (!t) {
    // a task the dump lost is named as such (its pid or address is known), not as an invalid value
    try {
      tasksOfWord(allTasks(k), word);
    } catch (e) {
      if (/cannot be read/.test((e as Error).message)) throw e;
    }
    throw new CommandError(`invalid task or pid value: ${word}`);
  }
  return t;
}

export const VMA_HEADER = '      VMA           START       END     FLAGS FILE';

function vtopOne(k: Kernel, task: Task | undefined, vaddr: bigint, user: boolean): View {
  const lines: string[] = [];
  const data: Record<string, unknown> = { virtual: vaddr, space: user ? 'user' : 'kernel' };
  let trace: WalkTrace;
  let pgdVirt: bigint | undefined;
  let vma: Vma | undefined;
  if (user) {
    if (!task) throw new CommandError('no current user process (choose one with -c PID or `set PID`)');
    data.task = task.address;
    let as;
    try {
      as = taskAddressSpace(k, task);
    } catch (e) {
      throw new CommandError(mmUnreadable(task, e));
    }
    vma = as?.vmas.find((v) => vaddr >= v.start && vaddr < v.end);
    if (!as || !vma) {
      // crash: an address outside every VMA of the task is not looked up
      lines.push(...vtopHeader(true), `${hex(vaddr).padEnd(10)}  (not accessible)`, '');
      if (!as) lines.push(`vtop: PID ${task.pid} ("${task.comm}") is a kernel thread: it has no user address space`);
      return text(lines, data);
    }
    pgdVirt = as.pgd;
    trace = traceWalk(k.mem.translator, k.dump, k.mem.vtop(pgdVirt), vaddr);
  } else {
    if (!isKernelAddress(vaddr))
      return text([...vtopHeader(false), `${hex(vaddr).padEnd(8)}  (not a kernel virtual address)`, ''], data);
    pgdVirt =
      k.vmcoreinfo.symbol('swapper_pg_dir') ??
      (k.hasSymbol('init_top_pgt') ? k.sym('init_top_pgt') : k.sym('swapper_pg_dir'));
    trace = traceWalk(k.mem.translator, k.dump, k.mem.translator.cfg.kernelPgdPhys, vaddr);
  }
  data.walk = trace;
  lines.push(...vtopHeader(user));
  const width = user ? 10 : 16;
  if (trace.physical === undefined)
    lines.push(
      `${hex(vaddr).padEnd(width)}  ${trace.stopped?.includes('dump') ? '(page table not in the dump)' : '(not mapped)'}`,
      '',
    );
  else lines.push(`${hex(vaddr).padEnd(width)}  ${hex(trace.physical).padEnd(16)}`, '');
  // a user page's non-present, non-empty PTE is a swap entry: the area's path and the page's slot
  const last = trace.entries[trace.entries.length - 1];
  const swap =
    user && trace.physical === undefined && last?.level === 'PTE' && last.entry !== 0n
      ? swapLocation(k, last.entry)
      : undefined;
  const swapAt = swap ? { path: swap.path ?? '(unknown swap location)', offset: swap.offset } : undefined;
  if (swap) data.swap = swap;
  lines.push(...vtopWalkLines(trace, user, pgdVirt, swapAt));
  if (trace.stopped?.includes('dump')) lines.push(`vtop: ${trace.stopped}`);
  if (vma) {
    lines.push('', VMA_HEADER, vmaLine(vma));
    data.vma = vma;
    if (swapAt) lines.push('', `SWAP: ${swapAt.path}  OFFSET: ${swapAt.offset}`);
    else if (trace.physical === undefined && vma.file !== 0n) {
      const offset = (((vaddr - vma.start) >> PAGE_SHIFT) + vma.pgoff) << PAGE_SHIFT;
      lines.push('', `FILE: ${vma.path}  OFFSET: ${hex(offset)}`);
    }
  }
  lines.push('');
  const phys = trace.physical;
  if (phys !== undefined) {
    data.physical = phys;
    const l = requirePageLayout(k);
    const r = pageRow(k, l, phys >> PAGE_SHIFT);
    if (r.page) {
      lines.push(pageHeader(physicalAddressDigits(k)), pageLine(r.page, physicalAddressDigits(k)));
      data.page = r.page;
    } else if (r.problem !== 'no struct page') lines.push(`vtop: struct page of ${hex(phys)}: ${r.problem}`);
  }
  return text(lines, data);
}

const vtop: Command = {
  name: 'vtop',
  summary: 'virtual to physical address: the page-table walk step by step',
  help: HELP,
  needsDump: true,
  options: { c: '=pid or task', u: 'user address', k: 'kernel address' },
  run(session: Session, args) {
    const k = session.kernel!;
    if (!args.positional.length) throw new CommandError('give an address: vtop [-c PID|TASK] [-u|-k] ADDRESS');
    if (args.flags.u && args.flags.k) throw new CommandError('-u and -k options are mutually exclusive');
    let task: Task | undefined;
    if (typeof args.flags.c === 'string') task = taskArg(k, args.flags.c);
    else {
      const cur = session.currentTask();
      task = cur !== undefined ? allTasks(k).byAddress.get(cur) : undefined;
    }
    const views: View[] = [];
    for (const w of args.positional) {
      const v = hexArg(w);
      const user = args.flags.u ? true : args.flags.k ? false : !isKernelAddress(v);
      if (views.length) views.push(text(['']));
      views.push(vtopOne(k, task, v, user));
    }
    return views.length === 1 ? views[0]! : group(...views);
  },
};

export default vtop;
