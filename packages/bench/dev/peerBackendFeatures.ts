// The peer column's backend features: TeraSky's Kubernetes ingestor and the
// Kubernetes backend it reads clusters through. Development-only (devDependencies of
// this package), so they live outside src/ and are loaded only when a run asks for
// the peer.
import type { BackendFeature } from '@backstage/backend-plugin-api';

/** `@backstage/plugin-kubernetes-backend` and `@terasky/backstage-plugin-kubernetes-ingestor`. */
export async function peerBackendFeatures(): Promise<BackendFeature[]> {
  const [kubernetesBackend, ingestor] = await Promise.all([
    import('@backstage/plugin-kubernetes-backend'),
    import('@terasky/backstage-plugin-kubernetes-ingestor'),
  ]);
  return [
    kubernetesBackend.default as BackendFeature,
    ingestor.default as BackendFeature,
  ];
}
