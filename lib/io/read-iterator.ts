/**
 * The async iterators of `lines()` and `chunks()`, written by hand rather than as async
 * generators: a step that can settle at once is one resolved promise, with no generator and no
 * extra promise behind it. It owns only the iterator's protocol; each step's reading is the task's.
 */

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/**
 * An iterator whose `next()` is `step()`. Bad options (`invalid`, null when they were good)
 * reject the first step, as they would any operation, and then it is done; `return()` (a
 * `break`) ends it, leaving the task open and unread bytes buffered. After a step rejects (a
 * time limit), `next()` reads again: no byte was lost.
 */
export function readIterator<T>(invalid: unknown, step: () => Promise<IteratorResult<T, undefined>>): AsyncIterableIterator<T> {
  let ended = false;
  let refusal = invalid;
  const iterator: AsyncIterableIterator<T> = {
    next: () => {
      if (refusal !== null) {
        ended = true;
        const error = refusal;
        refusal = null;
        return Promise.reject(error);
      }
      if (ended) return Promise.resolve(DONE);
      return step();
    },
    return: () => {
      ended = true;
      return Promise.resolve(DONE);
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

/** A line, or the end of the lines at null. */
export function lineResult(line: string | Uint8Array | null): IteratorResult<string, undefined> {
  return line === null ? DONE : { value: line as string, done: false };
}
