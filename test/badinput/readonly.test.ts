/**
 * Item 5: the dump and the vmlinux are opened read-only. Copies of the sample pair go through a
 * session of several commands; their bytes (sha256) and mtimes must be unchanged afterwards.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { built, cli, sampleVmcore, sampleVmlinux } from './fixtures.js';

const fingerprint = (p: string) => ({
  sha256: createHash('sha256').update(readFileSync(p)).digest('hex'),
  mtimeMs: statSync(p).mtimeMs,
  size: statSync(p).size,
});

it.runIf(built)(
  'a session leaves the vmcore and the vmlinux byte-for-byte and mtime unchanged',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'crash-ts-readonly-'));
    try {
      const vmlinux = join(dir, 'vmlinux.gz');
      const vmcore = join(dir, 'vmcore');
      copyFileSync(sampleVmlinux, vmlinux);
      copyFileSync(sampleVmcore, vmcore);
      // an old mtime, so that any write (even of the same bytes) would show
      const past = new Date('2020-01-02T03:04:05Z');
      utimesSync(vmlinux, past, past);
      utimesSync(vmcore, past, past);
      const before = [fingerprint(vmlinux), fingerprint(vmcore)];
      const r = cli(
        [vmlinux, vmcore],
        'sys\nps\nlog\nbt\nbt -a\nrd linux_banner 16\nrd -p 0x120000\nset zero_excluded on\nq\n',
        120_000,
      );
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('RELEASE: 6.1.0-56-cloud-amd64');
      expect([fingerprint(vmlinux), fingerprint(vmcore)]).toEqual(before);
      expect(before[1]!.mtimeMs).toBe(past.getTime());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  180_000,
);
