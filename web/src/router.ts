import { useSyncExternalStore } from "react";

/** The page's URL as state: pages are real Azure DevOps paths, and links change them without a reload. */
const listeners = new Set<() => void>();
window.addEventListener("popstate", () => {
  for (const l of listeners) l();
});

export function navigate(url: string): void {
  history.pushState(null, "", url);
  for (const l of listeners) l();
}

export function useLocation(): { pathname: string; search: URLSearchParams } {
  const href = useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => location.href,
  );
  const url = new URL(href);
  return { pathname: url.pathname, search: url.searchParams };
}
