/** A promise with its settle functions, pre-handled so that nobody awaiting it is never an error. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
  settled: boolean;
}

const noop = (): void => {};

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(noop);
  const result: Deferred<T> = {
    promise,
    settled: false,
    resolve: (value) => {
      if (result.settled) return;
      result.settled = true;
      resolve(value);
    },
    reject: (error) => {
      if (result.settled) return;
      result.settled = true;
      reject(error);
    },
  };
  return result;
}
