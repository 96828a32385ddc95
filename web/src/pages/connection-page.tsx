import {
  Body1,
  Button,
  Checkbox,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Dropdown,
  Field,
  Input,
  MessageBar,
  MessageBarBody,
  Option,
  Spinner,
  Switch,
  Tab,
  TabList,
  Text,
  Textarea,
  Title2,
  Toolbar,
  ToolbarButton,
  makeStyles,
  Menu,
  MenuItem,
  MenuList,
  MenuPopover,
  MenuTrigger,
} from "@fluentui/react-components";
import { MoreHorizontalRegular } from "@fluentui/react-icons";
import { SimpleTable } from "../components/simple-table";
import { ErrorBar } from "../components/error-bar";
import { useEffect, useState } from "react";
import { type PipelinePermissions, pipelines } from "../api/pipelines";
import { serviceEndpoints } from "../api/service-endpoints";
import { PageLink } from "../components/page-link";
import { pageUrls } from "../router";
import { expiryText, useCredentialExpiry } from "../components/credential-expiry";
import { emulatorNow } from "../config";
import { ExplanationView } from "../components/explanation";
import { RoleAssignments } from "../components/role-assignments";
import { CreationSteps } from "../components/new-connection";
import { StatusBadge } from "../components/status-badge";
import { navigate } from "../router";
import { useLoad } from "../use-load";
import { SCHEME_LABEL, type ServiceEndpoint, scopeOf } from "../model";
import { currentProjectId, useEndpointAdministration } from "../permissions";

const useStyles = makeStyles({
  facts: { display: "grid", gridTemplateColumns: "max-content 1fr", gap: "6px 24px", margin: "12px 0" },
  section: { marginTop: "16px", display: "flex", flexDirection: "column", gap: "10px", maxWidth: "960px" },
  row: { display: "flex", gap: "8px", alignItems: "end", flexWrap: "wrap" },
});

type TabName = "overview" | "usage" | "security" | "permissions";

export function ConnectionPage({ endpointId }: { endpointId: string }) {
  const styles = useStyles();
  const [tab, setTab] = useState<TabName>("overview");
  const [busy, setBusy] = useState<string>();
  const [outcome, setOutcome] = useState<{ intent: "success" | "error"; text: string; explain?: boolean }>();
  const [dialog, setDialog] = useState<"edit" | "delete" | "convert" | undefined>();
  const admin = useEndpointAdministration(endpointId);

  const loaded = useLoad((signal) => serviceEndpoints.get(endpointId, signal).then((e) => e ?? Promise.reject(new Error(`The service connection ${endpointId} was not found, or you cannot view it.`))), [endpointId]);
  const { data: endpoint, reload } = loaded;
  // A read that fails after one succeeded (while following a creation, say) keeps the page; only a first one replaces it.
  const error = endpoint ? undefined : loaded.error;
  // A creation running (a failed one saved again runs its steps once more): follow it as the portal does.
  const inProgress = endpoint?.operationStatus?.state === "InProgress";
  useEffect(() => {
    if (!inProgress) return;
    const timer = setInterval(reload, 500);
    return () => clearInterval(timer);
  }, [inProgress, reload]);
  // Read again after every action (a rotation adds a secret; a conversion changes the scheme).
  const [actions, setActions] = useState(0);
  const expiry = useCredentialExpiry(endpoint?.authorization.scheme === "ServicePrincipal", `${endpoint?.authorization.parameters?.serviceprincipalid}:${actions}`);

  const act = async (label: string, work: () => Promise<string>, explainFailure = true) => {
    setBusy(label);
    setOutcome(undefined);
    try {
      setOutcome({ intent: "success", text: await work() });
      setActions((n) => n + 1);
      reload();
    } catch (e) {
      setOutcome({ intent: "error", text: (e as Error).message, explain: explainFailure });
    } finally {
      setBusy(undefined);
    }
  };

  const verify = () =>
    act("Verify", async () => {
      const result = await serviceEndpoints.verify(endpointId);
      if (result.statusCode !== "ok") throw new Error(result.errorMessage ?? `Verification failed: ${result.statusCode}`);
      return "Verification succeeded.";
    });
  const rotate = () =>
    act("Rotate", async () => {
      if (endpoint) await serviceEndpoints.rotateSecret(endpoint);
      return "A new secret was made and stored in the service connection; the old one was removed.";
    });

  if (error) return <ErrorBar message={error} />;
  if (!endpoint) return <Spinner label="Loading the service connection" />;
  const p = endpoint.authorization.parameters ?? {};
  const automatic = endpoint.data.creationMode === "Automatic";
  const failed = endpoint.operationStatus?.state === "Failed";
  const scheme = endpoint.authorization.scheme;
  // Azure DevOps offers the way back only to a connection converted from a secret, for seven days on its clock.
  const revertible = scheme === "WorkloadIdentityFederation" && !!endpoint.data.revertSchemeDeadline && Date.parse(endpoint.data.revertSchemeDeadline) > emulatorNow();

  return (
    <section aria-labelledby="connection-title">
      <Text as="p" block size={200}>
        <PageLink href={pageUrls.connections()}>Service connections</PageLink> ›
      </Text>
      <Title2 as="h1" id="connection-title">
        {endpoint.name}
      </Title2>
      {/* As on Azure DevOps' page: Edit beside the title, everything else in the "⋯" menu. */}
      <Toolbar aria-label="Service connection actions">
        {admin && (
          <ToolbarButton disabled={!!busy} onClick={() => setDialog("edit")}>
            Edit
          </ToolbarButton>
        )}
        <Menu>
          <MenuTrigger disableButtonEnhancement>
            <ToolbarButton aria-label="More actions" icon={<MoreHorizontalRegular />} disabled={!!busy} />
          </MenuTrigger>
          <MenuPopover>
            <MenuList>
              <MenuItem disabled={failed} onClick={() => void verify()}>
                Verify
              </MenuItem>
              <MenuItem onClick={() => setTab("security")}>Security</MenuItem>
              {admin && scheme === "ServicePrincipal" && automatic && !failed && <MenuItem onClick={() => void rotate()}>Rotate secret</MenuItem>}
              {admin && (scheme === "ServicePrincipal" || revertible) && !failed && (
                <MenuItem onClick={() => setDialog("convert")}>{scheme === "ServicePrincipal" ? "Convert to workload identity federation" : "Revert to secret"}</MenuItem>
              )}
              {admin && <MenuItem onClick={() => setDialog("delete")}>Delete</MenuItem>}
            </MenuList>
          </MenuPopover>
        </Menu>
      </Toolbar>
      {busy && <Spinner size="tiny" label={`${busy}…`} />}
      {outcome && (
        <div data-testid="action-outcome">
          <MessageBar intent={outcome.intent}>
            <MessageBarBody role={outcome.intent === "error" ? "alert" : "status"}>{outcome.text}</MessageBarBody>
          </MessageBar>
          {outcome.intent === "error" && outcome.explain && <ExplanationView text={outcome.text} offerScan />}
        </div>
      )}
      <TabList selectedValue={tab} onTabSelect={(_e, d) => setTab(d.value as TabName)} aria-label="Service connection details">
        <Tab value="overview">Overview</Tab>
        <Tab value="usage">Usage history</Tab>
        <Tab value="security">Security</Tab>
        <Tab value="permissions">Pipeline permissions</Tab>
      </TabList>
      <div role="tabpanel" aria-label={tab} className={styles.section}>
        {tab === "overview" && (
          <>
            <dl className={styles.facts}>
              <dt>Status</dt>
              <dd>
                <StatusBadge endpoint={endpoint} />
              </dd>
              <dt>Authentication</dt>
              <dd>{SCHEME_LABEL[scheme] ?? scheme}</dd>
              <dt>Creation</dt>
              <dd>{automatic ? "Automatic" : endpoint.data.creationMode === "Manual" ? "Manual" : "—"}</dd>
              <dt>Scope</dt>
              <dd>{scopeOf(endpoint)}</dd>
              <dt>Tenant</dt>
              <dd>{p.tenantid ?? "—"}</dd>
              <dt>Application (client) ID</dt>
              <dd>{p.serviceprincipalid ?? "—"}</dd>
              {scheme === "ServicePrincipal" && (
                <>
                  <dt>Credential expiry</dt>
                  <dd>{expiryText(endpoint, expiry)}</dd>
                </>
              )}
              {scheme === "WorkloadIdentityFederation" && (
                <>
                  <dt>Issuer</dt>
                  <dd>{p.workloadIdentityFederationIssuer ?? "—"}</dd>
                  <dt>Subject identifier</dt>
                  <dd>{p.workloadIdentityFederationSubject ?? "—"}</dd>
                </>
              )}
              <dt>Created by</dt>
              <dd>{endpoint.createdBy?.displayName ?? "—"}</dd>
              <dt>Shared with</dt>
              <dd>{endpoint.serviceEndpointProjectReferences.map((r) => r.projectReference.name).join(", ")}</dd>
              <dt>Description</dt>
              <dd>{endpoint.description || "—"}</dd>
            </dl>
            {automatic && (failed || endpoint.operationStatus?.state === "InProgress") && <CreationSteps endpoint={endpoint} />}
            {failed && (
              <>
                <ErrorBar message={endpoint.operationStatus?.statusMessage} />
                <ExplanationView text={endpoint.operationStatus?.statusMessage ?? ""} />
              </>
            )}
          </>
        )}
        {tab === "usage" && <UsageHistory endpointId={endpointId} />}
        {tab === "security" && <Security endpointId={endpointId} admin={admin} />}
        {tab === "permissions" && <PipelinePermissionsPanel endpointId={endpointId} admin={admin} />}
      </div>
      {dialog === "edit" && <EditDialog endpoint={endpoint} onDone={() => { setDialog(undefined); reload(); }} />}
      {dialog === "convert" && (
        <ConfirmDialog
          title={scheme === "ServicePrincipal" ? "Convert to workload identity federation" : "Revert to a secret"}
          body={
            scheme === "ServicePrincipal"
              ? "The connection will present a federated token instead of its secret. The application gets a federated credential for this connection; the secret stays until you remove it. You can revert within seven days."
              : "The connection goes back to the secret it used before the conversion. Azure DevOps allows this within seven days of converting."
          }
          confirm={scheme === "ServicePrincipal" ? "Convert" : "Revert"}
          onCancel={() => setDialog(undefined)}
          onConfirm={() => {
            setDialog(undefined);
            const target = scheme === "ServicePrincipal" ? "WorkloadIdentityFederation" : "ServicePrincipal";
            void act("Convert", async () => {
              await serviceEndpoints.convertScheme({ ...endpoint, authorization: { ...endpoint.authorization, scheme: target } });
              return target === "WorkloadIdentityFederation" ? "Converted to workload identity federation." : "Reverted to the secret.";
            });
          }}
        />
      )}
      {dialog === "delete" && (
        <DeleteDialog
          endpoint={endpoint}
          onCancel={() => setDialog(undefined)}
          onDeleted={(message) => {
            setDialog(undefined);
            sessionStorage.setItem("svcconn.flash", message);
            navigate(pageUrls.connections());
          }}
        />
      )}
    </section>
  );
}

function ConfirmDialog(props: { title: string; body: string; confirm: string; onCancel: () => void; onConfirm: () => void }) {
  return (
    <Dialog open onOpenChange={(_e, d) => !d.open && props.onCancel()}>
      <DialogSurface>
        <DialogBody>
          <DialogTitle>{props.title}</DialogTitle>
          <DialogContent>
            <Body1>{props.body}</Body1>
          </DialogContent>
          <DialogActions>
            <Button appearance="primary" onClick={props.onConfirm}>
              {props.confirm}
            </Button>
            <Button onClick={props.onCancel}>Cancel</Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}

/**
 * Edit, as Azure DevOps' dialog for an Azure Resource Manager connection: its name and description, what it
 * authenticates with and where (read-only: an automatic connection's application and scope are the service's), a
 * manual secret connection's key (left empty, the stored one stays), and "Verify and save", which checks the
 * credentials being edited before anything is saved.
 */
function EditDialog({ endpoint, onDone }: { endpoint: ServiceEndpoint; onDone: () => void }) {
  const [name, setName] = useState(endpoint.name);
  const [description, setDescription] = useState(endpoint.description ?? "");
  const [secret, setSecret] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const scheme = endpoint.authorization.scheme;
  const automatic = endpoint.data.creationMode === "Automatic";
  const takesSecret = !automatic && scheme === "ServicePrincipal" && endpoint.authorization.parameters?.authenticationType !== "spnCertificate";
  const authorization = secret ? { ...endpoint.authorization, parameters: { ...endpoint.authorization.parameters, serviceprincipalkey: secret } } : endpoint.authorization;
  const run = async (verifyFirst: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      if (verifyFirst) {
        const details = { type: endpoint.type, url: endpoint.url, authorization, data: endpoint.data };
        const result = await serviceEndpoints.verify(endpoint.id, details);
        if (result.statusCode !== "ok") throw new Error(result.errorMessage ?? `Verification failed: ${result.statusCode}`);
      }
      const references = endpoint.serviceEndpointProjectReferences.map((r) => ({ ...r, name, description }));
      await serviceEndpoints.update({ ...endpoint, name, description, authorization, serviceEndpointProjectReferences: references });
      onDone();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open onOpenChange={(_e, d) => !d.open && onDone()}>
      <DialogSurface>
        <DialogBody>
          <DialogTitle>Edit service connection</DialogTitle>
          <DialogContent>
            <Field label="Authentication method">
              <Text>{`${SCHEME_LABEL[scheme] ?? scheme} (${automatic ? "automatic" : "manual"})`}</Text>
            </Field>
            <Field label="Scope">
              <Text>{scopeOf(endpoint)}</Text>
            </Field>
            {endpoint.authorization.parameters?.serviceprincipalid && (
              <Field label="Service principal (client) ID">
                <Text>{endpoint.authorization.parameters.serviceprincipalid}</Text>
              </Field>
            )}
            {takesSecret && (
              <Field label="Service principal key" hint="Leave empty to keep the stored key.">
                <Input type="password" value={secret} onChange={(_e, d) => setSecret(d.value)} />
              </Field>
            )}
            <Field label="Service connection name" required>
              <Input value={name} onChange={(_e, d) => setName(d.value)} />
            </Field>
            <Field label="Description">
              <Textarea value={description} onChange={(_e, d) => setDescription(d.value)} />
            </Field>
            <ErrorBar message={error} />
          </DialogContent>
          <DialogActions>
            <Button appearance="primary" disabled={!name.trim() || busy} onClick={() => void run(true)}>
              Verify and save
            </Button>
            <Button disabled={!name.trim() || busy} onClick={() => void run(false)}>
              Save
            </Button>
            <Button onClick={onDone}>Cancel</Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}

function DeleteDialog({ endpoint, onCancel, onDeleted }: { endpoint: ServiceEndpoint; onCancel: () => void; onDeleted: (message: string) => void }) {
  const automatic = endpoint.data.creationMode === "Automatic";
  const [deep, setDeep] = useState(automatic);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const remove = async () => {
    setBusy(true);
    try {
      const projectId = await currentProjectId();
      await serviceEndpoints.remove(endpoint.id, projectId, automatic ? deep : undefined);
      // A clean-up that failed shows on the connection itself, which then stays.
      const after = await serviceEndpoints.get(endpoint.id).catch(() => null);
      if (after?.operationStatus?.state === "Failed") throw new Error(after.operationStatus.statusMessage);
      onDeleted(
        automatic && deep
          ? `Deleted ${endpoint.name}, its application registration and its role assignment.`
          : automatic
            ? `Deleted ${endpoint.name}. Its application registration and role assignment were left in Microsoft Entra ID and Azure.`
            : `Deleted ${endpoint.name}.`,
      );
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };
  return (
    <Dialog open onOpenChange={(_e, d) => !d.open && onCancel()}>
      <DialogSurface>
        <DialogBody>
          <DialogTitle>Delete service connection</DialogTitle>
          <DialogContent>
            <Body1 as="p">Delete “{endpoint.name}”? Pipelines that use it will fail.</Body1>
            {automatic && (
              <Checkbox
                checked={deep}
                onChange={(_e, d) => setDeep(!!d.checked)}
                label="Also delete the application registration in Microsoft Entra ID and its role assignment (deep clean-up)"
              />
            )}
            {error && (
              <>
                <ErrorBar message={error} />
                <ExplanationView text={error} />
              </>
            )}
          </DialogContent>
          <DialogActions>
            <Button appearance="primary" disabled={busy} onClick={() => void remove()}>
              Delete
            </Button>
            <Button onClick={onCancel}>Cancel</Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}

function UsageHistory({ endpointId }: { endpointId: string }) {
  const { data, error } = useLoad((signal) => serviceEndpoints.executionHistory(endpointId, signal), [endpointId]);
  const records = data?.value;
  if (error) return <Text role="alert">{error}</Text>;
  if (!records) return <Spinner size="tiny" label="Loading usage history" />;
  if (!records.length) return <Text>No pipeline has used this service connection yet.</Text>;
  return (
    <SimpleTable
      label="Usage history"
      columns={["Pipeline", "Run", "Result", "Started"]}
      rows={records}
      rowKey={(r) => r.data.id}
      cells={(r) => [
        r.data.definition?.name ?? "—",
        r.data.owner ? <PageLink key="run" href={pageUrls.run(r.data.owner.id)}>{r.data.owner.name}</PageLink> : "—",
        r.data.result ?? "—",
        r.data.startTime ? new Date(r.data.startTime).toLocaleString() : "—",
      ]}
    />
  );
}

const ENDPOINT_SCOPE = "distributedtask.serviceendpointrole";

/** The connection's Security tab: its own role assignments, and whether it inherits the project's. */
function Security({ endpointId, admin }: { endpointId: string; admin: boolean }) {
  const { data: projectId, error } = useLoad(() => currentProjectId(), [endpointId]);
  const resource = projectId && `${projectId}_${endpointId}`;
  if (error) return <ErrorBar message={error} />;
  return resource ? <RoleAssignments scope={ENDPOINT_SCOPE} resource={resource} roles={["Reader", "User", "Administrator"]} admin={admin} inheritable /> : <Spinner size="tiny" label="Loading security" />;
}

function PipelinePermissionsPanel({ endpointId, admin }: { endpointId: string; admin: boolean }) {
  const read = useLoad((signal) => pipelines.permissions("endpoint", endpointId, signal), [endpointId]);
  // What a change answered replaces what was read.
  const [changed, setChanged] = useState<PipelinePermissions>();
  const permissions = changed ?? read.data;
  const [adding, setAdding] = useState("");
  const [failure, setError] = useState<string>();
  const error = failure ?? read.error;
  const definitions = useLoad((signal) => pipelines.list(signal), []).data?.value ?? [];
  const patch = (change: Partial<PipelinePermissions>) => {
    setError(undefined);
    pipelines
      .setPermissions("endpoint", endpointId, change)
      .then(setChanged)
      .catch((e: Error) => setError(e.message));
  };
  if (!permissions) return error ? <Text role="alert">{error}</Text> : <Spinner size="tiny" label="Loading pipeline permissions" />;
  const nameOf = (id: number) => definitions.find((p) => p.id === id)?.name ?? `Pipeline ${id}`;
  const authorized = permissions.pipelines.filter((p) => p.authorized);
  const open = !!permissions.allPipelines?.authorized;
  return (
    <>
      <ErrorBar message={error} />
      <Switch
        label="Open access: every pipeline in the project may use this connection"
        checked={open}
        disabled={!admin}
        onChange={(_e, d) => patch({ allPipelines: { authorized: d.checked }, pipelines: [] })}
      />
      {!open && (
        <>
          <SimpleTable
            label="Authorized pipelines"
            columns={["Pipeline", "Authorized by", "Action"]}
            rows={authorized}
            rowKey={(p) => p.id}
            cells={(p) => [
              nameOf(p.id),
              p.authorizedBy?.displayName ?? "—",
              admin && (
                      <Button size="small" onClick={() => patch({ pipelines: [{ id: p.id, authorized: false }] })}>
                        Remove {nameOf(p.id)}
                      </Button>
                    ),
            ]}
          />
          {authorized.length === 0 && <Text>No pipeline is authorized to use this connection.</Text>}
          {admin && (
            <div style={{ display: "flex", gap: 8, alignItems: "end" }}>
              <Field label="Add a pipeline">
                <Dropdown placeholder="Select a pipeline" selectedOptions={adding ? [adding] : []} value={adding ? nameOf(Number(adding)) : ""} onOptionSelect={(_e, d) => setAdding(d.optionValue ?? "")}>
                  {definitions
                    .filter((p) => !authorized.some((a) => a.id === p.id))
                    .map((p) => (
                      <Option key={p.id} value={String(p.id)}>
                        {p.name}
                      </Option>
                    ))}
                </Dropdown>
              </Field>
              <Button
                disabled={!adding}
                onClick={() => {
                  patch({ pipelines: [{ id: Number(adding), authorized: true }] });
                  setAdding("");
                }}
              >
                Authorize
              </Button>
            </div>
          )}
        </>
      )}
    </>
  );
}
