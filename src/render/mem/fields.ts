/**
 * Field helpers for crash's memory-command layouts: justification inside a width (crash centres column
 * headers, with the odd space on the side named), and its page-count-to-size wording.
 */

export type Justify = 'left' | 'right' | 'center' | 'center-right';

/**
 * `s` padded to `width`: left- or right-justified, or centred (the odd space goes right for 'center', left for
 * 'center-right'). Longer strings are returned as they are.
 */
export function fit(s: string, width: number, how: Justify): string {
  const extra = width - s.length;
  if (extra <= 0) return s;
  switch (how) {
    case 'left':
      return s + ' '.repeat(extra);
    case 'right':
      return ' '.repeat(extra) + s;
    case 'center': {
      const left = Math.floor(extra / 2);
      return ' '.repeat(left) + s + ' '.repeat(extra - left);
    }
    case 'center-right': {
      const right = Math.floor(extra / 2);
      return ' '.repeat(extra - right) + s + ' '.repeat(right);
    }
  }
}

export const hex = (v: bigint): string => v.toString(16);

const KB = 1024;
const MB = 1024 * KB;
const GB = 1024 * MB;

/** A page count as crash words a size: "0", "512 KB", "13.5 MB", "1 GB" (one decimal, ".0" dropped). */
export function pagesToSize(pages: bigint, pageSize = 4096): string {
  if (pages === 0n) return '0';
  const bytes = Number(pages) * pageSize;
  let s: string;
  if (bytes >= GB) s = `${(bytes / GB).toFixed(1)} GB`;
  else if (bytes >= MB) s = `${(bytes / MB).toFixed(1)} MB`;
  else return `${Math.floor(bytes / KB)} KB`;
  return s.replace('.0 ', ' ');
}

/** 100 × part / whole in integer arithmetic (crash's percentages), 0 for an empty whole. */
export function percent(part: bigint, whole: bigint): bigint {
  return whole === 0n ? 0n : (part * 100n) / whole;
}
