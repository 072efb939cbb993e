import {
  coreServices,
  createServiceFactory,
  SchedulerService,
  SchedulerServiceTaskDescriptor,
  SchedulerServiceTaskInvocationDefinition,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';

type Task = SchedulerServiceTaskScheduleDefinition &
  SchedulerServiceTaskInvocationDefinition;

/** A scheduler that runs tasks only when a test triggers them. */
export class ManualScheduler implements SchedulerService {
  private readonly tasks = new Map<string, Task>();
  private readonly controller = new AbortController();

  factory() {
    return createServiceFactory({
      service: coreServices.scheduler,
      deps: { lifecycle: coreServices.lifecycle },
      factory: ({ lifecycle }) => {
        lifecycle.addShutdownHook(() => this.controller.abort());
        return this;
      },
    });
  }

  async triggerTask(id: string): Promise<void> {
    const task = this.tasks.get(id);
    if (!task) throw new NotFoundError(`no task ${id}`);
    await task.fn(this.controller.signal);
  }

  async cancelTask(): Promise<void> {}

  async scheduleTask(task: Task): Promise<void> {
    this.tasks.set(task.id, task);
  }

  createScheduledTaskRunner(schedule: SchedulerServiceTaskScheduleDefinition) {
    return {
      run: (task: SchedulerServiceTaskInvocationDefinition) =>
        this.scheduleTask({ ...schedule, ...task }),
    };
  }

  async getScheduledTasks(): Promise<SchedulerServiceTaskDescriptor[]> {
    return [...this.tasks.values()].map(task => ({
      id: task.id,
      scope: task.scope ?? 'global',
      settings: { version: 1 },
    }));
  }
}
