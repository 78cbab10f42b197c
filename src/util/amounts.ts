// Amounts as users type and read them: decimal strings ("1.5") in whole tokens, converted
// exactly to base units with the token's decimals (18 for ETH). Nothing is ever rounded.

/** "1.5" → 1500000000000000000n for 18 decimals; throws on anything that is not exact. */
export function parseAmount(text: string, decimals: number, what = "amount"): bigint {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) throw new Error(`${what} "${text}" is not a decimal number like 1.5`);
  const frac = m[2] ?? "";
  if (frac.length > decimals) throw new Error(`${what} "${text}" has ${frac.length} decimals, the token has ${decimals}`);
  return BigInt(m[1]! + frac.padEnd(decimals, "0"));
}

/** 1500000000000000000n → "1.5" for 18 decimals. */
export function formatAmount(value: bigint, decimals: number): string {
  const neg = value < 0n;
  const s = (neg ? -value : value).toString().padStart(decimals + 1, "0");
  const int = s.slice(0, s.length - decimals);
  const frac = s.slice(s.length - decimals).replace(/0+$/, "");
  return `${neg ? "-" : ""}${int}${frac ? `.${frac}` : ""}`;
}
