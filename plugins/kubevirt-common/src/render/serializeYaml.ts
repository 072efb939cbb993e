import { Pair, stringify } from 'yaml';

// Kubernetes' conventional order first; every other key alphabetically.
const KEY_ORDER = [
  'apiVersion',
  'kind',
  'metadata',
  'name',
  'namespace',
  'spec',
];

function keyRank(key: unknown): number {
  const index = KEY_ORDER.indexOf(String(key));
  return index === -1 ? KEY_ORDER.length : index;
}

function compareKeys(a: Pair, b: Pair): number {
  const ka = String((a.key as { value?: unknown })?.value ?? a.key);
  const kb = String((b.key as { value?: unknown })?.value ?? b.key);
  const rank = keyRank(ka) - keyRank(kb);
  if (rank !== 0) return rank;
  return Number(ka > kb) - Number(ka < kb);
}

/**
 * Serialises plain data to YAML deterministically: keys in Kubernetes' conventional
 * order then alphabetical, no anchors, aliases or tags, no line folding, and strings
 * quoted wherever a YAML 1.1 reader (kubectl's sigs.k8s.io/yaml, cloud-init's PyYAML)
 * would read them as something else (`yes`, `on`, `0755`, `1:20`).
 *
 * @public
 */
export function toYaml(value: unknown): string {
  return stringify(value, {
    version: '1.1',
    aliasDuplicateObjects: false,
    sortMapEntries: compareKeys,
    lineWidth: 0,
    minContentWidth: 0,
  });
}
