import {
  Button,
  Checkbox,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  DialogTrigger,
  Dropdown,
  Field,
  Input,
  Link,
  MessageBar,
  MessageBarBody,
  Option,
  Radio,
  RadioGroup,
  Spinner,
  Text,
  Textarea,
  makeStyles,
  tokens,
} from "@fluentui/react-components";
import { ErrorBar } from "./error-bar";
import { CheckmarkCircle20Filled, Circle20Regular, DismissCircle20Filled } from "@fluentui/react-icons";
import { type Dispatch, useEffect, useReducer, useRef, useState, useSyncExternalStore } from "react";
import { arm } from "../api/azure";
import { pipelines } from "../api/pipelines";
import { serviceEndpoints } from "../api/service-endpoints";
import { pageUrls } from "../router";
import { navigate, useLocation } from "../router";
import { config } from "../config";
import type { ServiceEndpoint } from "../model";
import { currentProjectId } from "../permissions";
import { ArmPicker, useArmListing } from "./arm-picker";
import { canSave, type ConnectionForm, connectionRequest, type Credential, type FormAction, formReducer, type IdentityType, initialForm, type ManagementGroup, type Picker, type ScopeLevel, type Subscription } from "./connection-form";
import { ExplanationView } from "./explanation";
import { useLoad } from "../use-load";

const useStyles = makeStyles({
  form: { display: "flex", flexDirection: "column", gap: "12px" },
  steps: { listStyle: "none", padding: 0, display: "flex", flexDirection: "column", gap: "8px" },
  step: { display: "flex", gap: "8px", alignItems: "center" },
  done: { color: tokens.colorPaletteGreenForeground1 },
  failed: { color: tokens.colorPaletteRedForeground1 },
  surface: { maxWidth: "720px" },
});

/** The four steps Azure DevOps takes when an automatic azurerm connection is saved (SPEC S1). */
export const CREATION_STEPS = [
  "Connect to the Microsoft Entra tenant of the subscription",
  "Create an application in Microsoft Entra ID on your behalf",
  "Assign the application the Contributor role",
  "Save the service connection",
];

/** Where creation stands: which steps are done, which one failed, and with which message. */
export function creationProgress(e: ServiceEndpoint): { done: number; failed?: number; message?: string; ready: boolean } {
  const state = e.operationStatus?.state;
  if (state === "Ready") return { done: 4, ready: true };
  if (state === "Failed") {
    const failed = e.operationStatus?.failedStep?.number ?? 4;
    return { done: failed - 1, failed, message: e.operationStatus?.statusMessage, ready: false };
  }
  const done = e.data.spnObjectId ? 3 : e.data.appObjectId ? 1 : 0;
  return { done, ready: false };
}

export function CreationSteps({ endpoint }: { endpoint: ServiceEndpoint }) {
  const styles = useStyles();
  const progress = creationProgress(endpoint);
  return (
    <ol className={styles.steps} aria-label="Creation steps">
      {CREATION_STEPS.map((name, i) => {
        const n = i + 1;
        const state = n <= progress.done ? "done" : n === progress.failed ? "failed" : !progress.failed && n === progress.done + 1 ? "running" : "pending";
        return (
          <li key={name} className={styles.step} data-state={state}>
            {state === "done" && <CheckmarkCircle20Filled className={styles.done} aria-hidden />}
            {state === "failed" && <DismissCircle20Filled className={styles.failed} aria-hidden />}
            {state === "running" && <Spinner size="extra-tiny" aria-hidden />}
            {state === "pending" && <Circle20Regular aria-hidden />}
            <Text>
              Step {n} of 4: {name} — <em>{{ done: "done", failed: "failed", running: "in progress", pending: "not run" }[state]}</em>
            </Text>
          </li>
        );
      })}
    </ol>
  );
}

/**
 * The dialog lives beside the pages (in App), not inside the list: it is opened from the list's button or the
 * `?action=new` link, and "Open it" can move to the new connection's page while it closes, without the page
 * change tearing it down half-way (which would leave the page hidden from assistive technology).
 */
const listeners = new Set<() => void>();
let dialogOpen = false;
let createdCount = 0;
const emit = () => {
  for (const l of listeners) l();
};
const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => void listeners.delete(l);
};
export const newConnection = {
  open: () => {
    dialogOpen = true;
    emit();
  },
  close: () => {
    dialogOpen = false;
    emit();
  },
  /** Changes each time a creation finishes (the list reads it again). */
  useCreatedCount: () => useSyncExternalStore(subscribe, () => createdCount),
};
const grantAll = (id: string) => pipelines.setPermissions("endpoint", id, { allPipelines: { authorized: true }, pipelines: [] });

const announceCreated = () => {
  createdCount++;
  emit();
};

export function NewConnectionButton() {
  return (
    <Button appearance="primary" onClick={newConnection.open}>
      New service connection
    </Button>
  );
}

/**
 * The creation wizard. Anyone may open it (through `?action=new`); the service decides on Save, so a person without
 * the Creator role gets Azure DevOps' own refusal. The form's state and the request it sends are connection-form.ts.
 */
export function NewConnectionDialog() {
  const styles = useStyles();
  const open = useSyncExternalStore(subscribe, () => dialogOpen);
  // Following a link out of the dialog (to the doctor, say) closes it.
  const { pathname } = useLocation();
  const openedAt = useRef(pathname);
  useEffect(() => {
    if (!open) openedAt.current = pathname;
    else if (pathname !== openedAt.current) newConnection.close();
  }, [open, pathname]);
  const setOpen = (value: boolean) => (value ? newConnection.open() : newConnection.close());
  const { types, type, setType, typeChosen, setTypeChosen } = useConnectionType(open);
  const [form, dispatch] = useReducer(formReducer, config.tenantId, initialForm);
  const pickers = usePickers(open, form);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string>();
  const [created, setCreated] = useState<ServiceEndpoint>();
  useFollowedCreation(created, form.allPipelines, setCreated, setError);

  // Save replaces the form (and the focused Save button) with the steps: the focus follows, so the keyboard
  // stays in the dialog (Escape, Tab to Close or to the new connection).
  const progressRef = useRef<HTMLElement>(null);
  const createdId = created?.id;
  useEffect(() => {
    if (createdId) progressRef.current?.focus();
  }, [createdId]);

  // A closed dialog starts afresh next time.
  useEffect(() => {
    if (open) return;
    setCreated(undefined);
    setError(undefined);
    setSaving(false);
    dispatch({ type: "closed" });
  }, [open]);

  const save = async () => {
    setError(undefined);
    setSaving(true);
    try {
      const body = connectionRequest(form, { projectId: await currentProjectId(), projectName: config.project, subscriptions: pickers.subscriptions, groups: pickers.groups });
      const endpoint = await serviceEndpoints.create(body);
      if (endpoint.operationStatus?.state !== "InProgress") {
        if (form.allPipelines && endpoint.operationStatus?.state !== "Failed") await grantAll(endpoint.id);
        announceCreated();
      }
      setCreated(endpoint);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setSaving(false);
    }
  };
  const valid = canSave(form);

  return (
    <Dialog open={open} onOpenChange={(_e, d) => setOpen(d.open)}>
      <DialogSurface className={styles.surface}>
        <DialogBody>
          <DialogTitle>{typeChosen ? "New Azure service connection" : "New service connection"}</DialogTitle>
          <DialogContent>
            {!typeChosen && (
              <form
                className={styles.form}
                aria-label="Choose a service or connection type"
                onSubmit={(event) => {
                  event.preventDefault();
                  if (type === "azurerm") setTypeChosen(true);
                }}
              >
                <Field label="Choose a service or connection type" hint={type && type !== "azurerm" ? "These pages create Azure Resource Manager connections; create this type through the REST API (POST _apis/serviceendpoint/endpoints)." : undefined}>
                  <RadioGroup value={type ?? ""} onChange={(_e, d) => setType(d.value)}>
                    {(types ?? []).map((t) => (
                      <Radio key={t.name} value={t.name} label={t.displayName} />
                    ))}
                  </RadioGroup>
                </Field>
              </form>
            )}
            {typeChosen && !created && (
              <form
                className={styles.form}
                aria-label="New Azure service connection"
                onSubmit={(event) => {
                  event.preventDefault();
                  if (valid && !saving) void save();
                }}
              >
                <ConnectionFields form={form} dispatch={dispatch} pickers={pickers} />
                <ErrorBar message={error} testId="save-error" />
                {error && <ExplanationView text={error} />}
                <button type="submit" hidden aria-hidden tabIndex={-1} />
              </form>
            )}
            {created && (
              <CreationProgress
                created={created}
                error={error}
                progressRef={progressRef}
                onOpen={() => {
                  // The dialog closes first, so the page behind it is no longer hidden from assistive technology.
                  setOpen(false);
                  navigate(pageUrls.connection(created.id));
                }}
              />
            )}
          </DialogContent>
          <DialogActions>
            {!typeChosen && (
              <Button appearance="primary" disabled={type !== "azurerm"} onClick={() => setTypeChosen(true)}>
                Next
              </Button>
            )}
            {typeChosen && !created && (
              <Button appearance="primary" disabled={!valid || saving} onClick={() => void save()}>
                {saving ? "Saving…" : "Save"}
              </Button>
            )}
            <DialogTrigger disableButtonEnhancement>
              <Button appearance="secondary">{created ? "Close" : "Cancel"}</Button>
            </DialogTrigger>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}

/** As in Azure DevOps, the dialog starts with the connection type; svcconn's pages build Azure Resource Manager ones. */
function useConnectionType(open: boolean) {
  const [type, setType] = useState<string>();
  const [typeChosen, setTypeChosen] = useState(false);
  useEffect(() => {
    if (!open) setTypeChosen(false);
  }, [open]);
  const listed = useLoad(
    open ? (signal) => serviceEndpoints.types(signal).then((r) => r.value, () => [{ name: "azurerm", displayName: "Azure Resource Manager" }]) : undefined,
    [open],
  );
  return { types: listed.data, type, setType, typeChosen, setTypeChosen };
}

interface Pickers {
  subscriptions?: Picker<Subscription>;
  groups?: Picker<ManagementGroup>;
  resourceGroups: ReturnType<typeof useArmListing>;
  workspaces: ReturnType<typeof useArmListing>;
}

/** What an automatic connection is picked from: the endpoint proxy's subscriptions and groups, ARM's groups and workspaces. */
function usePickers(open: boolean, form: ConnectionForm): Pickers {
  const { identity, scopeLevel, subscriptionId, resourceGroup } = form;
  const automatic = open && identity === "automatic";
  const picker =
    <T,>(name: "azurermsubscriptions" | "azurermmanagementgroups") =>
    (signal: AbortSignal) =>
      serviceEndpoints.picker<T>(name, signal).catch((e: Error): Picker<T> => ({ value: [], errorMessage: e.message }));
  const subscriptions = useLoad(automatic && scopeLevel !== "ManagementGroup" ? picker<Subscription>("azurermsubscriptions") : undefined, [automatic, scopeLevel === "ManagementGroup"]).data;
  const groups = useLoad(automatic && scopeLevel === "ManagementGroup" ? picker<ManagementGroup>("azurermmanagementgroups") : undefined, [automatic, scopeLevel === "ManagementGroup"]).data;
  const listing = identity === "automatic" && subscriptionId;
  const resourceGroups = useArmListing(listing ? (signal) => arm.resourceGroups(subscriptionId, signal) : undefined, `${listing}`);
  const workspaces = useArmListing(
    listing && scopeLevel === "AzureMLWorkspace" && resourceGroup ? (signal) => arm.machineLearningWorkspaces(subscriptionId, resourceGroup, signal) : undefined,
    `${listing}/${scopeLevel}/${resourceGroup}`,
  );
  return { subscriptions, groups, resourceGroups, workspaces };
}

/** Live progress: the connection is read again until its creation has finished, one way or the other. */
function useFollowedCreation(created: ServiceEndpoint | undefined, allPipelines: boolean, setCreated: (e: ServiceEndpoint) => void, setError: (m: string) => void) {
  useEffect(() => {
    if (created?.operationStatus?.state !== "InProgress") return;
    // A dialog closed while a read is on its way aborts it: its answer would land on nothing.
    const controller = new AbortController();
    const timer = setTimeout(() => {
      serviceEndpoints
        .get(created.id, controller.signal)
        .then(async (e) => {
          if (!e) throw new Error(`The service connection ${created.id} is gone.`);
          if (e.operationStatus?.state === "Ready" && allPipelines) await grantAll(e.id);
          setCreated(e);
          if (e.operationStatus?.state !== "InProgress") announceCreated();
        })
        .catch((e: Error) => !controller.signal.aborted && setError(e.message));
    }, 400);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [created, allPipelines, setCreated, setError]);
}

/** The form's fields; each change is an action for connection-form.ts's reducer. */
function ConnectionFields({ form, dispatch, pickers }: { form: ConnectionForm; dispatch: Dispatch<FormAction>; pickers: Pickers }) {
  const set = (values: Extract<FormAction, { type: "set" }>["values"]) => dispatch({ type: "set", values });
  const { identity, credential, scopeLevel } = form;
  return (
    <>
      <Field label="Identity type">
        <RadioGroup value={identity} onChange={(_e, d) => dispatch({ type: "identity", identity: d.value as IdentityType })}>
          <Radio value="automatic" label="App registration (automatic)" />
          <Radio value="manual" label="App registration or managed identity (manual)" />
          <Radio value="managedIdentity" label="Managed identity (self-hosted agent's VM)" />
        </RadioGroup>
      </Field>
      {identity !== "managedIdentity" && (
        <Field label="Credential">
          <RadioGroup layout="horizontal" value={credential} onChange={(_e, d) => set({ credential: d.value as Credential })}>
            <Radio value="WorkloadIdentityFederation" label="Workload identity federation" />
            <Radio value="ServicePrincipal" label="Secret" />
            {identity === "manual" && <Radio value="Certificate" label="Certificate" />}
          </RadioGroup>
        </Field>
      )}
      <Field label="Scope level">
        <RadioGroup layout="horizontal" value={scopeLevel} onChange={(_e, d) => set({ scopeLevel: d.value as ScopeLevel })}>
          <Radio value="Subscription" label="Subscription" />
          <Radio value="ManagementGroup" label="Management group" />
          <Radio value="AzureMLWorkspace" label="Machine Learning workspace" />
        </RadioGroup>
      </Field>
      <ScopeFields form={form} set={set} pickers={pickers} />
      {identity === "manual" && (
        <>
          <Field label="Service principal (application) client ID" required>
            <Input value={form.clientId} onChange={(_e, d) => set({ clientId: d.value.trim() })} />
          </Field>
          {credential === "ServicePrincipal" && (
            <Field label="Service principal key" required>
              <Input type="password" value={form.secret} onChange={(_e, d) => set({ secret: d.value })} />
            </Field>
          )}
          {credential === "Certificate" && (
            <Field label="Certificate" required hint="PEM: the certificate and its private key, as the application's credential holds it.">
              <Textarea resize="vertical" value={form.certificate} onChange={(_e, d) => set({ certificate: d.value })} />
            </Field>
          )}
        </>
      )}
      <Field label="Service connection name" required>
        <Input value={form.name} onChange={(_e, d) => set({ name: d.value })} />
      </Field>
      <Field label="Description (optional)">
        <Textarea value={form.description} onChange={(_e, d) => set({ description: d.value })} />
      </Field>
      <Checkbox checked={form.allPipelines} onChange={(_e, d) => set({ allPipelines: !!d.checked })} label="Grant access permission to all pipelines" />
    </>
  );
}

/** Where the connection works: picked (automatic) or typed (manual), with its resource group or workspace. */
function ScopeFields({ form, set, pickers }: { form: ConnectionForm; set: (values: Partial<ConnectionForm>) => void; pickers: Pickers }) {
  const { identity, scopeLevel, subscriptionId, managementGroupId, resourceGroup, workspace } = form;
  const { subscriptions, groups, resourceGroups, workspaces } = pickers;
  return (
    <>
      {identity === "automatic" && scopeLevel !== "ManagementGroup" && (
        <Field label="Subscription" required validationMessage={subscriptions?.errorMessage ?? undefined}>
          <Dropdown
            placeholder={subscriptions ? "Select a subscription" : "Loading subscriptions…"}
            selectedOptions={subscriptionId ? [subscriptionId] : []}
            value={subscriptions?.value.find((s) => s.subscriptionId === subscriptionId)?.displayName ?? ""}
            onOptionSelect={(_e, d) => set({ subscriptionId: d.optionValue ?? "" })}
          >
            {(subscriptions?.value ?? []).map((s) => (
              <Option key={s.subscriptionId} value={s.subscriptionId} text={s.displayName}>
                {`${s.displayName} (${s.subscriptionId})`}
              </Option>
            ))}
          </Dropdown>
        </Field>
      )}
      {identity === "automatic" && scopeLevel === "ManagementGroup" && (
        <Field label="Management group" required validationMessage={groups?.errorMessage ?? undefined}>
          <Dropdown
            placeholder={groups ? "Select a management group" : "Loading management groups…"}
            selectedOptions={managementGroupId ? [managementGroupId] : []}
            value={groups?.value.find((g) => g.id === managementGroupId)?.displayName ?? ""}
            onOptionSelect={(_e, d) => set({ managementGroupId: d.optionValue ?? "" })}
          >
            {(groups?.value ?? []).map((g) => (
              <Option key={g.id} value={g.id} text={g.displayName}>
                {`${g.displayName} (${g.id})`}
              </Option>
            ))}
          </Dropdown>
        </Field>
      )}
      {identity !== "automatic" && scopeLevel !== "ManagementGroup" && (
        <>
          <Field label="Subscription ID" required>
            <Input value={subscriptionId} onChange={(_e, d) => set({ subscriptionId: d.value.trim() })} />
          </Field>
          <Field label="Subscription name">
            <Input value={form.subscriptionName} onChange={(_e, d) => set({ subscriptionName: d.value })} />
          </Field>
        </>
      )}
      {identity !== "automatic" && scopeLevel === "ManagementGroup" && (
        <Field label="Management group ID" required>
          <Input value={managementGroupId} onChange={(_e, d) => set({ managementGroupId: d.value.trim() })} />
        </Field>
      )}
      {identity !== "automatic" && (
        <Field label="Tenant ID" required>
          <Input value={form.tenantId} onChange={(_e, d) => set({ tenantId: d.value.trim() })} />
        </Field>
      )}
      {scopeLevel === "Subscription" && (
        <ArmPicker label="Resource group (optional)" hint="Leave empty to grant on the whole subscription." value={resourceGroup} listing={resourceGroups} onChange={(value) => set({ resourceGroup: value })} />
      )}
      {scopeLevel === "AzureMLWorkspace" && (
        <>
          <ArmPicker label="Resource group" required value={resourceGroup} listing={resourceGroups} onChange={(value) => set({ resourceGroup: value })} />
          <ArmPicker
            label="Machine Learning workspace"
            required
            value={workspace.name}
            listing={workspaces}
            onChange={(name) => set({ workspace: { name, location: workspaces.items?.find((i) => i.name === name)?.location ?? workspace.location } })}
          />
          <Field label="Workspace location" required>
            <Input value={workspace.location} onChange={(_e, d) => set({ workspace: { ...workspace, location: d.value.trim() } })} />
          </Field>
        </>
      )}
    </>
  );
}

/** After Save: the steps as they go, then the outcome (a link to the new connection, or the failure explained). */
function CreationProgress({ created, error, progressRef, onOpen }: { created: ServiceEndpoint; error?: string; progressRef: React.RefObject<HTMLElement | null>; onOpen: () => void }) {
  const progress = creationProgress(created);
  return (
    <section aria-label="Creating the service connection" aria-live="polite" tabIndex={-1} ref={progressRef}>
      <Text as="p" weight="semibold">
        {created.name}
      </Text>
      {created.data.creationMode === "Automatic" ? <CreationSteps endpoint={created} /> : <Text as="p">Saved.</Text>}
      {progress.ready && (
        <MessageBar intent="success">
          <MessageBarBody>
            The service connection is ready.{" "}
            <Link
              href={pageUrls.connection(created.id)}
              onClick={(event) => {
                event.preventDefault();
                onOpen();
              }}
            >
              Open it
            </Link>
          </MessageBarBody>
        </MessageBar>
      )}
      {progress.failed !== undefined && (
        <>
          <MessageBar intent="error" role="alert">
            <MessageBarBody data-testid="creation-error">{progress.message}</MessageBarBody>
          </MessageBar>
          <ExplanationView text={progress.message ?? ""} offerScan />
        </>
      )}
      <ErrorBar message={error} />
    </section>
  );
}
