import type {
  VirtualMachineRequest,
  VirtualMachineRequestProblem,
} from '@vmportal/plugin-kubevirt-common';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { normaliseHost } from '@vmportal/plugin-kubevirt-node';

/** Cloud metadata services by name (their addresses are link-local, below). */
const METADATA_HOSTS = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
]);

const RANGES: Array<[what: string, list: BlockList]> = [
  [
    'a loopback address (the node or pod itself)',
    subnets([
      ['127.0.0.0', 8, 'ipv4'],
      ['::1', 128, 'ipv6'],
    ]),
  ],
  [
    'a link-local address (where cloud metadata services answer)',
    subnets([
      ['169.254.0.0', 16, 'ipv4'],
      ['fe80::', 10, 'ipv6'],
      ['fd00:ec2::254', 128, 'ipv6'],
    ]),
  ],
  [
    'the unspecified address (this host)',
    subnets([
      ['0.0.0.0', 8, 'ipv4'],
      ['::', 128, 'ipv6'],
    ]),
  ],
];

function subnets(list: Array<[string, number, 'ipv4' | 'ipv6']>): BlockList {
  const blockList = new BlockList();
  for (const [network, prefix, family] of list) {
    blockList.addSubnet(network, prefix, family);
  }
  return blockList;
}

/** `::ffff:7f00:1` (how URLs write `::ffff:127.0.0.1`) as `127.0.0.1`. */
function mappedIpv4(address: string): string | undefined {
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (dotted) return dotted[1];
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(address);
  if (!hex) return undefined;
  const high = parseInt(hex[1], 16);
  const low = parseInt(hex[2], 16);
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/** What a host (as `new URL(...).hostname` gives it) is, when the portal must not fetch from it. */
function forbiddenHost(host: string): string | undefined {
  const name = host.replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) {
    return 'a loopback name (the node or pod itself)';
  }
  if (METADATA_HOSTS.has(name)) return 'a cloud metadata service';
  let address = name.replace(/^\[(.*)\]$/, '$1');
  let family: 'ipv4' | 'ipv6' | undefined;
  if (isIPv4(address)) family = 'ipv4';
  else if (isIPv6(address)) {
    const mapped = mappedIpv4(address);
    if (mapped) address = mapped;
    family = mapped ? 'ipv4' : 'ipv6';
  }
  if (!family) return undefined;
  return RANGES.find(([, list]) => list.check(address, family))?.[0];
}

/**
 * The registry host of an image reference (`quay.io/x:1`, `localhost:5000/x`), as
 * `new URL` writes hosts; undefined for Docker Hub's short names (`fedora`, `library/x`).
 */
function registryHost(reference: string): string | undefined {
  const first = reference.split('/')[0];
  if (!reference.includes('/')) return undefined;
  if (!/[.:]/.test(first) && first !== 'localhost') return undefined;
  return normaliseHost(first.replace(/:\d+$/, ''));
}

/**
 * The request's image sources that point inside the cluster or the node: loopback,
 * link-local (cloud metadata at 169.254.169.254), unspecified, or a metadata service
 * by name, unless the host is in `allowedHosts` (`kubevirt.requests.allowedImageHosts`).
 * CDI's importer would fetch from there with the cluster's network position.
 */
export function imageHostProblems(
  request: VirtualMachineRequest,
  allowedHosts: readonly string[],
): VirtualMachineRequestProblem[] {
  const sources: Array<[field: string, host: string | undefined]> = [];
  const image = request.image;
  if ('http' in image) {
    let host: string | undefined;
    try {
      host = new URL(image.http.url).hostname;
    } catch {
      host = undefined;
    }
    sources.push(['image.http.url', host]);
  }
  if ('registry' in image) {
    sources.push([
      'image.registry.url',
      registryHost(image.registry.url.replace(/^docker:\/\//, '')),
    ]);
  }
  if ('containerDisk' in image) {
    sources.push([
      'image.containerDisk.image',
      registryHost(image.containerDisk.image),
    ]);
  }
  const problems: VirtualMachineRequestProblem[] = [];
  for (const [field, host] of sources) {
    if (!host || allowedHosts.includes(host)) continue;
    const what = forbiddenHost(host);
    if (what) {
      problems.push({
        field,
        message: `points at ${host}, ${what}, which the cluster must not download from on a requester's behalf; use an image server outside the cluster, or ask the platform team to allow the host in kubevirt.requests.allowedImageHosts`,
      });
    }
  }
  return problems;
}
