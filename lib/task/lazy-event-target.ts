/**
 * An EventTarget that makes its listener tables on first use.
 *
 * Node's EventTarget constructor gives every instance two Maps (listeners and `on…` handlers),
 * about 420 bytes: a third of a raw socket, and most tasks never get a listener. A task is still a
 * real EventTarget (`instanceof EventTarget`, Node's own methods, `event.target === task`,
 * `events.once`, `getEventListeners`, `setMaxListeners`): Node keeps its state in a few symbol-keyed
 * own properties, and here the prototype answers for them until one is touched, at which point
 * the instance gets the properties a new EventTarget has (the same keys, fresh values).
 *
 * Nothing here names a Node internal: the keys are read from a new EventTarget at load. If the
 * probe at load finds that this does not behave exactly like EventTarget (another runtime,
 * another Node), the base is plain EventTarget and only the memory saving is lost.
 */

/** The own properties a new EventTarget gets from its constructor (Node: four symbols). */
const STATE_KEYS: readonly PropertyKey[] = Reflect.ownKeys(new EventTarget());

/** Gives `target` the state a new EventTarget has, keeping any key already set on it. */
function materialize(target: object): void {
  const fresh = new EventTarget() as unknown as Record<PropertyKey, unknown>;
  for (const key of STATE_KEYS) {
    if (Object.prototype.hasOwnProperty.call(target, key)) continue;
    Object.defineProperty(target, key, { value: fresh[key], writable: true, enumerable: true, configurable: true });
  }
}

/** A constructor that skips EventTarget's (no tables), on a prototype that makes them on demand. */
function makeLazyBase(): typeof EventTarget {
  function LazyEventTarget(): void {}
  Object.setPrototypeOf(LazyEventTarget, EventTarget); // static members, Node's brand check
  const prototype = Object.create(EventTarget.prototype) as object;
  Object.defineProperty(prototype, 'constructor', { value: LazyEventTarget, writable: true, configurable: true });
  for (const key of STATE_KEYS) {
    Object.defineProperty(prototype, key, {
      get(this: object): unknown {
        materialize(this);
        return (this as Record<PropertyKey, unknown>)[key];
      },
      set(this: object, value: unknown): void {
        Object.defineProperty(this, key, { value, writable: true, enumerable: true, configurable: true });
      },
      configurable: true,
    });
  }
  LazyEventTarget.prototype = prototype;
  return LazyEventTarget as unknown as typeof EventTarget;
}

/** Whether the lazy base behaves as EventTarget does for what a task and its users do. */
function probe(Base: typeof EventTarget): boolean {
  try {
    class Probe extends Base {}
    const target = new Probe();
    if (!(target instanceof EventTarget) || hasState(target)) return false;
    const seen: unknown[] = [];
    const listener = (event: Event): void => void seen.push(event.target, event.currentTarget);
    target.addEventListener('x', listener);
    target.dispatchEvent(new Event('x'));
    target.removeEventListener('x', listener);
    target.dispatchEvent(new Event('x'));
    return seen.length === 2 && seen[0] === target && seen[1] === target && hasState(target);
  } catch {
    return false;
  }
}

function hasState(target: object): boolean {
  return STATE_KEYS.length > 0 && Object.prototype.hasOwnProperty.call(target, STATE_KEYS[0]!);
}

const lazyBase = makeLazyBase();
const lazy = STATE_KEYS.length > 0 && probe(lazyBase);

/** The base class of tasks: EventTarget, with its tables made on first use where that is safe. */
export const TaskEventTarget: typeof EventTarget = lazy ? lazyBase : EventTarget;

/**
 * Whether `target` may have listeners: false only while its tables were never made, so an event
 * nobody can hear need not be made or dispatched.
 */
export function mayHaveListeners(target: EventTarget): boolean {
  return !lazy || hasState(target);
}
