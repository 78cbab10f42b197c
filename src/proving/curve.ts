// The lifetime of snarkjs's shared bn128 curve (its worker threads) and a logger for snarkjs.
import { buildBn128 } from "ffjavascript";
import type { Log } from "../util/log.js";

let curveHolders = 0;

/**
 * Keeps snarkjs's shared bn128 curve alive until the returned `release` is called. snarkjs
 * builds the curve once per process (`globalThis.curve_bn128`) with worker threads that keep
 * the process from exiting; the last release terminates them (the next snarkjs call builds
 * a new curve).
 */
export function holdCurve(): () => Promise<void> {
  curveHolders++;
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    if (--curveHolders === 0) {
      const curve = (globalThis as { curve_bn128?: { terminate(): Promise<void> } | null }).curve_bn128;
      if (curve) await curve.terminate();
    }
  };
}

let curveBuild: Promise<unknown> | undefined;

/**
 * Makes sure snarkjs's shared bn128 curve (and its thread pool) exists before proofs or checks
 * run concurrently: calls that start together would each find no curve and build their own, and
 * only the shared one is terminated when the last Prover closes, so the other thread pools would
 * keep the process alive.
 */
export async function sharedCurveReady(): Promise<void> {
  curveBuild ??= buildBn128().finally(() => (curveBuild = undefined));
  await curveBuild;
}

/** Runs `fn` (which uses snarkjs) holding the curve; see holdCurve. */
export async function withCurve<T>(fn: () => Promise<T>): Promise<T> {
  const release = holdCurve();
  try {
    return await fn();
  } finally {
    await release();
  }
}

/**
 * A logger object for snarkjs that forwards to `log` with a prefix and the elapsed time,
 * rate-limits its chatty debug progress lines, and remembers the last error (some snarkjs
 * functions report failure only by logging an error and returning -1).
 */
export function snarkjsLogger(log: Log, prefix: string, debugEveryMs = 10_000) {
  const t0 = Date.now();
  let lastDebug = 0;
  let lastError: string | undefined;
  const emit = (m: unknown) => log(`${prefix} [${Math.round((Date.now() - t0) / 1000)}s] ${String(m).replace(/\s+/g, " ").trim()}`);
  return {
    logger: {
      error: (m: unknown) => {
        lastError = String(m);
        emit(m);
      },
      warn: emit,
      info: emit,
      log: emit,
      debug: (m: unknown) => {
        const now = Date.now();
        if (now - lastDebug >= debugEveryMs) {
          lastDebug = now;
          emit(m);
        }
      },
    },
    lastError: () => lastError,
  };
}
