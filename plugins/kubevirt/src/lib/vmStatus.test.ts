import { statusKind, targetStatus } from './vmStatus';

describe('statusKind', () => {
  it.each([
    ['Running', 'ok'],
    ['Stopped', 'stopped'],
    ['Paused', 'paused'],
    ['Stopping', 'changing'],
    ['Starting', 'changing'],
    ['Migrating', 'changing'],
    ['CrashLoopBackOff', 'error'],
    ['ErrorUnschedulable', 'error'],
    ['Unknown', 'error'],
  ])('%s is %s', (status, kind) => {
    expect(statusKind(status)).toBe(kind);
  });
});

describe('targetStatus', () => {
  it('knows where each action leads', () => {
    expect(targetStatus('stop')).toBe('Stopped');
    expect(targetStatus('start')).toBe('Running');
    expect(targetStatus('restart')).toBe('Running');
    expect(targetStatus('pause')).toBe('Paused');
    expect(targetStatus('unpause')).toBe('Running');
  });
});
