import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LzoError, lzo1xDecompress } from '../../src/dump/lzo.js';

interface Vector {
  name: string;
  plain: string;
  lzo1x_1: string;
  lzo1x_999: string;
}

// made by fixtures/make-lzo-vectors.c with the system liblzo2
const vectors = JSON.parse(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'lzo-vectors.json'), 'utf8'),
) as Vector[];

const b64 = (s: string) => Buffer.from(s, 'base64');

describe('lzo1xDecompress on liblzo2 output', () => {
  for (const v of vectors) {
    for (const c of ['lzo1x_1', 'lzo1x_999'] as const) {
      it(`${v.name} (${c})`, () => {
        const plain = b64(v.plain);
        const out = lzo1xDecompress(b64(v[c]), plain.length);
        expect(out.length).toBe(plain.length);
        expect(out.equals(plain)).toBe(true);
      });
    }
  }

  it('covers far (>32 KiB) matches and long literal runs', () => {
    const far = vectors.find((v) => v.name === 'text with far repeats')!;
    expect(b64(far.plain).length).toBeGreaterThan(40000);
    const random = vectors.find((v) => v.name === 'random page')!;
    expect(b64(random.lzo1x_1).length).toBeGreaterThan(4096); // incompressible: one long literal run
  });
});

describe('lzo1xDecompress on malformed input', () => {
  const text = vectors.find((v) => v.name === 'text with far repeats')!;
  const packed = b64(text.lzo1x_999);
  const plainLen = b64(text.plain).length;

  it('rejects empty input', () => {
    expect(() => lzo1xDecompress(Buffer.alloc(0), 4096)).toThrow(LzoError);
  });

  it('rejects output larger than the limit', () => {
    expect(() => lzo1xDecompress(packed, plainLen - 1)).toThrow(/exceed/);
  });

  it('rejects every truncation of a real stream', () => {
    for (let cut = 0; cut < packed.length; cut += 97) {
      expect(() => lzo1xDecompress(packed.subarray(0, cut), plainLen)).toThrow(LzoError);
    }
  });

  it('rejects a back-reference before the start of the output', () => {
    // one literal, then a 3-byte match 2 KiB back: 0x12 'x' | 01 0 111 00 (len 3, D=7) H=0xff
    expect(() => lzo1xDecompress(Buffer.from([0x12, 0x78, 0x5c, 0xff, 0x11, 0, 0]), 4096)).toThrow(/back-reference/);
  });

  it('rejects data after the end marker', () => {
    expect(() => lzo1xDecompress(Buffer.from([0x11, 0, 0, 0x55]), 4096)).toThrow(/after the end marker/);
  });

  it('never hangs or overruns on corrupted streams (flipped bytes, random data)', () => {
    let seed = 1;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8;
    const t0 = performance.now();
    for (let i = 0; i < 3000; i++) {
      const buf = Buffer.from(packed.subarray(0, 2000));
      for (let k = 0; k < 3; k++) buf[rnd() % buf.length] = rnd() & 255;
      const random = Buffer.from(Array.from({ length: 64 + (rnd() % 512) }, () => rnd() & 255));
      for (const input of [buf, random]) {
        try {
          const out = lzo1xDecompress(input, 4096);
          expect(out.length).toBeLessThanOrEqual(4096);
        } catch (e) {
          expect(e).toBeInstanceOf(LzoError);
        }
      }
    }
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});
