/** A duration as its two largest units: `3d 4h`, `2h 5m`, `45s`. */
export function formatDuration(milliseconds: number): string {
  const seconds = Math.max(0, Math.floor(milliseconds / 1000));
  const units: Array<[string, number]> = [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ];
  const parts: string[] = [];
  let rest = seconds;
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0 || (parts.length > 0 && parts.length < 2)) {
      parts.push(`${count}${unit}`);
    }
    if (parts.length === 2) {
      break;
    }
  }
  return parts.length > 0 ? parts.join(' ') : '0s';
}

/** How long ago an ISO timestamp was: `5m ago`; empty when there is none. */
export function formatAge(timestamp: string | undefined, now: number): string {
  if (!timestamp) {
    return '';
  }
  const then = Date.parse(timestamp);
  if (Number.isNaN(then)) {
    return timestamp;
  }
  return `${formatDuration(now - then)} ago`;
}

/** An ISO timestamp in the reader's locale and time zone; the text itself if unparsable. */
export function formatTimestamp(timestamp: string): string {
  const then = Date.parse(timestamp);
  return Number.isNaN(then) ? timestamp : new Date(then).toLocaleString();
}
