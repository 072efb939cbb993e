import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import type { VirtualMachineRequestRecord } from '@vmportal/plugin-kubevirt-common';
import { z } from 'zod';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * An entity ref as the portal stores and compares it: full (`kind:namespace/name`)
 * and in lower case, as the catalog compares refs.
 *
 * @internal
 */
export function normalizeEntityRef(ref: string, defaultKind: string): string {
  return stringifyEntityRef(
    parseEntityRef(ref, { defaultKind, defaultNamespace: 'default' }),
  ).toLocaleLowerCase('en-US');
}

function entityRef(kind: 'group' | 'user') {
  return z
    .string()
    .min(1)
    .max(255)
    .transform((value, ctx) => {
      try {
        const normalized = normalizeEntityRef(value, kind);
        if (normalized.startsWith(`${kind}:`)) return normalized;
        ctx.addIssue({
          code: 'custom',
          message: `'${value}' is not a ${kind} ref; give one such as ${kind}:default/${
            kind === 'group' ? 'team-web' : 'jane'
          }`,
        });
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          message: `'${value}' is not an entity ref: ${
            (error as Error).message
          }`,
        });
      }
      return z.NEVER;
    });
}

/**
 * A group entity ref, normalised.
 *
 * @internal
 */
export const groupRefSchema = entityRef('group');

/**
 * A user entity ref, normalised.
 *
 * @internal
 */
export const userRefSchema = entityRef('user');

/**
 * The body of `POST /v1/requests`: what the scaffolder module records when a request's
 * pull request opens. The owner comes back normalised.
 *
 * @internal
 */
export const virtualMachineRequestRecordSchema = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(255)
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
      'a request id is letters, digits, dots, dashes and underscores (the scaffolder task id)',
    ),
  owner: groupRefSchema,
  cluster: z.string().min(1).max(255),
  namespace: z
    .string()
    .max(63)
    .regex(DNS_LABEL, 'a namespace is a DNS-1123 label, e.g. team-web'),
  name: z
    .string()
    .max(63)
    .regex(DNS_LABEL, 'a VirtualMachine name is a DNS-1123 label, e.g. web-1'),
  size: z.string().min(1).max(255),
  change: z
    .enum(['resize', 'add-disk', 'run-strategy', 'decommission', 'adopt'])
    .optional(),
  planSummary: z.string().max(65_536),
  pullRequestUrl: z
    .string()
    .max(2048)
    .regex(
      /^https?:\/\/[^/\s]+\/[^/\s]+\/[^/\s]+\/pull\/\d+\/?$/,
      'the pull request web URL, as publish:github:pull-request returns it: https://<host>/<owner>/<repo>/pull/<number>',
    ),
  reviewers: z.array(z.string().min(1).max(255)).max(100),
}) satisfies z.ZodType<VirtualMachineRequestRecord, any>;
