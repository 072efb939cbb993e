import { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

export interface Config {
  catalog?: {
    providers?: {
      /**
       * KubeVirt entity providers, keyed by id (lowercase letters, digits, dashes);
       * each turns the VirtualMachines of its clusters into `virtual-machine` Components.
       * The key `kubevirt.catalog.providers` of earlier versions stops start-up.
       */
      kubevirt?: {
        [id: string]: {
          /** Names of clusters from `kubernetes.clusterLocatorMethods` (type config) to read. Default: all of them. */
          clusters?: string[];
          namespaces?: {
            /** Namespace names or globs (`*`, `?`) to read. Default: all namespaces. */
            include?: string[];
            /** Namespace names or globs to leave out, applied after include. Default: none. */
            exclude?: string[];
          };
          /** Label selector applied by the apiserver to VirtualMachines, e.g. `vmportal.io/catalog!=skip`. Default: none. */
          labelSelector?: string;
          /** Where the owner comes from, first match wins: VM label, VM annotation, namespace label, namespace annotation, `namespaces`, `default`. */
          owner?: {
            /** VM label holding the owning group's name; false to ignore. Default: vmportal.io/owner. */
            label?: string | false;
            /** VM annotation holding the owning group (name or ref); false to ignore. Default: vmportal.io/owner. */
            annotation?: string | false;
            /** Namespace label holding the owning group's name; false to ignore. Default: vmportal.io/owner. */
            namespaceLabel?: string | false;
            /** Namespace annotation holding the owning group (name or ref); false to ignore. Default: vmportal.io/owner. */
            namespaceAnnotation?: string | false;
            /** Owning group (name or ref) per namespace name. Default: none. */
            namespaces?: { [namespace: string]: string };
            /** Owning group (name or ref) when nothing else says. Default: group:default/platform. */
            default?: string;
          };
          /** Where `spec.system` comes from, first match wins: VM label, VM annotation, namespace label, `default`. */
          system?: {
            /** VM label holding the system's name; false to ignore. Default: vmportal.io/system. */
            label?: string | false;
            /** VM annotation holding the system (name or ref); false to ignore. Default: vmportal.io/system. */
            annotation?: string | false;
            /** Namespace label holding the system's name; false to ignore. Default: vmportal.io/system. */
            namespaceLabel?: string | false;
            /** System (name or ref) when nothing else says. Default: none (no spec.system). */
            default?: string;
          };
          /** Where `spec.lifecycle` comes from, first match wins: VM label, namespace label, `default`. */
          lifecycle?: {
            /** VM label holding the lifecycle; false to ignore. Default: vmportal.io/lifecycle. */
            label?: string | false;
            /** Namespace label holding the lifecycle; false to ignore. Default: vmportal.io/lifecycle. */
            namespaceLabel?: string | false;
            /** Lifecycle when nothing else says. Default: production. */
            default?: string;
          };
          /** Launcher pod label the Kubernetes tab selects on: vmi.kubevirt.io/id (KubeVirt 1.9+) or vm.kubevirt.io/name (older). Default: vmi.kubevirt.io/id. */
          launcherPodLabel?: 'vmi.kubevirt.io/id' | 'vm.kubevirt.io/name';
          /** Links on every VM entity; `{cluster}`, `{namespace}` and `{name}` in `url` are replaced. Default: none. */
          links?: Array<{
            /** Link title. */
            title: string;
            /** http(s) URL template. */
            url: string;
            /** Backstage icon id. Default: none. */
            icon?: string;
          }>;
          /** The safety-net full sync that lists every cluster again. Default: every 30 minutes, timeout 10 minutes, scope local. */
          schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
        };
      };
    };
  };
}
