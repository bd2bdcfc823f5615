/**
 * The IPv4 neighbour (ARP) cache: arp_tbl, a struct neigh_table whose nht points to a neigh_hash_table of
 * 1 << hash_shift buckets. Up to 6.12 each bucket is a chain of struct neighbour linked by `next`; 6.13 made
 * the buckets hlist heads (hash_heads) linked through neighbour.hash. A neighbour holds the IPv4 address
 * (primary_key, network byte order), the hardware address (ha), its net_device and nud_state.
 */
import type { Kernel } from '../kernel.js';

/** more neighbours than a table holds: where a walk of a damaged chain stops */
const MAX_CHAIN = 100_000;
/** neigh_hash_table.hash_shift above this is damage, not a table */
const MAX_HASH_SHIFT = 24;

export interface Neighbour {
  address: bigint;
  ip: string;
  /** the hardware address bytes, dev->addr_len of them */
  hw: number[];
  /** ARPHRD_* of the device */
  hwType: number;
  device: string;
  /** NUD_* bits */
  state: number;
}

export interface ArpCache {
  neighbours: Neighbour[];
  problems: string[];
}

export function arpCache(k: Kernel): ArpCache {
  if (!k.hasSymbol('arp_tbl')) throw new Error('arp_tbl does not exist in this kernel');
  const tbl = k.object('struct neigh_table', k.sym('arp_tbl'));
  const nht = tbl.field('nht').value();
  const out: ArpCache = { neighbours: [], problems: [] };
  if (nht === 0n) return out;
  const h = k.object('struct neigh_hash_table', nht);
  const shift = h.field('hash_shift').num();
  if (shift > MAX_HASH_SHIFT)
    throw new Error(`neigh_hash_table ${nht.toString(16)}: hash_shift ${shift} is not a table`);
  const hlist = h.has('hash_heads');
  const buckets = h.field(hlist ? 'hash_heads' : 'hash_buckets').value();
  const n = 1 << shift;
  const words = k.read(buckets, n * 8);
  const hashOff = hlist ? BigInt(k.offsetOf('struct neighbour', 'hash')) : 0n;
  const keyLen = tbl.field('key_len').num();
  for (let i = 0; i < n; i++) {
    let p = words.readBigUInt64LE(i * 8);
    if (hlist && p) p -= hashOff;
    for (let count = 0; p !== 0n && count < MAX_CHAIN; count++) {
      try {
        const nb = k.object('struct neighbour', p);
        const dev = nb.field('dev').deref();
        const addrLen = dev.field('addr_len').num();
        const key = k.read(nb.field('primary_key').address, Math.min(4, keyLen || 4));
        out.neighbours.push({
          address: p,
          ip: [...key].join('.'),
          hw: [...k.read(nb.field('ha').address, addrLen)],
          hwType: dev.field('type').num(),
          device: dev.field('name').cstring(),
          state: nb.field('nud_state').num(),
        });
        if (hlist) {
          const next = k.readU64(p + hashOff);
          p = next ? next - hashOff : 0n;
        } else p = nb.field('next').value();
      } catch (e) {
        out.problems.push(`hash bucket ${i}: ${(e as Error).message}`);
        break;
      }
    }
  }
  return out;
}
