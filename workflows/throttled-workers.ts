/**
 * Activity-only workers for the throttled send queues (journey/send-queues.ts): one per queue, each
 * with `maxTaskQueueActivitiesPerSecond` = the queue's rate, which the Temporal server enforces across
 * every worker polling the queue. Queues are added when a rule set naming a new rate arrives; one is
 * never removed while running (journeys started earlier may still send on it).
 */
import { Worker, type NativeConnection } from '@temporalio/worker';
import type { ThrottledQueue } from './journey/send-queues';

export interface ThrottledWorkers {
  /** Starts workers for the queues not served yet. */
  serve(queues: readonly ThrottledQueue[]): Promise<void>;
  served(): string[];
  /** Shuts every one down; resolves when they have stopped. */
  stop(): Promise<void>;
}

export function throttledWorkers(base: { connection: NativeConnection; namespace: string; dataConverter: Parameters<typeof Worker.create>[0]['dataConverter'] }, activities: object): ThrottledWorkers {
  const running = new Map<string, { worker: Worker; done: Promise<void> }>();
  return {
    async serve(queues) {
      for (const { queue, perSecond } of queues) {
        if (running.has(queue)) continue;
        const worker = await Worker.create({ ...base, taskQueue: queue, activities, maxTaskQueueActivitiesPerSecond: perSecond });
        running.set(queue, { worker, done: worker.run() });
      }
    },
    served: () => [...running.keys()],
    async stop() {
      for (const { worker } of running.values()) if (worker.getState() === 'RUNNING') worker.shutdown();
      await Promise.all([...running.values()].map((r) => r.done));
    },
  };
}
