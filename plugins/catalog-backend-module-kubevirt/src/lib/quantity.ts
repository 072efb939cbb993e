const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
};
const DECIMAL: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
};

/** Bytes of a Kubernetes memory quantity (`4Gi`, `512M`, `1.5Gi`, `1e9`), or undefined. */
export function parseMemoryQuantity(
  value: string | undefined,
): number | undefined {
  if (!value) return undefined;
  const match =
    /^([0-9]+(?:\.[0-9]+)?)(?:e([0-9]+))?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/.exec(
      value.trim(),
    );
  if (!match) return undefined;
  const [, number, exponent, suffix = ''] = match;
  const multiplier = BINARY[suffix] ?? DECIMAL[suffix];
  const bytes =
    Number(number) * (exponent ? 10 ** Number(exponent) : 1) * multiplier;
  return Number.isFinite(bytes) ? Math.round(bytes) : undefined;
}

/**
 * A memory quantity in the largest binary unit that divides it (`4096Mi` becomes
 * `4Gi`), so equal sizes get equal labels.
 */
export function formatMemory(value: string | undefined): string | undefined {
  const bytes = parseMemoryQuantity(value);
  if (bytes === undefined || bytes <= 0) return undefined;
  for (const unit of ['Pi', 'Ti', 'Gi', 'Mi', 'Ki']) {
    if (bytes % BINARY[unit] === 0) return `${bytes / BINARY[unit]}${unit}`;
  }
  return String(bytes);
}
