// What a failed L1 call says: the revert data inside an ethers or JSON-RPC error, decoded.
import type { Interface } from "ethers";

/** Revert data (0x-prefixed hex) carried by an error from ethers or a JSON-RPC provider, if any. */
export function revertData(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  const visit = (e: unknown, depth: number): string | undefined => {
    if (e === null || typeof e !== "object" || seen.has(e) || depth > 6) return undefined;
    seen.add(e);
    const o = e as Record<string, unknown>;
    if (typeof o.data === "string" && /^0x([0-9a-fA-F]{2})*$/.test(o.data) && o.data.length >= 10) return o.data;
    for (const key of ["data", "error", "info", "cause", "revert"]) {
      const found = visit(o[key], depth + 1);
      if (found) return found;
    }
    return undefined;
  };
  return visit(err, 0);
}

/**
 * The custom error (or Error(string)/Panic) in an error's revert data, decoded with `iface`,
 * formatted as `Name(arg, ...)`; undefined if the error carries no revert data it knows.
 */
export function decodeRevert(err: unknown, iface: Interface): string | undefined {
  const data = revertData(err);
  if (!data) return undefined;
  const parsed = iface.parseError(data);
  if (!parsed) return undefined;
  return `${parsed.name}(${parsed.args.map((a) => String(a)).join(", ")})`;
}
