/**
 * A DumpFile seen through a mutating layer: replaced VMCOREINFO text or notes, and physical memory
 * whose bytes are altered on the way out (corrupted kernel data: printk records, task lists...).
 * The underlying dump is not touched.
 */
import type { CpuRegisters, DumpFile, DumpMeta, Note } from '../dump/types.js';

/** Changes the bytes of one read; `paddr` is where `buf` starts. Must be a pure function of its inputs. */
export type MemoryMutator = (paddr: bigint, buf: Buffer) => void;

export interface OverlayChanges {
  vmcoreinfo?: string | undefined;
  notes?: Note[];
  cpus?: CpuRegisters[];
  memory?: MemoryMutator;
}

export class DumpOverlay implements DumpFile {
  readonly meta: DumpMeta;

  constructor(
    private readonly base: DumpFile,
    private readonly changes: OverlayChanges,
    /** close the base dump with the overlay */
    private readonly owns = true,
  ) {
    this.meta = { ...base.meta, warnings: [...base.meta.warnings] };
  }

  get vmcoreinfo(): string | undefined {
    return 'vmcoreinfo' in this.changes ? this.changes.vmcoreinfo : this.base.vmcoreinfo;
  }

  get notes(): Note[] {
    return this.changes.notes ?? this.base.notes;
  }

  get cpus(): CpuRegisters[] {
    return this.changes.cpus ?? this.base.cpus;
  }

  readPhys(paddr: bigint, length: number): Buffer {
    const b = this.base.readPhys(paddr, length);
    if (this.changes.memory) this.changes.memory(paddr, b);
    return b;
  }

  isPresent(paddr: bigint): boolean {
    return this.base.isPresent(paddr);
  }

  close(): void {
    if (this.owns) this.base.close();
  }
}
