/**
 * The expression engine every command shares: `p`'s C expressions (gdb's reading) and crash's address
 * arguments (`rd`, `eval`, `struct NAME ADDR`, `dis`, `sym`): symbols, symbol+offset, numbers,
 * arithmetic, casts, member access, `*`, `&`, `[]`, sizeof.
 *
 *   evaluate(k, 'init_task.comm')                       → Value {type: char [16], address}
 *   evaluate(k, '(struct task_struct *)0xffff...')      → Value {type: struct task_struct *, scalar}
 *   evaluateAddressExpression(k, 'schedule+16')          → bigint
 *   evaluateAddressExpression(k, 'init_task.tasks.next') → bigint (the pointer's value)
 */
export {
  evaluate,
  evaluateAddressExpression,
  integerOf,
  typeFromSpec,
  variableType,
  ExprError,
  UnknownTypeError,
  type Value,
  type EvalOptions,
} from './evaluate.js';
export { parseExpression, parseTypeName, type Expr, type TypeSpec } from './parser.js';
export { tokenize, type Dialect, type Token } from './lexer.js';
export { C_INT, C_UINT, C_LONG, C_ULONG, C_CHAR, C_VOID, pointerTo, arrayOf } from './ctypes.js';
