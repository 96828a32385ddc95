import { useSyncExternalStore } from "react";
import { config } from "./config";

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

const projectBase = () => `/${encodeURIComponent(config.organization)}/${encodeURIComponent(config.project ?? "")}`;

/** The pages' URLs: Azure DevOps' own paths (svcconn's own pages under `_svcconn`). */
export const pageUrls = {
  connections: () => `${projectBase()}/_settings/adminservices`,
  connection: (id: string) => `${projectBase()}/_settings/adminservices?resourceId=${encodeURIComponent(id)}`,
  doctor: () => `${projectBase()}/_svcconn/doctor`,
  emulator: () => `/${encodeURIComponent(config.organization)}/_svcconn/emulator${config.project ? `?project=${encodeURIComponent(config.project)}` : ""}`,
  run: (buildId: number | string) => `${projectBase()}/_build/results?buildId=${buildId}`,
};
