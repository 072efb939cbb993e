import type { TrackedVirtualMachineRequest } from '@vmportal/plugin-kubevirt-common';

/**
 * Who is looking at requests: a user and the refs they own through (themselves and
 * their groups), all normalised (lower case, full refs).
 *
 * @internal
 */
export interface RequestViewer {
  userEntityRef: string;
  ownershipEntityRefs: string[];
}

/**
 * Whether the viewer may see the request: they made it, or they own it through the
 * owning team. Nobody else learns that it exists (the VM page would not show them the
 * VM either).
 *
 * @internal
 */
export function canSeeRequest(
  viewer: RequestViewer,
  request: Pick<TrackedVirtualMachineRequest, 'requestedBy' | 'owner'>,
): boolean {
  return (
    request.requestedBy === viewer.userEntityRef ||
    viewer.ownershipEntityRefs.includes(request.owner)
  );
}
