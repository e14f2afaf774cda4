/**
 * Runs a generator that watches an abort signal, and hands out an iterator whose `return()` ends it
 * at once. A plain async generator cannot be stopped while it waits for the next notification: its
 * `return()` is queued until it yields, which for a quiet command may be never, leaving the
 * subscription (and its bus listener) behind after the client went away.
 */
export function stoppableStream<T>(
  run: (signal: AbortSignal) => AsyncGenerator<T>,
  outer?: AbortSignal,
): AsyncIterableIterator<T> & { return(): Promise<IteratorResult<T>> } {
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort();
  if (outer?.aborted) controller.abort();
  else outer?.addEventListener('abort', onOuterAbort, { once: true });
  const generator = run(controller.signal);
  const stop = () => {
    controller.abort();
    outer?.removeEventListener('abort', onOuterAbort);
  };
  return {
    next: async () => {
      const result = await generator.next();
      if (result.done) stop();
      return result;
    },
    return: () => {
      stop();
      return generator.return(undefined);
    },
    throw: (error?: unknown) => {
      stop();
      return generator.throw(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * Resolves after `ms`, or as soon as `wake` is called or `signal` aborts, whichever comes first.
 * Returns the function that wakes it.
 */
export function napUntilWoken(ms: number, signal: AbortSignal): { done: Promise<void>; wake(): void } {
  let wake = () => {};
  const done = new Promise<void>((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      resolve();
    };
    const timer = setTimeout(finish, ms);
    signal.addEventListener('abort', finish, { once: true });
    if (signal.aborted) finish();
    wake = finish;
  });
  return { done, wake };
}

/**
 * The items of a stream of pages, one at a time. An item of the current page is handed out without
 * going back to the page stream, where an async generator yielding each item would cost a chain of
 * promises per item (a replay hands out many thousands). `return()` ends the page stream.
 */
export function itemsOfPages<T>(
  pages: AsyncIterator<readonly T[]>,
): AsyncIterableIterator<T> & { return(): Promise<IteratorResult<T>> } {
  let page: readonly T[] = [];
  let next = 0;
  return {
    next: async () => {
      while (next >= page.length) {
        const result = await pages.next();
        if (result.done) return { done: true, value: undefined };
        page = result.value;
        next = 0;
      }
      return { done: false, value: page[next++] as T };
    },
    return: async () => {
      page = [];
      await pages.return?.();
      return { done: true, value: undefined };
    },
    throw: async (error?: unknown) => {
      page = [];
      await pages.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
