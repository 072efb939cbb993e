import { Quantity } from '../kube/Quantity';

const BINARY_UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** Application Aware Quota's VM resources (`requests.memory/vmi`, `cpu/vmi`) read as their base. */
function baseResource(resource: string): string {
  return resource.replace(/\/vmi$/, '');
}

function isByteResource(resource: string): boolean {
  return /(^|\.|\/)(memory|storage|ephemeral-storage|hugepages-[^/]+)$/.test(
    baseResource(resource),
  );
}

function isCpuResource(resource: string): boolean {
  const base = baseResource(resource);
  return base === 'cpu' || base.endsWith('.cpu');
}

function trimDecimals(text: string): string {
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

/** `value` rounded to `decimals` places, up when `roundUp`, else to nearest. */
function decimal(
  nanos: bigint,
  scaleNanos: bigint,
  decimals: number,
  roundUp: boolean,
): string {
  const factor = 10n ** BigInt(decimals);
  const numerator = nanos * factor;
  let scaled = numerator / scaleNanos;
  const rest = numerator % scaleNanos;
  if (roundUp ? rest > 0n : rest * 2n >= scaleNanos) scaled += 1n;
  const whole = scaled / factor;
  const fraction = (scaled % factor).toString().padStart(decimals, '0');
  return trimDecimals(decimals > 0 ? `${whole}.${fraction}` : `${whole}`);
}

/**
 * A quantity of a quota resource in words a VM admin reads: bytes in binary units
 * with one decimal (`50.3 GiB`), CPU in cores (`2.5 CPUs`, `0.205 CPU`), counts as
 * whole numbers. `roundUp` rounds up instead of to the nearest (for shortfalls, so
 * that asking for the shown amount is enough).
 *
 * @public
 */
export function formatQuantityForHumans(
  resource: string,
  quantity: Quantity,
  roundUp = false,
): string {
  const negative = quantity.nanos < 0n;
  const nanos = negative ? -quantity.nanos : quantity.nanos;
  const sign = negative ? '-' : '';
  if (isByteResource(resource)) {
    let unit = 0;
    let scale = 1_000_000_000n;
    while (unit < BINARY_UNITS.length - 1 && nanos >= scale * 1024n) {
      scale *= 1024n;
      unit++;
    }
    return `${sign}${decimal(nanos, scale, unit === 0 ? 0 : 1, roundUp)} ${
      BINARY_UNITS[unit]
    }`;
  }
  if (isCpuResource(resource)) {
    const text = decimal(nanos, 1_000_000_000n, 3, roundUp);
    const plural = nanos > 1_000_000_000n && text !== '1';
    return `${sign}${text} ${plural ? 'CPUs' : 'CPU'}`;
  }
  return `${sign}${decimal(nanos, 1_000_000_000n, 0, true)}`;
}
