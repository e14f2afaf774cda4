import { ServiceUnavailableError } from '../domain/errors.js';

/**
 * Turns push callbacks into an async iterator for a subscription. The buffer is bounded: a
 * subscriber that falls more than `maxBuffered` events behind gets an error and must subscribe
 * again, so a stalled client cannot grow the server's memory.
 */
export function updateStream<T>(
  subscribe: (push: (value: T) => void) => () => void,
  maxBuffered: number,
): AsyncIterableIterator<T> {
  const buffer: T[] = [];
  let waiting: ((result: IteratorResult<T>) => void) | null = null;
  let failWaiting: ((error: unknown) => void) | null = null;
  let failure: Error | null = null;
  let done = false;

  const finish = () => {
    if (done) return;
    done = true;
    unsubscribe();
    buffer.length = 0;
  };

  const unsubscribe = subscribe((value) => {
    if (done) return;
    if (waiting) {
      const resolve = waiting;
      waiting = null;
      failWaiting = null;
      resolve({ value, done: false });
      return;
    }
    if (buffer.length >= maxBuffered) {
      finish();
      failure = new ServiceUnavailableError(
        `The subscriber fell more than ${maxBuffered} events behind; subscribe again and re-read the list.`,
      );
      return;
    }
    buffer.push(value);
  });

  return {
    next(): Promise<IteratorResult<T>> {
      if (buffer.length > 0) return Promise.resolve({ value: buffer.shift() as T, done: false });
      if (failure) {
        const error = failure;
        failure = null;
        return Promise.reject(error);
      }
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => {
        waiting = resolve;
        failWaiting = reject;
      });
    },
    return(): Promise<IteratorResult<T>> {
      finish();
      waiting?.({ value: undefined, done: true });
      waiting = null;
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(error?: unknown): Promise<IteratorResult<T>> {
      finish();
      failWaiting?.(error);
      waiting = null;
      return Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
