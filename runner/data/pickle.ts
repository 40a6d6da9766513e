// A reader for the subset of Python's pickle format that plain data files use: protocols 2–5 with
// None, bools, ints (including LONG1), floats, str, bytes, lists, tuples and dicts, plus the memo.
// It exists so the NQ split's `doc_list.pkl` / `doc_class.pkl` load without a Python step.
// It never executes anything: GLOBAL/REDUCE and other object-building opcodes (numpy arrays,
// custom classes) are rejected with the opcode and offset, never guessed at.

import type { Result } from '../result.js';
import { err, ok } from '../result.js';

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | Map<PickleValue, PickleValue>;

export interface PickleError {
  offset: number;
  detail: string;
}

const MARK = Symbol('mark');
type Slot = PickleValue | typeof MARK;

export function readPickle(buf: Uint8Array): Result<PickleValue, PickleError> {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dec = new TextDecoder('utf-8', { fatal: true });
  const stack: Slot[] = [];
  const memo = new Map<number, PickleValue>();
  let p = 0;
  const fail = (detail: string): { ok: false; error: PickleError } => err({ offset: p, detail });
  const need = (n: number): boolean => p + n <= buf.length;
  const popMark = (): Slot[] | undefined => {
    const i = stack.lastIndexOf(MARK);
    if (i === -1) return undefined;
    const items = stack.splice(i);
    items.shift();
    return items;
  };
  const top = (): Slot | undefined => stack[stack.length - 1];
  const str = (n: number): string => dec.decode(buf.subarray(p, p + n));

  while (p < buf.length) {
    const op = buf[p] ?? 0;
    const at = p;
    p++;
    try {
      switch (op) {
        case 0x80:
          p++;
          break; // PROTO n
        case 0x95:
          p += 8;
          break; // FRAME len
        case 0x2e: {
          // STOP
          const v = stack.pop();
          if (v === undefined || v === MARK) return fail('STOP with an empty stack');
          return ok(v);
        }
        case 0x4e:
          stack.push(null);
          break; // NONE
        case 0x88:
          stack.push(true);
          break;
        case 0x89:
          stack.push(false);
          break;
        case 0x4a:
          if (!need(4)) return fail('truncated');
          stack.push(view.getInt32(p, true));
          p += 4;
          break; // BININT
        case 0x4b:
          stack.push(buf[p] ?? 0);
          p += 1;
          break; // BININT1
        case 0x4d:
          stack.push(view.getUint16(p, true));
          p += 2;
          break; // BININT2
        case 0x8a: {
          // LONG1
          const n = buf[p] ?? 0;
          p++;
          let v = 0n;
          for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[p + i] ?? 0);
          if (n > 0 && ((buf[p + n - 1] ?? 0) & 0x80) !== 0) v -= 1n << BigInt(8 * n);
          p += n;
          stack.push(
            v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
              ? Number(v)
              : v,
          );
          break;
        }
        case 0x47:
          stack.push(view.getFloat64(p, false));
          p += 8;
          break; // BINFLOAT (big-endian)
        case 0x8c: {
          const n = buf[p] ?? 0;
          p++;
          if (!need(n)) return fail('truncated');
          stack.push(str(n));
          p += n;
          break;
        } // SHORT_BINUNICODE
        case 0x58: {
          const n = view.getUint32(p, true);
          p += 4;
          if (!need(n)) return fail('truncated');
          stack.push(str(n));
          p += n;
          break;
        } // BINUNICODE
        case 0x8d: {
          const n = Number(view.getBigUint64(p, true));
          p += 8;
          if (!need(n)) return fail('truncated');
          stack.push(str(n));
          p += n;
          break;
        } // BINUNICODE8
        case 0x43: {
          const n = buf[p] ?? 0;
          p++;
          stack.push(buf.slice(p, p + n));
          p += n;
          break;
        } // SHORT_BINBYTES
        case 0x42: {
          const n = view.getUint32(p, true);
          p += 4;
          stack.push(buf.slice(p, p + n));
          p += n;
          break;
        } // BINBYTES
        case 0x5d:
          stack.push([]);
          break; // EMPTY_LIST
        case 0x7d:
          stack.push(new Map());
          break; // EMPTY_DICT
        case 0x29:
          stack.push([]);
          break; // EMPTY_TUPLE (tuples read as arrays)
        case 0x28:
          stack.push(MARK);
          break;
        case 0x85:
        case 0x86:
        case 0x87: {
          // TUPLE1..3
          const n = op - 0x84;
          if (stack.length < n) return fail('tuple with too few items');
          stack.push(stack.splice(stack.length - n) as PickleValue[]);
          break;
        }
        case 0x74:
        case 0x6c: {
          // TUPLE, LIST
          const items = popMark();
          if (items === undefined) return fail('no MARK');
          stack.push(items as PickleValue[]);
          break;
        }
        case 0x61: {
          // APPEND
          const v = stack.pop();
          const l = top();
          if (!Array.isArray(l) || v === undefined || v === MARK)
            return fail('APPEND to a non-list');
          l.push(v);
          break;
        }
        case 0x65: {
          // APPENDS
          const items = popMark();
          const l = top();
          if (items === undefined || !Array.isArray(l)) return fail('APPENDS to a non-list');
          for (const x of items) l.push(x as PickleValue);
          break;
        }
        case 0x64:
        case 0x75: {
          // DICT, SETITEMS
          const items = popMark();
          if (items === undefined) return fail('no MARK');
          const d = op === 0x64 ? new Map<PickleValue, PickleValue>() : top();
          if (!(d instanceof Map)) return fail('SETITEMS on a non-dict');
          for (let i = 0; i + 1 < items.length; i += 2)
            d.set(items[i] as PickleValue, items[i + 1] as PickleValue);
          if (op === 0x64) stack.push(d);
          break;
        }
        case 0x73: {
          // SETITEM
          const v = stack.pop();
          const k = stack.pop();
          const d = top();
          if (!(d instanceof Map)) return fail('SETITEM on a non-dict');
          d.set(k as PickleValue, v as PickleValue);
          break;
        }
        case 0x94: {
          const v = top();
          if (v === undefined || v === MARK) return fail('MEMOIZE with an empty stack');
          memo.set(memo.size, v);
          break;
        } // MEMOIZE
        case 0x71: {
          const v = top();
          if (v === undefined || v === MARK) return fail('BINPUT with an empty stack');
          memo.set(buf[p] ?? 0, v);
          p++;
          break;
        }
        case 0x72: {
          const v = top();
          if (v === undefined || v === MARK) return fail('LONG_BINPUT with an empty stack');
          memo.set(view.getUint32(p, true), v);
          p += 4;
          break;
        }
        case 0x68:
        case 0x6a: {
          // BINGET, LONG_BINGET
          const k = op === 0x68 ? (buf[p] ?? 0) : view.getUint32(p, true);
          p += op === 0x68 ? 1 : 4;
          const v = memo.get(k);
          if (v === undefined) return fail(`memo ${String(k)} not set`);
          stack.push(v);
          break;
        }
        default:
          p = at;
          return fail(
            `unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} (only lists/dicts of str/int/float are read; save plain Python data)`,
          );
      }
    } catch (e) {
      p = at;
      return fail(
        e instanceof RangeError ? 'truncated file' : `bad data (${(e as Error).message})`,
      );
    }
  }
  return fail('no STOP opcode: truncated file');
}
