/**
 * A session's live tasks, as a list threaded through the tasks (two fields of each). It owns the
 * list's order; it must not touch a task's state beyond its list fields.
 */
import type { StreamTask } from './stream-task.js';
import type { TaskMachine } from './task-machine.js';

/** A session's live tasks, oldest first; not public. */
export interface TaskList {
  toArray(): StreamTask[];
}

/** A TaskList as the tasks in it see it. */
export interface LiveList extends TaskList {
  add(task: TaskMachine): void;
  remove(task: TaskMachine): void;
}

/**
 * A session's live tasks, oldest first: a list threaded through the tasks themselves, so that
 * a task costs its session two fields rather than an entry in a Set (measured: about 35 bytes
 * per task at 10,000).
 */
class ThreadedTaskList implements LiveList {
  head: TaskMachine | null = null;
  tail: TaskMachine | null = null;

  add(task: TaskMachine): void {
    task.list = this;
    task.previousInList = this.tail;
    if (this.tail === null) this.head = task;
    else this.tail.nextInList = task;
    this.tail = task;
  }

  remove(task: TaskMachine): void {
    if (task.list !== this) return;
    const previous = task.previousInList;
    const next = task.nextInList;
    if (previous === null) this.head = next;
    else previous.nextInList = next;
    if (next === null) this.tail = previous;
    else next.previousInList = previous;
    task.list = task.previousInList = task.nextInList = null;
  }

  toArray(): StreamTask[] {
    const out: StreamTask[] = [];
    for (let task = this.head; task !== null; task = task.nextInList) out.push(task.api());
    return out;
  }
}

/** Makes an empty TaskList. */
export const newTaskList = (): TaskList => new ThreadedTaskList();
