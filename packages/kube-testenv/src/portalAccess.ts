import { KubernetesObject } from '@kubernetes/client-node';

/** Namespace of the portal's service account. */
export const PORTAL_NAMESPACE = 'vmportal-system';
/** The service account the portal acts as. */
export const PORTAL_SERVICE_ACCOUNT = 'vmportal-portal';

const read = ['get', 'list', 'watch'];

/**
 * The least privilege the portal needs (documented in the README): read what the VM
 * page and the catalog show, the power subresources, and `create` on VirtualMachines
 * and DataVolumes only so that the render action's server-side dry-run is allowed.
 */
export const portalClusterRoleRules = [
  {
    apiGroups: ['kubevirt.io'],
    resources: ['virtualmachines', 'virtualmachineinstances'],
    verbs: read,
  },
  {
    apiGroups: ['kubevirt.io'],
    resources: ['virtualmachines'],
    verbs: ['patch', 'create'],
  },
  {
    apiGroups: ['subresources.kubevirt.io'],
    resources: [
      'virtualmachines/start',
      'virtualmachines/stop',
      'virtualmachines/restart',
      'virtualmachineinstances/pause',
      'virtualmachineinstances/unpause',
    ],
    verbs: ['update'],
  },
  {
    apiGroups: ['instancetype.kubevirt.io'],
    resources: [
      'virtualmachineclusterinstancetypes',
      'virtualmachineclusterpreferences',
      'virtualmachineinstancetypes',
      'virtualmachinepreferences',
    ],
    verbs: read,
  },
  {
    apiGroups: ['cdi.kubevirt.io'],
    resources: ['datavolumes', 'datasources'],
    verbs: read,
  },
  {
    apiGroups: ['cdi.kubevirt.io'],
    resources: ['datavolumes'],
    verbs: ['create'],
  },
  {
    apiGroups: [''],
    resources: [
      'pods',
      'persistentvolumeclaims',
      'events',
      'namespaces',
      'resourcequotas',
      'limitranges',
    ],
    verbs: read,
  },
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: read },
  { apiGroups: ['storage.k8s.io'], resources: ['storageclasses'], verbs: read },
];

/** The namespace, service account, ClusterRole and binding for the portal. */
export function portalAccessObjects(): KubernetesObject[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: PORTAL_NAMESPACE },
    },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: PORTAL_SERVICE_ACCOUNT, namespace: PORTAL_NAMESPACE },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'vmportal-portal' },
      rules: portalClusterRoleRules,
    } as KubernetesObject,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'vmportal-portal' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'vmportal-portal',
      },
      subjects: [
        {
          kind: 'ServiceAccount',
          name: PORTAL_SERVICE_ACCOUNT,
          namespace: PORTAL_NAMESPACE,
        },
      ],
    } as KubernetesObject,
  ];
}
