/**
 * Backend plugin for the VM Portal's VM page: live view of KubeVirt virtual machines,
 * power actions and quota summaries.
 *
 * @packageDocumentation
 */

export { kubevirtPlugin as default } from './plugin';
