import {
  applyLimitRanges,
  applyPodApiDefaults,
  ContainerResources,
  formatResourceList,
  missingQuotaConstraints,
  parseResourceList,
  podContainerResources,
  podQuotaUsage,
  podResourceTotals,
} from './podResources';

const container = (
  name: string,
  kind: ContainerResources['kind'],
  requests: Record<string, string>,
  limits: Record<string, string> = {},
): ContainerResources => ({
  name,
  kind,
  requests: parseResourceList(requests),
  limits: parseResourceList(limits),
});

describe('pod resources', () => {
  it('sums app containers and sidecars, and raises to the largest init container with the sidecars before it', () => {
    const totals = podResourceTotals([
      container('compute', 'container', { cpu: '200m', memory: '4372Mi' }),
      container('guest-console-log', 'sidecar', { cpu: '5m', memory: '35M' }),
      container('big-init', 'init', { cpu: '1', memory: '100M' }),
      container('late-sidecar', 'sidecar', { cpu: '10m', memory: '1M' }),
    ]);
    // app + sidecars = 215m; big-init runs with the first sidecar only: 1005m.
    expect(formatResourceList(totals.requests)).toEqual({
      cpu: '1005m',
      memory: '4620374272',
    });
  });

  it("reads a pod spec's containers in pod order, restartable init containers as sidecars", () => {
    const containers = podContainerResources({
      containers: [
        { name: 'compute', resources: { requests: { cpu: '100m' } } },
      ],
      initContainers: [
        {
          name: 'guest-console-log',
          restartPolicy: 'Always',
          resources: { limits: { memory: '60M' } },
        },
        { name: 'container-disk-binary' },
      ],
    });
    expect(
      containers.map(c => [
        c.name,
        c.kind,
        formatResourceList(c.requests),
        formatResourceList(c.limits),
      ]),
    ).toEqual([
      ['guest-console-log', 'sidecar', {}, { memory: '60M' }],
      ['container-disk-binary', 'init', {}, {}],
      ['compute', 'container', { cpu: '100m' }, {}],
    ]);
    expect(() =>
      podContainerResources({
        containers: [{ name: 'c', resources: { limits: { cpu: 'lots' } } }],
      }),
    ).toThrow("cpu: 'lots' is not a quantity");
  });

  it('copies limits to missing requests and rounds every amount up to thousandths, like the API server', () => {
    const [defaulted] = applyPodApiDefaults([
      container(
        'c',
        'container',
        { cpu: '1333333334n' },
        { memory: '1Gi', 'devices.kubevirt.io/kvm': '1' },
      ),
    ]);
    expect(formatResourceList(defaulted.requests)).toEqual({
      cpu: '1334m',
      'devices.kubevirt.io/kvm': '1',
      memory: '1Gi',
    });
  });

  it('fills what containers leave unset from the first LimitRange by name that has a default', () => {
    const outcome = applyLimitRanges(
      applyPodApiDefaults([
        container(
          'compute',
          'container',
          { cpu: '100m', memory: '1Gi' },
          { cpu: '1' },
        ),
        container('helper', 'init', {}),
      ]),
      [
        {
          metadata: { name: 'b-second' },
          spec: {
            limits: [
              { type: 'Container', default: { memory: '8Gi', cpu: '4' } },
            ],
          },
        },
        {
          metadata: { name: 'a-first' },
          spec: {
            limits: [
              {
                type: 'Container',
                default: { memory: '2Gi' },
                defaultRequest: { memory: '64Mi' },
              },
            ],
          },
        },
      ],
    );
    expect(outcome.problems).toEqual([]);
    expect(
      outcome.containers.map(c => [
        c.name,
        formatResourceList(c.requests),
        formatResourceList(c.limits),
      ]),
    ).toEqual([
      ['compute', { cpu: '100m', memory: '1Gi' }, { cpu: '1', memory: '2Gi' }],
      // default without defaultRequest: the stored LimitRange's defaultRequest is the default.
      ['helper', { cpu: '4', memory: '64Mi' }, { cpu: '4', memory: '2Gi' }],
    ]);
  });

  it('says why LimitRanger or the API server would refuse the pod', () => {
    const outcome = applyLimitRanges(
      applyPodApiDefaults([
        container('compute', 'container', { cpu: '100m', memory: '4Gi' }),
      ]),
      [
        {
          metadata: { name: 'limits' },
          spec: {
            limits: [
              {
                type: 'Container',
                default: { memory: '1Gi' },
                min: { cpu: '200m' },
                maxLimitRequestRatio: { cpu: '4' },
              },
              { type: 'Pod', max: { memory: '512Mi' } },
            ],
          },
        },
      ],
    );
    expect(outcome.problems).toEqual([
      "the compute container's memory request 4Gi is above its limit 1Gi (a default of LimitRange limits), so the API server would refuse the pod",
      'LimitRange limits: minimum cpu per container (compute) is 200m, but the request is 100m',
      'LimitRange limits: cpu limit and request must both be set per container (compute) (maximum limit/request ratio 4)',
      'LimitRange limits: maximum memory per pod is 512Mi, but the limit is 1Gi',
    ]);
  });

  it('counts what a pod adds to quota resources', () => {
    const usage = podQuotaUsage(
      podResourceTotals(
        applyPodApiDefaults([
          container(
            'compute',
            'container',
            { cpu: '1', memory: '1Gi', 'ephemeral-storage': '50M' },
            {
              'hugepages-2Mi': '2Gi',
              'devices.kubevirt.io/kvm': '1',
              memory: '1Gi',
            },
          ),
        ]),
      ),
    );
    expect(formatResourceList(usage)).toEqual({
      'count/pods': '1',
      cpu: '1',
      'ephemeral-storage': '50M',
      'hugepages-2Mi': '2Gi',
      'limits.memory': '1Gi',
      memory: '1Gi',
      pods: '1',
      'requests.cpu': '1',
      'requests.devices.kubevirt.io/kvm': '1',
      'requests.ephemeral-storage': '50M',
      'requests.hugepages-2Mi': '2Gi',
      'requests.memory': '1Gi',
    });
  });

  it('names containers that lack what a quota requires of each container', () => {
    const missing = missingQuotaConstraints(
      [
        container(
          'compute',
          'container',
          { cpu: '1', memory: '1Gi' },
          { cpu: '1' },
        ),
        container('sidecar', 'sidecar', { cpu: '5m' }),
      ],
      ['limits.cpu', 'requests.memory', 'services'],
    );
    expect([...missing]).toEqual([
      ['limits.cpu', ['sidecar']],
      ['requests.memory', ['sidecar']],
    ]);
  });
});
