import {
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { Config, readDurationFromConfig } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { durationToMilliseconds, HumanDuration } from '@backstage/types';

/**
 * The VM request routes' and tracker's settings: `kubevirt.requestTracking`, and the
 * scaffolder module's `kubevirt.requests.policyMayWaiveMembership`.
 *
 * @internal
 */
export interface RequestsConfig {
  /** How often the tracker runs (once across replicas). */
  schedule: SchedulerServiceTaskScheduleDefinition;
  /** Requests older than this are read only every {@link slowFrequencyMs}. */
  slowDownAfterMs: number;
  /** How often an old unfinished request is read. */
  slowFrequencyMs: number;
  /**
   * The longest wait between reads of an open pull request nobody is looking at
   * (it is read every tenth of the time it has waited, up to this).
   */
  openPullRequestMaxIntervalMs: number;
  /**
   * Whether someone who is not a member of the owning team may record a request for
   * it when the policy allows `kubevirt.vm.request` (the scaffolder's same setting).
   */
  policyMayWaiveMembership: boolean;
}

const KEY = 'kubevirt.requestTracking';

/** @internal */
export const DEFAULT_TRACKING_SCHEDULE: SchedulerServiceTaskScheduleDefinition =
  {
    frequency: { seconds: 3 },
    timeout: { minutes: 1 },
    initialDelay: { seconds: 1 },
  };

/**
 * The positive duration at `key` of `config` (under `prefix`, for the error message),
 * in milliseconds, or `fallback`; `InputError` naming the key and the fix.
 *
 * @internal
 */
export function readDuration(
  config: Config,
  key: string,
  fallback: HumanDuration,
  prefix = KEY,
): number {
  if (!config.has(key)) return durationToMilliseconds(fallback);
  try {
    const ms = durationToMilliseconds(readDurationFromConfig(config, { key }));
    if (ms > 0) return ms;
  } catch (error) {
    throw new InputError(
      `${prefix}.${key} must be a duration such as '1 minute', '7d' or { minutes: 1 }; ${
        (error as Error).message
      }`,
    );
  }
  throw new InputError(
    `${prefix}.${key} must be a positive duration such as '1 minute' or { minutes: 1 }`,
  );
}

/**
 * Reads `kubevirt.requestTracking` (every key optional); fails at start-up naming the
 * key and the fix. `kubevirt.requests.policyMayWaiveMembership` is the scaffolder
 * module's setting, read here too so that the route records exactly the requests the
 * scaffolder lets through.
 *
 * @internal
 */
export function readRequestsConfig(rootConfig: Config): RequestsConfig {
  const config = rootConfig.getOptionalConfig(KEY);
  let schedule = DEFAULT_TRACKING_SCHEDULE;
  if (config?.has('schedule')) {
    try {
      schedule = readSchedulerServiceTaskScheduleDefinitionFromConfig(
        config.getConfig('schedule'),
      );
    } catch (error) {
      throw new InputError(
        `${KEY}.schedule must be a schedule such as { frequency: { seconds: 3 }, timeout: { minutes: 1 } }; ${
          (error as Error).message
        }`,
      );
    }
    if (
      typeof schedule.frequency === 'object' &&
      'cron' in schedule.frequency
    ) {
      throw new InputError(
        `${KEY}.schedule.frequency is a cron expression; requests are followed every few seconds, so give a duration such as { seconds: 3 }`,
      );
    }
  }
  return {
    schedule,
    slowDownAfterMs: config
      ? readDuration(config, 'slowDownAfter', { days: 7 })
      : durationToMilliseconds({ days: 7 }),
    slowFrequencyMs: config
      ? readDuration(config, 'slowFrequency', { minutes: 1 })
      : durationToMilliseconds({ minutes: 1 }),
    openPullRequestMaxIntervalMs: config
      ? readDuration(config, 'openPullRequestMaxInterval', { minutes: 2 })
      : durationToMilliseconds({ minutes: 2 }),
    policyMayWaiveMembership:
      rootConfig.getOptionalBoolean(
        'kubevirt.requests.policyMayWaiveMembership',
      ) ?? false,
  };
}
