/**
 * A wait in real time (a debounce, a retry's backoff, a refresh held off): calls `fn` after
 * `ms`; the result cancels it. Tests pass one they release by hand.
 */
export type Delay = (ms: number, fn: () => void) => () => void;

/** setTimeout, unref'd: a pending wait never keeps the process alive. */
export const realDelay: Delay = (ms, fn) => {
  const timer = setTimeout(fn, ms);
  timer.unref();
  return () => clearTimeout(timer);
};
