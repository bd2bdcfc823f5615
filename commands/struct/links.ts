/**
 * The terminal UI's next view from a line of `struct NAME ADDRESS`: a pointer member opens `struct TARGET VALUE`
 * when it points to a named struct or union, else `rd -s VALUE 8`. The printed lines are walked along the type:
 * `name = {` enters a member, a bare `{` an anonymous member or an array element, `}` leaves.
 */
import { findMember, resolve, type Type } from '../../src/kernel/types/type.js';

const OPEN_MEMBER = /^\s*([A-Za-z_]\w*) = \{$/;
const OPEN_BARE = /^\s*\{$/;
const CLOSE = /^\s*\},?$/;
const POINTER = /^\s*([A-Za-z_]\w*) = (0x[0-9a-f]+),?$/;

function memberType(outer: Type | undefined, name: string): Type | undefined {
  if (!outer) return undefined;
  const r = resolve(outer);
  if (r.kind === 'array') return undefined;
  return findMember(r, name)?.member.type;
}

/** One action per line (undefined where nothing opens); `lines[0]` is the `struct NAME {` line. */
export function structLineActions(t: Type, lines: string[]): (string | undefined)[] {
  // the type each open brace is in; undefined where the walk lost track (it then opens nothing inside)
  const stack: (Type | undefined)[] = [];
  return lines.map((line, i) => {
    if (i === 0) {
      stack.push(t);
      return undefined;
    }
    const top = stack[stack.length - 1];
    let m = OPEN_MEMBER.exec(line);
    if (m) {
      stack.push(memberType(top, m[1]!));
      return undefined;
    }
    if (OPEN_BARE.test(line)) {
      const r = top && resolve(top);
      // an array's element, or an anonymous member (whose members findMember reaches from the outer type)
      stack.push(r?.kind === 'array' ? r.target : top);
      return undefined;
    }
    if (CLOSE.test(line)) {
      stack.pop();
      return undefined;
    }
    m = POINTER.exec(line);
    if (!m || BigInt(m[2]!) === 0n) return undefined;
    const mt = memberType(top, m[1]!);
    const r = mt && resolve(mt);
    if (r?.kind !== 'pointer') return undefined;
    const to = r.target && resolve(r.target);
    if (to && (to.kind === 'struct' || to.kind === 'union') && to.name) return `${to.kind} ${to.name} ${m[2]}`;
    return `rd -s ${m[2]} 8`;
  });
}
