import { Quantity } from '../kube/Quantity';
import type { KubeVirtConfigurationLike } from '../kube/kubevirtObjects';

/**
 * The KubeVirt release whose launcher-pod arithmetic this package follows.
 *
 * @public
 */
export const KUBEVIRT_VERSION = 'v1.9.0';

// Feature gates that change the launcher pod, and their state in KubeVirt v1.9.0
// (pkg/virt-config/featuregate): Beta gates are on unless disabled.
const FEATURE_GATE_STATES: Record<string, 'Alpha' | 'Beta' | 'GA'> = {
  ImageVolume: 'Beta',
  ExternalNetResourceInjection: 'Beta',
  IOMMUFD: 'Alpha',
  EnableVirtioFsStorageVolumes: 'Alpha',
  HostDevices: 'Alpha',
  DownwardMetrics: 'Alpha',
  ReservedOverheadMemlock: 'Alpha',
  Sidecar: 'Alpha',
  AlignCPUs: 'Alpha',
  VSOCK: 'Alpha',
};

/** KubeVirt's configuration with v1.9.0's defaults filled in. */
export interface ResolvedKubeVirtSettings {
  cpuAllocationRatio: number;
  memoryOvercommit: number;
  cpuRequest: Quantity;
  cpuRequestIsDefault: boolean;
  additionalGuestMemoryOverheadRatio?: string;
  allowEmulation: boolean;
  serialConsoleLogDisabled: boolean;
  defaultArchitecture: string;
  defaultNetworkInterface: string;
  permitBridgeInterfaceOnPodNetwork: boolean;
  featureGate(name: string): boolean;
  supportContainer(
    type: string,
    which: 'requests' | 'limits',
    resource: string,
  ): Quantity | undefined;
  config: KubeVirtConfigurationLike;
}

/**
 * Fills in KubeVirt v1.9.0's defaults (cpuAllocationRatio 10, memoryOvercommit 100,
 * cpuRequest 100m, bridge default interface). Throws for settings KubeVirt would
 * refuse (a ratio or overcommit of zero or less).
 *
 * The default architecture is the KubeVirt CR's `status.defaultArchitecture` (amd64
 * when not known): KubeVirt overwrites the spec's with it (virt-config's
 * setConfigFromKubeVirt).
 */
export function resolveKubeVirtSettings(
  config: KubeVirtConfigurationLike = {},
  defaultArchitecture?: string,
): ResolvedKubeVirtSettings {
  const dev = config.developerConfiguration ?? {};
  const cpuAllocationRatio = dev.cpuAllocationRatio || 10;
  const memoryOvercommit = dev.memoryOvercommit || 100;
  if (!Number.isInteger(cpuAllocationRatio) || cpuAllocationRatio <= 0) {
    throw new Error(
      `developerConfiguration.cpuAllocationRatio ${cpuAllocationRatio} is not valid: KubeVirt needs a whole number of 1 or more`,
    );
  }
  if (!Number.isInteger(memoryOvercommit) || memoryOvercommit <= 0) {
    throw new Error(
      `developerConfiguration.memoryOvercommit ${memoryOvercommit} is not valid: KubeVirt needs a whole number of 1 or more`,
    );
  }
  const defaultCpuRequest = Quantity.parse('100m');
  const cpuRequest = config.cpuRequest
    ? Quantity.parse(config.cpuRequest)
    : defaultCpuRequest;
  const enabled = new Set(dev.featureGates ?? []);
  const disabled = new Set(dev.disabledFeatureGates ?? []);
  return {
    cpuAllocationRatio,
    memoryOvercommit,
    cpuRequest,
    cpuRequestIsDefault: cpuRequest.equals(defaultCpuRequest),
    additionalGuestMemoryOverheadRatio:
      config.additionalGuestMemoryOverheadRatio,
    allowEmulation: dev.useEmulation === true,
    serialConsoleLogDisabled:
      config.virtualMachineOptions?.disableSerialConsoleLog !== undefined,
    defaultArchitecture: defaultArchitecture || 'amd64',
    defaultNetworkInterface:
      config.network?.defaultNetworkInterface || 'bridge',
    permitBridgeInterfaceOnPodNetwork:
      config.network?.permitBridgeInterfaceOnPodNetwork ?? true,
    featureGate(name: string) {
      const state = FEATURE_GATE_STATES[name];
      if (state === 'GA') return true;
      if (enabled.has(name)) return true;
      if (disabled.has(name)) return false;
      return state === 'Beta';
    },
    supportContainer(type, which, resource) {
      for (const entry of config.supportContainerResources ?? []) {
        if (entry.type !== type) continue;
        const text = entry.resources?.[which]?.[resource];
        const quantity =
          text === undefined ? undefined : Quantity.tryParse(String(text));
        if (quantity && !quantity.isZero()) return quantity;
      }
      return undefined;
    },
    config,
  };
}
