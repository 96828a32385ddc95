import { type DependencyList, useCallback, useEffect, useState } from "react";

export interface Loaded<T> {
  data?: T;
  error?: string;
  /** Reads again (after an action changed what was read). */
  reload: () => void;
}

/**
 * Data a component reads when it mounts and whenever `deps` change (no `load`: nothing to read yet). A read that
 * is replaced or whose component goes away is aborted, and its late answer dropped: a page never shows what an older
 * request returned.
 */
export function useLoad<T>(load: ((signal: AbortSignal) => Promise<T>) | undefined, deps: DependencyList): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: string }>({});
  const [round, setRound] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps say when `load` reads something else.
  useEffect(() => {
    if (!load) return;
    const controller = new AbortController();
    load(controller.signal).then(
      (data) => !controller.signal.aborted && setState({ data }),
      (e: Error) => !controller.signal.aborted && setState((s) => ({ data: s.data, error: e.message })),
    );
    return () => controller.abort();
  }, [...deps, round]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  return { ...state, reload };
}
