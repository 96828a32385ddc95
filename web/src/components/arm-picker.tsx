import { Combobox, Field, Option } from "@fluentui/react-components";
import { useEffect, useState } from "react";
import type { ArmResource } from "../api/azure";

/** What Azure Resource Manager listed at a path for the signed-in person, or why it could not. */
export interface ArmListing {
  items?: Array<{ name: string; location?: string }>;
  error?: string;
}

/**
 * The resources ARM lists (resource groups, Machine Learning workspaces: `list`), read with the person's own token
 * as Azure DevOps' creation dialog does; nothing while `list` is undefined. A later `key` cancels the read.
 */
export function useArmListing(list: ((signal: AbortSignal) => Promise<ArmResource[]>) | undefined, key: string): ArmListing {
  const [listing, setListing] = useState<ArmListing>({});
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` says when `list` reads something else.
  useEffect(() => {
    setListing({});
    if (!list) return;
    const controller = new AbortController();
    void (async () => {
      try {
        const listed = await list(controller.signal);
        setListing({ items: listed.map((r) => ({ name: r.name, location: r.location })).sort((a, b) => a.name.localeCompare(b.name)) });
      } catch (e) {
        if (!controller.signal.aborted) setListing({ error: (e as Error).message });
      }
    })();
    return () => controller.abort();
  }, [key]);
  return listing;
}

/** A field offering what ARM listed, that also takes a typed name (one the person cannot list, say). */
export function ArmPicker(props: { label: string; required?: boolean; hint?: string; value: string; listing: ArmListing; onChange: (name: string) => void }) {
  const { listing } = props;
  return (
    <Field label={props.label} required={props.required} hint={listing.error ? `Could not list them (${listing.error}): type the name.` : props.hint}>
      <Combobox freeform value={props.value} selectedOptions={props.value ? [props.value] : []} onChange={(e) => props.onChange(e.target.value.trim())} onOptionSelect={(_e, d) => props.onChange(d.optionValue ?? "")}>
        {(listing.items ?? []).map((item) => (
          <Option key={item.name} value={item.name}>
            {item.name}
          </Option>
        ))}
      </Combobox>
    </Field>
  );
}
