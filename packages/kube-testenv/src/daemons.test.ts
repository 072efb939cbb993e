import { freePort, isPortFree } from './daemons';

describe('freePort', () => {
  it('never hands out the same port twice, even when the kernel offers it again', async () => {
    // The kernel may offer a just-closed ephemeral port again; a cluster's etcd peer
    // and apiserver once got the same port that way and the apiserver failed to bind.
    const ports: number[] = [];
    for (let i = 0; i < 200; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    expect(await isPortFree(ports[ports.length - 1])).toBe(true);
  });
});
