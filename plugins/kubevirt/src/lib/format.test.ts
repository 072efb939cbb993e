import { formatAge, formatDuration } from './format';

describe('formatDuration', () => {
  it('shows the two largest units', () => {
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration((2 * 3600 + 5 * 60 + 7) * 1000)).toBe('2h 5m');
    expect(formatDuration((3 * 86400 + 4 * 3600) * 1000)).toBe('3d 4h');
    expect(formatDuration(3 * 86400 * 1000)).toBe('3d 0h');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(-5_000)).toBe('0s');
  });
});

describe('formatAge', () => {
  it('says how long ago', () => {
    const now = Date.parse('2025-01-01T10:05:00Z');
    expect(formatAge('2025-01-01T10:00:00Z', now)).toBe('5m 0s ago');
    expect(formatAge(undefined, now)).toBe('');
  });
});
