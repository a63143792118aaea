// Reads function signatures of a module's imports and exports from its binary. JavaScript hosts
// accept any signature for an imported function, but wazero (Traefik) refuses a module whose
// import or export signatures differ from the ABI; this lets the test host refuse it too.

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'funcref' | 'externref';
export interface FuncType { params: ValType[]; results: ValType[] }
export interface ImportInfo { module: string; name: string; kind: 'function' | 'table' | 'memory' | 'global' | 'tag'; type?: FuncType }
export interface ExportInfo { name: string; kind: 'function' | 'table' | 'memory' | 'global' | 'tag'; type?: FuncType }
export interface ModuleInfo { imports: ImportInfo[]; exports: ExportInfo[]; hasStartSection: boolean }

const VALTYPES: Record<number, ValType> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref' };
const KINDS = ['function', 'table', 'memory', 'global', 'tag'] as const;

class Reader {
  pos = 0;
  constructor(readonly b: Uint8Array, readonly end = b.length) {}
  byte(): number {
    if (this.pos >= this.end) throw new Error('wasm: unexpected end of section');
    return this.b[this.pos++]!;
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = this.byte();
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
      if (shift > 35) throw new Error('wasm: bad LEB128');
    }
  }
  name(): string {
    const len = this.u32();
    const s = Buffer.from(this.b.subarray(this.pos, this.pos + len)).toString('utf8');
    this.pos += len;
    return s;
  }
  valtype(): ValType {
    const t = VALTYPES[this.byte()];
    if (!t) throw new Error('wasm: unknown value type');
    return t;
  }
  limits(): void {
    const flags = this.byte();
    this.u32();
    if (flags & 1) this.u32();
  }
}

/** Parses the type, import, function, export and start sections. */
export function readModuleInfo(bytes: Uint8Array): ModuleInfo {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error('wasm: not a WebAssembly binary');
  }
  const types: FuncType[] = [];
  const imports: ImportInfo[] = [];
  const funcTypes: FuncType[] = []; // function index space: imported functions first
  const exports: ExportInfo[] = [];
  let hasStartSection = false;
  const top = new Reader(bytes);
  top.pos = 8;
  while (top.pos < bytes.length) {
    const id = top.byte();
    const size = top.u32();
    const r = new Reader(bytes, top.pos + size);
    r.pos = top.pos;
    top.pos += size;
    if (id === 1) {
      for (let n = r.u32(); n > 0; n--) {
        if (r.byte() !== 0x60) throw new Error('wasm: unsupported type form');
        const params = Array.from({ length: r.u32() }, () => r.valtype());
        const results = Array.from({ length: r.u32() }, () => r.valtype());
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = r.u32(); n > 0; n--) {
        const module = r.name();
        const name = r.name();
        const kind = KINDS[r.byte()] ?? 'tag';
        if (kind === 'function') {
          const type = types[r.u32()];
          imports.push({ module, name, kind, type });
          funcTypes.push(type!);
        } else {
          if (kind === 'table') { r.byte(); r.limits(); }
          else if (kind === 'memory') r.limits();
          else if (kind === 'global') { r.valtype(); r.byte(); }
          else { r.byte(); r.u32(); }
          imports.push({ module, name, kind });
        }
      }
    } else if (id === 3) {
      for (let n = r.u32(); n > 0; n--) funcTypes.push(types[r.u32()]!);
    } else if (id === 7) {
      for (let n = r.u32(); n > 0; n--) {
        const name = r.name();
        const kind = KINDS[r.byte()] ?? 'tag';
        const index = r.u32();
        exports.push(kind === 'function' ? { name, kind, type: funcTypes[index] } : { name, kind });
      }
    } else if (id === 8) {
      hasStartSection = true;
    }
  }
  return { imports, exports, hasStartSection };
}

export function formatSignature(t: FuncType | undefined): string {
  if (!t) return '?';
  return `(${t.params.join(',')}) -> (${t.results.join(',')})`;
}

export function sameSignature(a: FuncType | undefined, b: FuncType): boolean {
  return !!a && a.params.join(',') === b.params.join(',') && a.results.join(',') === b.results.join(',');
}
