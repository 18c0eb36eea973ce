/**
 * A minimal reader of Python pickles (protocols 2 to 4), for what torch.save writes for a state
 * dict of tensors: dicts, lists, tuples, numbers, strings, globals called by REDUCE, and
 * persistent ids. It never runs Python code: a global is whatever `findGlobal` makes of it (a
 * JavaScript function for REDUCE to call, or a marker), and anything it does not know is an
 * error. Python dicts and OrderedDicts become Maps, lists and tuples arrays, ints numbers (bigint
 * past 2^53), bytes Buffers.
 */

export interface UnpickleHooks {
  /** The value GLOBAL / STACK_GLOBAL pushes for module.name; throws for a name it does not accept. */
  findGlobal(module: string, name: string): unknown;
  /** The object BINPERSID stands for (torch: a storage). */
  persistentLoad(id: unknown): unknown;
}

/** Why a pickle cannot be read, in words that finish "the pickle ...". */
export class PickleFormatError extends Error {}

/** The pickle stops before its STOP opcode: the caller may retry with more bytes. */
export class PickleTruncatedError extends PickleFormatError {}

const MARK = Symbol('mark');

/** Reads one pickle that starts at `start`; returns its value and the offset just past its STOP. */
export function unpickle(bytes: Buffer, start: number, hooks: UnpickleHooks): { value: unknown; end: number } {
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let p = start;
  const need = (n: number) => {
    if (p + n > bytes.length) throw new PickleTruncatedError(`ends at byte ${bytes.length}, inside an opcode at byte ${p}`);
  };
  const u8 = () => {
    need(1);
    return bytes[p++] as number;
  };
  const u16 = () => {
    need(2);
    p += 2;
    return bytes.readUInt16LE(p - 2);
  };
  const u32 = () => {
    need(4);
    p += 4;
    return bytes.readUInt32LE(p - 4);
  };
  const u64 = () => {
    need(8);
    p += 8;
    const value = bytes.readBigUInt64LE(p - 8);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new PickleFormatError(`has a length beyond 2^53 at byte ${p - 8}`);
    return Number(value);
  };
  const take = (n: number) => {
    need(n);
    p += n;
    return bytes.subarray(p - n, p);
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, p);
    if (end < 0) throw new PickleTruncatedError(`ends inside a text argument at byte ${p}`);
    const text = bytes.toString('latin1', p, end);
    p = end + 1;
    return text;
  };
  const pop = () => {
    if (stack.length === 0) throw new PickleFormatError(`pops an empty stack at byte ${p}`);
    return stack.pop();
  };
  const top = () => {
    if (stack.length === 0) throw new PickleFormatError(`reads an empty stack at byte ${p}`);
    return stack[stack.length - 1];
  };
  const popMark = () => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) throw new PickleFormatError(`has no MARK for the opcode at byte ${p - 1}`);
    return stack.splice(at).slice(1);
  };
  const setItems = (target: unknown, items: unknown[]) => {
    if (!(target instanceof Map)) throw new PickleFormatError(`sets items on something other than a dict at byte ${p - 1}`);
    for (let i = 0; i + 1 < items.length; i += 2) target.set(items[i], items[i + 1]);
  };
  const append = (target: unknown, items: unknown[]) => {
    if (!Array.isArray(target)) throw new PickleFormatError(`appends to something other than a list at byte ${p - 1}`);
    target.push(...items);
  };
  const signed = (raw: Buffer): number | bigint => {
    if (raw.length === 0) return 0;
    let value = 0n;
    for (let i = raw.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(raw[i] as number);
    if ((raw[raw.length - 1] as number) & 0x80) value -= 1n << BigInt(8 * raw.length);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  };

  for (;;) {
    const at = p;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) throw new PickleFormatError(`uses a pickle protocol above 5 at byte ${at}`);
        break;
      case 0x95: // FRAME: a length prefix only, the opcodes inside are read as they come
        u64();
        break;
      case 0x2e: // STOP
        return { value: pop(), end: p };
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        need(4);
        p += 4;
        stack.push(bytes.readInt32LE(p - 4));
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(signed(take(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(signed(take(u32())));
        break;
      case 0x47: // BINFLOAT
        need(8);
        p += 8;
        stack.push(bytes.readDoubleBE(p - 8));
        break;
      case 0x58: // BINUNICODE
        stack.push(take(u32()).toString('utf8'));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(take(u8()).toString('utf8'));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(take(u64()).toString('utf8'));
        break;
      case 0x54: // BINSTRING (Python 2 str): read as latin-1, as torch.load's default encoding does
        need(4);
        p += 4;
        stack.push(take(bytes.readInt32LE(p - 4)).toString('latin1'));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(take(u8()).toString('latin1'));
        break;
      case 0x42: // BINBYTES
        stack.push(Buffer.from(take(u32())));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(Buffer.from(take(u8())));
        break;
      case 0x8e: // BINBYTES8
        stack.push(Buffer.from(take(u64())));
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: {
        // APPEND
        const item = pop();
        append(top(), [item]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: {
        // DICT
        const dict = new Map();
        setItems(dict, popMark());
        stack.push(dict);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const key = op === 0x68 ? u8() : u32();
        if (!memo.has(key)) throw new PickleFormatError(`reads memo entry ${key}, never stored, at byte ${at}`);
        stack.push(memo.get(key));
        break;
      }
      case 0x63: {
        // GLOBAL
        const module = line();
        stack.push(hooks.findGlobal(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw new PickleFormatError(`has a STACK_GLOBAL without names at byte ${at}`);
        stack.push(hooks.findGlobal(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const callable = pop();
        if (typeof callable !== 'function' || !Array.isArray(args)) throw new PickleFormatError(`calls something that is not a known function at byte ${at}`);
        stack.push(callable(...args));
        break;
      }
      case 0x62: // BUILD: the state of a rebuilt object (a state dict's _metadata) is not needed
        pop();
        top();
        break;
      case 0x51: // BINPERSID
        stack.push(hooks.persistentLoad(pop()));
        break;
      default:
        throw new UnsupportedOpcodeError(op, at);
    }
  }
}

export class UnsupportedOpcodeError extends PickleFormatError {
  constructor(
    readonly opcode: number,
    readonly at: number,
  ) {
    super(`uses opcode 0x${opcode.toString(16).padStart(2, '0')} (${printable(opcode)}) at byte ${at}, which a state dict of tensors does not need`);
  }
}

function printable(opcode: number): string {
  return opcode >= 0x20 && opcode < 0x7f ? `'${String.fromCharCode(opcode)}'` : 'binary';
}
