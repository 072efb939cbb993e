import { WorkQueue } from './WorkQueue';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>(r => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('WorkQueue', () => {
  it('never runs a key twice at once, and runs it again if it was added meanwhile', async () => {
    const gate = deferred();
    const done = deferred();
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const queue = new WorkQueue(async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      runs++;
      if (runs === 1) await gate.promise;
      running--;
      if (runs === 2) done.resolve();
    });
    queue.add('vm|ns|a');
    queue.add('vm|ns|a');
    queue.add('vm|ns|a');
    gate.resolve();
    await done.promise;
    await queue.stop();
    expect(maxRunning).toBe(1);
    expect(runs).toBe(2);
  });

  it('retries a failing key with backoff and reports the failure', async () => {
    const done = deferred();
    const errors: string[] = [];
    let attempts = 0;
    const queue = new WorkQueue(
      async () => {
        attempts++;
        if (attempts < 3) throw new Error(`attempt ${attempts} failed`);
        done.resolve();
      },
      {
        baseBackoffMs: 10,
        onError: (key, error, retryInMs) =>
          errors.push(`${key}: ${(error as Error).message} +${retryInMs}`),
      },
    );
    queue.add('vm|ns|a');
    await done.promise;
    await queue.stop();
    expect(errors).toEqual([
      'vm|ns|a: attempt 1 failed +10',
      'vm|ns|a: attempt 2 failed +20',
    ]);
  });
});
