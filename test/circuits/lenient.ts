import { readFileSync } from "node:fs";
// circom_runtime is snarkjs's own witness runtime (the version snarkjs pins): the same code that
// computes every witness zkr proves, here instantiated over a patched module.
import { WitnessCalculatorBuilder } from "circom_runtime";

/**
 * A malicious prover's witness calculator: circom's own generated witness code for a circuit,
 * with every `===` check skipped. It computes every `<--` hint and `<==` assignment from the
 * inputs exactly as the honest calculator does, but where the honest one stops at a failed
 * assertion, this one carries on. So for an input that breaks a rule it returns the witness a
 * cheating prover would hand to snarkjs: it satisfies every constraint the rule does not guard,
 * and test/circuits/helpers.ts finds which constraints it violates (none, for a rule the circuit
 * forgot to enforce).
 *
 * How: circom compiles `a === b` (and `assert`) into
 *   if (!Fr_isTrue(a == b)) { buildBufferMessage(...); printErrorMessage(); return 4; }
 * and the runtime turns the error code 4 into "Assert Failed". In the wasm binary the tail of that
 * block is `call $printErrorMessage; i32.const 4; return`: the patch replaces `i32.const 4;
 * return` with three `nop`s, so the block records the message and falls through.
 */

/** Reads an unsigned LEB128 integer at `o`; returns [value, next offset]. */
function leb(b: Uint8Array, o: number): [number, number] {
  let v = 0;
  let shift = 0;
  for (;;) {
    const byte = b[o++];
    v += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [v, o];
    shift += 7;
  }
}

function lebBytes(v: number): number[] {
  const out: number[] = [];
  do {
    let byte = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Function index of the imported `module.field` (function imports are numbered first, in order). */
function importedFunctionIndex(wasm: Uint8Array, module: string, field: string): number {
  const text = new TextDecoder();
  let o = 8;
  while (o < wasm.length) {
    const id = wasm[o];
    const [size, start] = leb(wasm, o + 1);
    if (id === 2) {
      let p = start;
      let count: number;
      [count, p] = leb(wasm, p);
      let funcs = 0;
      for (let i = 0; i < count; i++) {
        let n: number;
        [n, p] = leb(wasm, p);
        const mod = text.decode(wasm.subarray(p, p + n));
        p += n;
        [n, p] = leb(wasm, p);
        const name = text.decode(wasm.subarray(p, p + n));
        p += n;
        const kind = wasm[p++];
        if (kind === 0) {
          [, p] = leb(wasm, p);
          if (mod === module && name === field) return funcs;
          funcs++;
        } else if (kind === 1) {
          p++; // reftype
          const flags = wasm[p++];
          [, p] = leb(wasm, p);
          if (flags & 1) [, p] = leb(wasm, p);
        } else if (kind === 2) {
          const flags = wasm[p++];
          [, p] = leb(wasm, p);
          if (flags & 1) [, p] = leb(wasm, p);
        } else if (kind === 3) {
          p += 2; // valtype, mutability
        } else {
          throw new Error(`wasm: unknown import kind ${kind}`);
        }
      }
      break;
    }
    o = start + size;
  }
  throw new Error(`wasm: no imported function ${module}.${field}`);
}

/** The module with every failed-assertion return turned into a fall-through; and how many it patched. */
export function patchAssertions(wasm: Uint8Array): { wasm: Uint8Array<ArrayBuffer>; patched: number } {
  const out = Uint8Array.from(wasm);
  const call = [0x10, ...lebBytes(importedFunctionIndex(wasm, "runtime", "printErrorMessage"))];
  const tail = [0x41, 0x04, 0x0f]; // i32.const 4; return
  const pattern = [...call, ...tail];
  let patched = 0;
  for (let i = 0; i + pattern.length <= out.length; i++) {
    let hit = true;
    for (let k = 0; k < pattern.length && hit; k++) hit = out[i + k] === pattern[k];
    if (!hit) continue;
    out.fill(0x01, i + call.length, i + pattern.length); // nop nop nop
    patched++;
    i += pattern.length - 1;
  }
  if (patched === 0) throw new Error("wasm: found no assertion to patch (not a circom witness calculator?)");
  return { wasm: out, patched };
}

export interface LenientWitness {
  /** The witness, wire by wire. */
  witness: bigint[];
  /** The same witness as a .wtns file (what snarkjs groth16.prove takes). */
  wtns: Uint8Array;
  /** One message per skipped check ("Error in template Num2Bits_61_3228 line: 38"). */
  skipped: string[];
}

/** Circuit wasm file → a calculator that skips every `===`. Compiles the module once. */
export class LenientWitnessCalculator {
  private constructor(private readonly module: WebAssembly.Module) {}

  static async load(wasmFile: string): Promise<LenientWitnessCalculator> {
    const { wasm } = patchAssertions(readFileSync(wasmFile));
    return new LenientWitnessCalculator(await WebAssembly.compile(wasm));
  }

  async compute(input: Record<string, unknown>): Promise<LenientWitness> {
    const skipped: string[] = [];
    const memory = new WebAssembly.Memory({ initial: 32767 });
    // eslint-disable-next-line prefer-const -- assigned once the imports that read it are built
    let instance: WebAssembly.Instance | undefined;
    const message = () => {
      const next = (instance!.exports as { getMessageChar(): number }).getMessageChar;
      let s = "";
      for (let c = next(); c !== 0; c = next()) s += String.fromCharCode(c);
      return s;
    };
    instance = await WebAssembly.instantiate(this.module, {
      env: { memory },
      runtime: {
        exceptionHandler(code: number) {
          throw new Error(`witness calculator error code ${code}: ${skipped.join(" | ")}`);
        },
        printErrorMessage() {
          skipped.push(message());
        },
        writeBufferMessage() {
          message();
        },
        showSharedRWMemory() {},
        printDebug() {},
      },
    });
    const calc = await WitnessCalculatorBuilder(instance);
    const witness = await calc.calculateWitness(input, true);
    const before = skipped.length;
    const wtns = await calc.calculateWTNSBin(input, true);
    skipped.splice(before); // the second run repeats the same messages
    return { witness, wtns, skipped };
  }
}
