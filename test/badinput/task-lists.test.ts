/**
 * The list walk of a damaged dump: every link is checked the way the kernel's list debugging does
 * (node->next->prev == node); a broken link stops that direction and the walk resumes from the
 * other end, so garbage is never followed and real entries on both sides of the break are kept.
 */
import { describe, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { walkListBothWays } from '../../src/kernel/objects/task-lists.js';
import { allTasks } from '../../src/kernel/objects/tasks.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { describeCorpus, dumpPaths, vmlinuxPlain } from '../helpers/corpus.js';

/** A memory of list_heads: address -> [next, prev]; anything else reads as a missing page. */
function fakeKernel(heads: Map<bigint, [bigint, bigint]>): Kernel {
  const readU64 = (a: bigint): bigint => {
    const h = heads.get(a) ?? heads.get(a - 8n);
    if (!h) throw new Error(`read error: ${a.toString(16)}`);
    return heads.has(a) ? h[0] : h[1];
  };
  return { readU64, read: (a: bigint) => (readU64(a), Buffer.alloc(16)) } as unknown as Kernel;
}

const H = 0xffff888000001000n;
const node = (i: number): bigint => 0xffff888000100000n + BigInt(i) * 0x1000n;

/** head <-> n1 <-> ... <-> nN <-> head */
function ring(n: number): Map<bigint, [bigint, bigint]> {
  const all = [H, ...Array.from({ length: n }, (_, i) => node(i + 1))];
  const m = new Map<bigint, [bigint, bigint]>();
  all.forEach((a, i) => m.set(a, [all[(i + 1) % all.length]!, all[(i + all.length - 1) % all.length]!]));
  return m;
}

describe('walkListBothWays on damaged lists', () => {
  it('walks an intact ring', () => {
    const w = walkListBothWays(fakeKernel(ring(5)), H);
    expect(w.nodes).toEqual([1, 2, 3, 4, 5].map(node));
    expect(w.broken).toEqual([]);
  });

  it('a next pointer into garbage (whose prev does not point back) is not followed; the rest comes from the other end', () => {
    const m = ring(5);
    const garbage = 0xffff888000900000n;
    m.set(garbage, [0xffff888000a00000n, 0x1234n]); // readable, but not a neighbour of node 2
    m.set(node(2), [garbage, node(1)]);
    const w = walkListBothWays(fakeKernel(m), H);
    expect(w.nodes).not.toContain(garbage);
    expect(new Set(w.nodes)).toEqual(new Set([1, 2, 3, 4, 5].map(node)));
  });

  it('an entry on a missing page is reported broken, and the walk resumes backwards', () => {
    const m = ring(5);
    m.delete(node(3));
    const w = walkListBothWays(fakeKernel(m), H);
    expect(w.broken).toEqual([node(3)]);
    expect(new Set(w.nodes)).toEqual(new Set([1, 2, 3, 4, 5].map(node)));
  });

  it('a garbage ring that never returns to the head stops at the bound', () => {
    const m = ring(3);
    // node 3 points on into a consistent chain that never comes back: 1000 entries
    let prev = node(3);
    for (let i = 4; i < 1004; i++) {
      m.set(node(i), [node(i + 1), prev]);
      prev = node(i);
    }
    m.set(node(3), [node(4), node(2)]);
    const w = walkListBothWays(fakeKernel(m), H, 100);
    expect(w.nodes.length).toBeLessThanOrEqual(100);
  });
});

describeCorpus('the task table reads each list once (k61-sysrq-c kdump-zlib)', () => {
  it('list reads grow with the number of tasks, not its square', async () => {
    const dump = (await dumpPaths('k61-sysrq-c')).find((d) => d.file === 'vmcore.kdump-zlib')!;
    const k = openKernelSync(await vmlinuxPlain('k61-sysrq-c'), dump.path);
    let reads = 0;
    const readU64 = k.readU64.bind(k);
    k.readU64 = (a: bigint) => (reads++, readU64(a));
    const n = allTasks(k).tasks.length;
    expect(n).toBe(72);
    // walking init_task.tasks from every process leader read it ~70 times per task (5064 reads)
    expect(reads).toBeLessThan(20 * n);
  }, 60_000);
});
