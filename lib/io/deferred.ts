/**
 * A result that settles once, whose promise is made only when someone asks for it (`opened`,
 * `closed`): an idle task that nobody awaits carries no promise and no settle functions. The
 * promise is pre-handled, so that nobody awaiting it is never an error.
 */
const noop = (): void => {};

export class Deferred<T> {
  #promise: Promise<T> | undefined;
  #resolve: ((value: T) => void) | undefined;
  #reject: ((error: unknown) => void) | undefined;
  #settled = false;
  #failed = false;
  #outcome: unknown;

  get settled(): boolean {
    return this.#settled;
  }

  get promise(): Promise<T> {
    if (this.#promise !== undefined) return this.#promise;
    if (!this.#settled) {
      this.#promise = new Promise<T>((resolve, reject) => {
        this.#resolve = resolve;
        this.#reject = reject;
      });
    } else if (this.#failed) {
      this.#promise = Promise.reject(this.#outcome);
      this.#promise.catch(noop);
    } else {
      this.#promise = Promise.resolve(this.#outcome as T);
    }
    return this.#promise;
  }

  resolve(value: T): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#outcome = value;
    const resolve = this.#resolve;
    this.#forget();
    resolve?.(value);
  }

  reject(error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#failed = true;
    this.#outcome = error;
    const reject = this.#reject;
    this.#forget();
    if (reject !== undefined) {
      this.#promise!.catch(noop);
      reject(error);
    }
  }

  #forget(): void {
    this.#resolve = undefined;
    this.#reject = undefined;
  }
}
