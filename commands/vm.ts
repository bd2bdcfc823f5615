/** vm: a task's address space: its mm_struct and VMAs (range, flags, mapped file). */
import { physicalAddressDigits } from '../src/kernel/objects/system.js';
import { CommandError, type Args, type Command } from '../src/command.js';
import type { Kernel } from '../src/kernel/kernel.js';
import { taskAddressSpace, vmaPages, vmFlagNames, type AddressSpace, type Vma } from '../src/kernel/objects/mm.js';
import { swapLocation } from '../src/kernel/objects/swap.js';
import { allTasks, taskHeader, type Task } from '../src/kernel/objects/tasks.js';
import { targetTasks } from '../src/repl/task-selector.js';
import { formatValue } from '../src/render/gdb-value.js';
import { text, type View } from '../src/render/view.js';
import { fit } from '../src/render/mem/fields.js';
import type { Session } from '../src/session.js';

const HELP = `vm - virtual memory of a task

SYNOPSIS
  vm [-p | -m | -R REF] [PID | TASK | COMMAND | 'regex'] ...
  vm -f FLAGS

With no argument, the current context task. For each task: its mm_struct address, the page
table root (PGD), the resident size (RSS, from the mm's counters) and the total mapped size
(TOTAL_VM), then one line per VMA in address order: the vm_area_struct address, START and END,
the vm_flags in hex, and the path of the mapped file (empty for anonymous memory).

The VMAs are read from the maple tree mm->mm_mt on Linux 6.1 and later, from the mm->mmap list
before; threads share one mm, which is read once. A kernel thread has no mm: only the header.

OPTIONS
  -p        after each VMA, every page of it: the physical address it is mapped to, the file
            offset it would be read from, its swap area and slot ("SWAP: PATH  OFFSET: N"), or
            "(not mapped)"; a page-table page
            the dump lacks is named
  -f FLAGS  decode a vm_flags value into its VM_ names
  -m        the task's whole mm_struct
  -R REF    only what refers to REF: a hex value (mm, pgd, VMA address, vm_flags, a page's virtual
            or physical address) or a file name (part of a mapped file's path)

EXAMPLES
  vm            the panic task's VMAs
  vm 1          init's
  vm -p 127     with the physical page of each virtual page
  vm -R busybox 1   only the VMAs mapping a file whose path contains "busybox"
  vm -f 8100073
  foreach vm    every task's`;

const hex = (v: bigint): string => v.toString(16);

const MM_HEADER = '       MM               PGD          RSS    TOTAL_VM';
const VMA_HEADER = '      VMA           START       END     FLAGS FILE';

/** crash's "%s %10lx %10lx %6llx %s" VMA line (the file column empty for anonymous memory). */
export function vmaLine(v: Vma): string {
  return `${hex(v.vma).padStart(16, '0')} ${hex(v.start).padStart(10)} ${hex(v.end).padStart(10)} ${hex(v.flags).padStart(6)} ${v.path}`;
}

/** "VIRTUAL     PHYSICAL" and one line per page of a VMA, in crash's vm -p layout. */
function pageLines(k: Kernel, as: AddressSpace, v: Vma): string[] {
  // the physical column is as wide as crash's physical addresses (9 digits above 4 GiB), at least 8
  const w = Math.max(physicalAddressDigits(k), 8);
  const out = [`VIRTUAL     ${'PHYSICAL'.padEnd(w)}`];
  for (const p of vmaPages(k, as, v)) {
    const va = hex(p.vaddr).padEnd(10);
    if (p.kind === 'mapped') out.push(`${va}  ${hex(p.paddr).padStart(w)}`);
    else if (p.kind === 'swap') {
      const s = swapLocation(k, p.entry);
      out.push(`${va}  SWAP: ${s.path ?? '(unknown swap location)'}  OFFSET: ${s.offset}`);
    } else if (p.kind === 'unreadable') out.push(`${va}  (unreadable: ${p.reason})`);
    else if (p.fileOffset !== undefined) out.push(`${va}  FILE: ${v.path}  OFFSET: ${hex(p.fileOffset)}`);
    else out.push(`${va}  (not mapped)`);
  }
  return out;
}

/** crash's mm line: each value centred in its column, hex without leading zeros (a kernel thread's 0 too). */
const mmLine = (mm: bigint, pgd: bigint, rss: string, total: string): string =>
  `${fit(hex(mm), 16, 'center')}  ${fit(hex(pgd), 16, 'center')}  ${fit(rss, 6, 'center')}  ${fit(total, 8, 'center')}`;

function summaryLines(k: Kernel, as: AddressSpace): string[] {
  const page = BigInt(k.dump.meta.pageSize || 4096);
  const rss = `${(as.rssPages * page) / 1024n}k`;
  const total = `${(as.totalVmPages * page) / 1024n}k`;
  return [MM_HEADER, mmLine(as.mm, as.pgd, rss, total)];
}

function vmaData(v: Vma): Record<string, unknown> {
  return {
    vma: v.vma,
    start: v.start,
    end: v.end,
    flags: v.flags,
    flagNames: vmFlagNames(v.flags),
    file: v.file || null,
    path: v.path,
  };
}

/** "the mm_struct ffff... of PID 129 cannot be read: page excluded: ...": what vm, vtop and ps -a say when a task's mm is lost. */
export function mmUnreadable(t: Task, e: unknown): string {
  return `the mm_struct ${hex(t.mm)} of PID ${t.pid} cannot be read: ${(e as Error).message}`;
}

/** One task's lines and data. */
export function taskVmBlock(k: Kernel, t: Task, physical: boolean): { lines: string[]; data: Record<string, unknown> } {
  const lines = [taskHeader(t)];
  const data: Record<string, unknown> = { pid: t.pid, task: t.address, command: t.comm };
  let as: AddressSpace | undefined;
  try {
    as = taskAddressSpace(k, t);
  } catch (e) {
    lines.push(`vm: ${mmUnreadable(t, e)}`);
    data.problem = (e as Error).message;
    return { lines, data };
  }
  if (!as) {
    // a kernel thread: crash prints the header with a zero mm and nothing else
    lines.push(MM_HEADER, mmLine(0n, 0n, '0k', '0k'));
    data.mm = null;
    return { lines, data };
  }
  lines.push(...summaryLines(k, as));
  if (!physical) lines.push(VMA_HEADER);
  for (const v of as.vmas) {
    if (physical) lines.push(VMA_HEADER);
    lines.push(vmaLine(v));
    if (physical) lines.push(...pageLines(k, as, v));
  }
  for (const p of as.problems) lines.push(`vm: ${p}`);
  Object.assign(data, {
    mm: as.mm,
    pgd: as.pgd,
    // sizes as JSON numbers (a bigint prints as a hex address)
    rssKb: Number((as.rssPages * BigInt(k.dump.meta.pageSize || 4096)) / 1024n),
    totalVmKb: Number((as.totalVmPages * BigInt(k.dump.meta.pageSize || 4096)) / 1024n),
    vmas: as.vmas.map(vmaData),
  });
  if (as.problems.length) data.problems = as.problems;
  return { lines, data };
}

/**
 * -R: only what refers to a value or a name: a hex number is compared with the mm and pgd, each VMA's
 * address and flags, and each page's virtual and physical address; anything else with the mapped
 * files' paths (a substring). Tasks without a match print nothing.
 */
function referenceView(k: Kernel, tasks: Task[], ref: string): View {
  const num = /^(0x)?[0-9a-f]+$/i.test(ref) ? BigInt(ref.startsWith('0x') ? ref : '0x' + ref) : undefined;
  const lines: string[] = [];
  const data: unknown[] = [];
  for (const t of tasks) {
    let as: AddressSpace | undefined;
    try {
      as = taskAddressSpace(k, t);
    } catch (e) {
      // unknown whether it refers to the value: say so rather than print nothing, as for no match
      if (lines.length) lines.push('');
      lines.push(taskHeader(t), `vm: ${mmUnreadable(t, e)}`);
      data.push({ pid: t.pid, task: t.address, problem: (e as Error).message });
      continue;
    }
    if (!as) continue;
    const block: string[] = [];
    const hits: unknown[] = [];
    if (num !== undefined && (num === as.mm || num === as.pgd)) block.push('mm');
    else {
      let headed = false;
      for (const v of as.vmas) {
        const vmaHit =
          num !== undefined
            ? num === v.vma || num === v.flags
            : v.path !== '' && (ref === '/' ? v.path === '/' : v.path.includes(ref));
        if (vmaHit) {
          if (!headed) block.push(VMA_HEADER);
          headed = true;
          block.push(vmaLine(v));
          hits.push(vmaData(v));
          continue;
        }
        if (num === undefined) continue;
        const pageHits = num >= v.start && num < v.end ? [...vmaPages(k, as, v)].filter((p) => p.vaddr === num) : [];
        if (!pageHits.length)
          for (const p of vmaPages(k, as, v)) if (p.kind === 'mapped' && p.paddr === num) pageHits.push(p);
        if (!pageHits.length) continue;
        block.push(
          VMA_HEADER,
          vmaLine(v),
          ...pageLines(k, as, v).filter(
            (l, i) => i === 0 || pageHits.some((p) => l.startsWith(hex(p.vaddr).padEnd(10))),
          ),
        );
        headed = false;
        hits.push({ ...vmaData(v), pages: pageHits.map((p) => p.vaddr) });
      }
    }
    if (!block.length) continue;
    if (lines.length) lines.push('');
    lines.push(taskHeader(t), ...summaryLines(k, as), ...block.filter((l) => l !== 'mm'));
    data.push({ pid: t.pid, task: t.address, matches: hits });
  }
  return text(lines, data);
}

const vm: Command = {
  name: 'vm',
  summary: 'virtual memory of a task: mm_struct and VMAs',
  help: HELP,
  needsDump: true,
  keepQuotes: true,
  options: { p: 'physical pages', f: '=flags', m: 'the mm_struct', R: '=reference' },
  run(s: Session, args: Args): View {
    const k = s.kernel;
    if (!k) throw new CommandError('no dump is open');
    if (args.flags.f !== undefined) {
      const w = String(args.flags.f);
      if (!/^(0x)?[0-9a-f]+$/i.test(w)) throw new CommandError(`invalid flags value: ${w}`);
      const flags = BigInt(w.startsWith('0x') ? w : '0x' + w);
      const names = vmFlagNames(flags);
      return text([`${hex(flags)}: (${names.join('|')})`], { flags, names });
    }
    const tasks = targetTasks(allTasks(k), args.positional, s.currentTask());
    const lines: string[] = [];
    const data: unknown[] = [];
    if (args.flags.R !== undefined) return referenceView(k, tasks, String(args.flags.R));
    tasks.forEach((t, i) => {
      s.checkCancelled();
      if (i > 0) lines.push('');
      if (args.flags.m) {
        lines.push(taskHeader(t));
        if (t.mm)
          try {
            lines.push(
              ...`struct mm_struct ${formatValue(k, { type: k.type('struct mm_struct'), address: t.mm })}`.split('\n'),
            );
          } catch (e) {
            // one line naming what could not be read, and the next task goes on
            lines.push(`vm: ${mmUnreadable(t, e)}`);
            data.push({ pid: t.pid, task: t.address, mm: t.mm, problem: (e as Error).message });
            return;
          }
        data.push({ pid: t.pid, task: t.address, mm: t.mm });
        return;
      }
      const b = taskVmBlock(k, t, !!args.flags.p);
      lines.push(...b.lines);
      data.push(b.data);
    });
    return text(lines, data.length === 1 ? data[0] : data);
  },
};

export default vm;
