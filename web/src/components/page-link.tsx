import { Link } from "@fluentui/react-components";
import type { ReactNode } from "react";
import { navigate } from "../router";

/** A link that changes the page without a reload; a plain link to the same URL for new tabs. */
export function PageLink(props: { href: string; children: ReactNode; current?: boolean }) {
  return (
    <Link
      href={props.href}
      aria-current={props.current ? "page" : undefined}
      onClick={(event) => {
        if (event.ctrlKey || event.metaKey || event.shiftKey) return;
        event.preventDefault();
        navigate(props.href);
      }}
    >
      {props.children}
    </Link>
  );
}
