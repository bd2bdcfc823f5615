/**
 * VMCOREINFO: the key=value text the crashed kernel leaves for dump tools
 * (kernel/vmcore_info.c, arch/x86/kernel/crash.c): OSRELEASE, BUILD-ID, PAGESIZE, SYMBOL(x),
 * OFFSET(s.f), SIZE(s), LENGTH(x), NUMBER(x), KERNELOFFSET, CRASHTIME ...
 */
export class VmcoreInfo {
  readonly raw: Map<string, string>;

  constructor(text: string) {
    this.raw = new Map();
    for (const line of text.split('\n')) {
      const eq = line.indexOf('=');
      if (eq <= 0) continue;
      this.raw.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
    }
  }

  get(key: string): string | undefined {
    return this.raw.get(key);
  }

  get osrelease(): string | undefined {
    return this.raw.get('OSRELEASE');
  }

  get buildId(): string | undefined {
    return this.raw.get('BUILD-ID');
  }

  get pageSize(): number | undefined {
    const v = this.raw.get('PAGESIZE');
    return v ? Number(v) : undefined;
  }

  /** SYMBOL(name): a runtime (relocated) address, hex without 0x. */
  symbol(name: string): bigint | undefined {
    return hex(this.raw.get(`SYMBOL(${name})`));
  }

  offset(member: string): number | undefined {
    return dec(this.raw.get(`OFFSET(${member})`));
  }

  size(type: string): number | undefined {
    return dec(this.raw.get(`SIZE(${type})`));
  }

  length(name: string): number | undefined {
    return dec(this.raw.get(`LENGTH(${name})`));
  }

  /** NUMBER(name): decimal, may be negative. */
  number(name: string): bigint | undefined {
    const v = this.raw.get(`NUMBER(${name})`);
    if (v === undefined || !/^-?\d+$/.test(v)) return undefined;
    return BigInt(v);
  }

  /** KERNELOFFSET: the KASLR displacement of the kernel image, hex without 0x. */
  get kernelOffset(): bigint | undefined {
    return hex(this.raw.get('KERNELOFFSET'));
  }

  /** CRASHTIME: seconds since the epoch when the dump was taken (kdump only). */
  get crashTime(): number | undefined {
    return dec(this.raw.get('CRASHTIME'));
  }
}

function hex(v: string | undefined): bigint | undefined {
  if (v === undefined || !/^(0x)?[0-9a-fA-F]+$/.test(v)) return undefined;
  return BigInt('0x' + v.replace(/^0x/, ''));
}

function dec(v: string | undefined): number | undefined {
  if (v === undefined || !/^-?\d+$/.test(v)) return undefined;
  return Number(v);
}
