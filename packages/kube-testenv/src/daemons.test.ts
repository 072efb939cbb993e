import { claimPorts, freePort, isPortFree } from './daemons';

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

describe('claimPorts', () => {
  it("claims a cluster's saved ports unless another one got them, and lets it claim them again", async () => {
    // Two clusters in one process: the one reusing last run's ports must not get a
    // port just handed to the other, nor have its own handed out meanwhile.
    const other = await freePort('cluster-2');
    expect(claimPorts([other], 'cluster-1')).toBe(false);
    const saved = [other + 1, other + 2].map(p => (p > 65535 ? p - 2000 : p));
    expect(claimPorts(saved, 'cluster-1')).toBe(true);
    expect(claimPorts([saved[1]], 'cluster-2')).toBe(false);
    // Started again in the same process, the cluster keeps its ports (etcd's data names its peer port).
    expect(claimPorts(saved, 'cluster-1')).toBe(true);
    const own = await freePort('cluster-1');
    expect(claimPorts([...saved, own], 'cluster-1')).toBe(true);
    // A refused claim claims nothing.
    const spare = saved[1] + 10;
    expect(claimPorts([saved[0], spare], 'cluster-3')).toBe(false);
    expect(claimPorts([spare], 'cluster-4')).toBe(true);
  });
});
