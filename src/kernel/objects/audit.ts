/**
 * Audit records the kernel queued but kauditd had not yet sent to user space: sk_buff queues (struct
 * sk_buff_head, a circular list through sk_buff.next) named audit_hold_queue, audit_retry_queue and
 * audit_queue (4.11+), audit_skb_hold_queue and audit_skb_queue before. Each skb's data is a netlink
 * message: a struct nlmsghdr (its nlmsg_type is the record type, 1300 SYSCALL ...) then the record text.
 */
import type { Kernel } from '../kernel.js';

const NEW_QUEUES = ['audit_hold_queue', 'audit_retry_queue', 'audit_queue'];
const OLD_QUEUES = ['audit_skb_hold_queue', 'audit_skb_queue'];
/** more records than a queue holds (audit_backlog_limit is 64 by default): where a damaged walk stops */
const MAX_RECORDS = 1_000_000;
/** NLMSG_ALIGNTO */
const NLMSG_ALIGN = 4;

export interface AuditRecord {
  queue: string;
  skb: bigint;
  type: number;
  text: string;
}

export interface AuditLog {
  records: AuditRecord[];
  problems: string[];
}

/** The queued audit records, queue by queue; undefined when the kernel has no audit queues (no CONFIG_AUDIT). */
export function auditRecords(k: Kernel): AuditLog | undefined {
  const names = k.hasSymbol('audit_skb_queue') ? OLD_QUEUES : k.hasSymbol('audit_queue') ? NEW_QUEUES : undefined;
  if (!names) return undefined;
  const out: AuditLog = { records: [], problems: [] };
  const hdr = k.sizeOf('struct nlmsghdr');
  const hdrLen = Math.ceil(hdr / NLMSG_ALIGN) * NLMSG_ALIGN;
  const typeOff = BigInt(k.offsetOf('struct nlmsghdr', 'nlmsg_type'));
  for (const queue of names.filter((n) => k.hasSymbol(n))) {
    const head = k.sym(queue);
    try {
      let p = k.readU64(head);
      for (let n = 0; p !== head && p !== 0n && n < MAX_RECORDS; n++) {
        const skb = k.object('struct sk_buff', p);
        const len = skb.field('len').num();
        const data = skb.field('data').value();
        if (data === 0n) throw new Error(`sk_buff ${p.toString(16)}: data is NULL`);
        const type = Number(k.read(data + typeOff, 2).readUInt16LE(0));
        const body = k.read(data + BigInt(hdrLen), Math.max(0, len - hdrLen));
        const nul = body.indexOf(0);
        out.records.push({
          queue,
          skb: p,
          type,
          text: body.subarray(0, nul < 0 ? body.length : nul).toString('latin1'),
        });
        p = skb.field('next').value();
      }
    } catch (e) {
      out.problems.push(`${queue}: ${(e as Error).message}`);
    }
  }
  return out;
}
