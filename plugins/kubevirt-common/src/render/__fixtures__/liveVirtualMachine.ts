import type { VirtualMachine } from '../../kube/kubevirtObjects';

/**
 * `kubectl get vm billing-db -n team-b -o json` on KubeVirt v1.9, for a VM made by hand
 * with `kubectl apply` (client-side) on an older KubeVirt that still wrote instancetype
 * revision names into the spec, then started. Everything the apiserver and KubeVirt add
 * is there: server metadata, managedFields of kubectl, virt-controller and virt-api,
 * the observed-API-version annotations, the finalizer, the webhook's defaults (firmware
 * UUID and serial, machine type, architecture, PCI topology annotation), Go's
 * `creationTimestamp: null` in embedded templates, and the status.
 */
const LIVE = {
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachine',
  metadata: {
    annotations: {
      'billing.example.com/cost-centre': 'cc-4711',
      'kubectl.kubernetes.io/last-applied-configuration':
        '{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine","metadata":{"annotations":{"billing.example.com/cost-centre":"cc-4711"},"labels":{"app":"billing","tier":"db"},"name":"billing-db","namespace":"team-b"},"spec":{"dataVolumeTemplates":[{"metadata":{"name":"billing-db-root"},"spec":{"sourceRef":{"kind":"DataSource","name":"fedora","namespace":"kubevirt-os-images"},"storage":{"resources":{"requests":{"storage":"30Gi"}}}}}],"instancetype":{"name":"u1.medium"},"preference":{"name":"fedora"},"runStrategy":"Always","template":{"metadata":{"labels":{"app":"billing"}},"spec":{"domain":{"devices":{}},"volumes":[{"dataVolume":{"name":"billing-db-root"},"name":"rootdisk"}]}}}}\n',
      'kubevirt.io/latest-observed-api-version': 'v1',
      'kubevirt.io/storage-observed-api-version': 'v1',
      'restore.kubevirt.io/lastRestoreUID':
        'billing-db-restore-1-6f1c2b9e-0d4a-4c55-9c1e-2f0a8f0b7d11',
    },
    creationTimestamp: '2025-11-04T09:12:44Z',
    finalizers: ['kubevirt.io/virtualMachineControllerFinalize'],
    generation: 3,
    labels: { tier: 'db', app: 'billing' },
    managedFields: [
      {
        apiVersion: 'kubevirt.io/v1',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': {
            'f:annotations': {
              '.': {},
              'f:billing.example.com/cost-centre': {},
              'f:kubectl.kubernetes.io/last-applied-configuration': {},
            },
            'f:labels': { '.': {}, 'f:app': {}, 'f:tier': {} },
          },
          'f:spec': {
            '.': {},
            'f:dataVolumeTemplates': {},
            'f:instancetype': { '.': {}, 'f:name': {} },
            'f:preference': { '.': {}, 'f:name': {} },
            'f:runStrategy': {},
            'f:template': {
              '.': {},
              'f:metadata': {
                '.': {},
                'f:annotations': {
                  '.': {},
                  'f:kubevirt.io/pci-topology-version': {},
                },
                'f:labels': { '.': {}, 'f:app': {} },
              },
              'f:spec': {
                '.': {},
                'f:architecture': {},
                'f:domain': {
                  '.': {},
                  'f:devices': {},
                  'f:firmware': { '.': {}, 'f:serial': {}, 'f:uuid': {} },
                  'f:machine': { '.': {}, 'f:type': {} },
                },
                'f:volumes': {},
              },
            },
          },
        },
        manager: 'kubectl-client-side-apply',
        operation: 'Update',
        time: '2025-11-04T09:12:44Z',
      },
      {
        apiVersion: 'kubevirt.io/v1',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': {
            'f:annotations': {
              'f:kubevirt.io/latest-observed-api-version': {},
              'f:kubevirt.io/storage-observed-api-version': {},
            },
            'f:finalizers': {
              '.': {},
              'v:"kubevirt.io/virtualMachineControllerFinalize"': {},
            },
          },
          'f:spec': {
            'f:instancetype': { 'f:revisionName': {} },
            'f:preference': { 'f:revisionName': {} },
          },
        },
        manager: 'virt-controller',
        operation: 'Update',
        time: '2025-11-04T09:12:45Z',
      },
      {
        apiVersion: 'kubevirt.io/v1',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:status': {
            '.': {},
            'f:conditions': {},
            'f:created': {},
            'f:desiredGeneration': {},
            'f:instancetypeRef': {},
            'f:observedGeneration': {},
            'f:preferenceRef': {},
            'f:printableStatus': {},
            'f:ready': {},
            'f:runStrategy': {},
            'f:volumeSnapshotStatuses': {},
          },
        },
        manager: 'virt-controller',
        operation: 'Update',
        subresource: 'status',
        time: '2025-11-04T09:13:31Z',
      },
    ],
    name: 'billing-db',
    namespace: 'team-b',
    resourceVersion: '873215',
    uid: '0b6f8f9e-3c8e-4d5b-9a7e-51d2f4c3a1b0',
  },
  spec: {
    dataVolumeTemplates: [
      {
        metadata: { creationTimestamp: null, name: 'billing-db-root' },
        spec: {
          sourceRef: {
            kind: 'DataSource',
            name: 'fedora',
            namespace: 'kubevirt-os-images',
          },
          storage: { resources: { requests: { storage: '30Gi' } } },
        },
      },
    ],
    instancetype: {
      kind: 'virtualmachineclusterinstancetype',
      name: 'u1.medium',
      revisionName:
        'billing-db-u1.medium-4e5b9e2e-5a8f-4f3c-8a7e-2c9d1b0e6f55-1',
    },
    preference: {
      kind: 'virtualmachineclusterpreference',
      name: 'fedora',
      revisionName: 'billing-db-fedora-9a1c2d3e-7b6f-4e8d-a5c4-1f0e9d8c7b6a-1',
    },
    runStrategy: 'Always',
    template: {
      metadata: {
        annotations: { 'kubevirt.io/pci-topology-version': 'v3' },
        creationTimestamp: null,
        labels: { app: 'billing' },
      },
      spec: {
        architecture: 'amd64',
        domain: {
          devices: {},
          firmware: {
            serial: '5d9d2f1a-7c3e-4b8a-9f6d-0e1c2b3a4d5e',
            uuid: '8e3f1c2a-6b7d-4e9f-a0b1-c2d3e4f5a6b7',
          },
          machine: { type: 'q35' },
          resources: {},
        },
        volumes: [
          { dataVolume: { name: 'billing-db-root' }, name: 'rootdisk' },
        ],
      },
    },
  },
  status: {
    conditions: [
      {
        lastProbeTime: null,
        lastTransitionTime: '2025-11-04T09:13:31Z',
        status: 'True',
        type: 'Ready',
      },
    ],
    created: true,
    desiredGeneration: 3,
    instancetypeRef: {
      controllerRevisionRef: {
        name: 'billing-db-u1.medium-4e5b9e2e-5a8f-4f3c-8a7e-2c9d1b0e6f55-1',
      },
      kind: 'virtualmachineclusterinstancetype',
      name: 'u1.medium',
    },
    observedGeneration: 3,
    preferenceRef: {
      controllerRevisionRef: {
        name: 'billing-db-fedora-9a1c2d3e-7b6f-4e8d-a5c4-1f0e9d8c7b6a-1',
      },
      kind: 'virtualmachineclusterpreference',
      name: 'fedora',
    },
    printableStatus: 'Running',
    ready: true,
    runStrategy: 'Always',
    volumeSnapshotStatuses: [{ enabled: true, name: 'rootdisk' }],
  },
};

/** A fresh copy each call, typed as the portal reads VMs (the JSON has `null`s the type does not model). */
export const liveVirtualMachine = (): VirtualMachine =>
  structuredClone(LIVE) as unknown as VirtualMachine;
