import {
  Badge,
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Dropdown,
  Field,
  MessageBar,
  MessageBarBody,
  Option,
  SearchBox,
  Spinner,
  Text,
  Title2,
  makeStyles,
} from "@fluentui/react-components";
import { SimpleTable } from "../components/simple-table";
import { ErrorBar } from "../components/error-bar";
import { useDeferredValue, useMemo, useState } from "react";
import { serviceEndpoints } from "../api/service-endpoints";
import { useLoad } from "../use-load";
import { PageLink } from "../components/page-link";
import { pageUrls } from "../router";
import { useCredentialExpiry, expiryText } from "../components/credential-expiry";
import { NewConnectionButton, newConnection } from "../components/new-connection";
import { useOpenAccess } from "../components/open-access";
import { StatusBadge } from "../components/status-badge";
import { RoleAssignments } from "../components/role-assignments";
import { useProjectPermissions } from "../permissions";

const PROJECT_SCOPE = "distributedtask.project.serviceendpointrole";
import { SCHEME_LABEL, scopeOf, statusOf } from "../model";

const useStyles = makeStyles({
  bar: { display: "flex", gap: "12px", alignItems: "end", margin: "16px 0", flexWrap: "wrap" },
  title: { display: "flex", alignItems: "center", justifyContent: "space-between" },
  markers: { display: "flex", gap: "4px", flexWrap: "wrap" },
});

export function ConnectionsPage() {
  const styles = useStyles();
  const [query, setQuery] = useState("");
  const [status, setStatus] = useState("All");
  const [scheme, setScheme] = useState("All");
  const [reload, setReload] = useState(0);
  const createdCount = newConnection.useCreatedCount();
  // What the last action on another page did (a delete, say), shown once here.
  const [flash] = useState(() => {
    const message = sessionStorage.getItem("svcconn.flash");
    sessionStorage.removeItem("svcconn.flash");
    return message;
  });
  // Refresh (reload) or a finished creation (createdCount) reads the list again.
  const listed = useLoad((signal) => serviceEndpoints.listAzureRm(signal), [reload, createdCount]);
  const endpoints = useMemo(() => listed.data?.value.sort((a, b) => a.name.localeCompare(b.name)), [listed.data]);
  const error = listed.error;
  const permissions = useProjectPermissions();
  const [securityOpen, setSecurityOpen] = useState(false);
  const expiry = useCredentialExpiry(!!endpoints?.some((e) => e.authorization.scheme === "ServicePrincipal"));
  const openAccess = useOpenAccess(endpoints);
  const search = useDeferredValue(query.trim().toLowerCase());


  const shown = useMemo(
    () =>
      (endpoints ?? []).filter(
        (e) =>
          (status === "All" || statusOf(e) === status) &&
          (scheme === "All" || e.authorization.scheme === scheme) &&
          (!search || e.name.toLowerCase().includes(search) || scopeOf(e).toLowerCase().includes(search) || (e.description ?? "").toLowerCase().includes(search)),
      ),
    [endpoints, status, scheme, search],
  );

  return (
    <section aria-labelledby="connections-title">
      <div className={styles.title}>
        <Title2 as="h1" id="connections-title">
          Service connections
        </Title2>
        {permissions.canCreate && <NewConnectionButton />}
        {permissions.projectId && <Button onClick={() => setSecurityOpen(true)}>Security</Button>}
      </div>
      {securityOpen && permissions.projectId && (
        <Dialog open onOpenChange={(_e, d) => !d.open && setSecurityOpen(false)}>
          <DialogSurface style={{ maxWidth: "min(48rem, 95vw)" }}>
            <DialogBody>
              <DialogTitle>Security for all service connections</DialogTitle>
              <DialogContent>
                {/* The project-level roles every connection of the project inherits; Creator lets someone create them. */}
                <RoleAssignments scope={PROJECT_SCOPE} resource={permissions.projectId} roles={["Reader", "User", "Creator", "Administrator"]} admin={permissions.canAdminister} />
              </DialogContent>
              <DialogActions>
                <Button onClick={() => setSecurityOpen(false)}>Close</Button>
              </DialogActions>
            </DialogBody>
          </DialogSurface>
        </Dialog>
      )}
      <div className={styles.bar}>
        <Field label="Filter by keywords">
          <SearchBox value={query} onChange={(_e, d) => setQuery(d.value)} placeholder="Name, scope or description" />
        </Field>
        <Field label="Status">
          <Dropdown value={status} selectedOptions={[status]} onOptionSelect={(_e, d) => setStatus(d.optionValue ?? "All")}>
            {["All", "Ready", "Failed", "In progress"].map((s) => (
              <Option key={s} value={s}>
                {s}
              </Option>
            ))}
          </Dropdown>
        </Field>
        <Field label="Authentication">
          <Dropdown value={scheme === "All" ? "All" : SCHEME_LABEL[scheme]} selectedOptions={[scheme]} onOptionSelect={(_e, d) => setScheme(d.optionValue ?? "All")}>
            <Option value="All">All</Option>
            {Object.entries(SCHEME_LABEL)
              .filter(([k]) => k !== "PublishProfile")
              .map(([k, label]) => (
                <Option key={k} value={k}>
                  {label}
                </Option>
              ))}
          </Dropdown>
        </Field>
      </div>
      {flash && (
        <MessageBar intent="success">
          <MessageBarBody role="status" data-testid="flash">
            {flash}
          </MessageBarBody>
        </MessageBar>
      )}
      <ErrorBar message={error} />
      {!endpoints && !error && <Spinner label="Loading service connections" />}
      {endpoints && (
        <>
          <Text as="p" aria-live="polite" data-testid="connection-count">
            {shown.length === endpoints.length ? `${endpoints.length} service connections` : `${shown.length} of ${endpoints.length} service connections`}
          </Text>
          <SimpleTable
            label="Service connections"
            columns={["Name", "Status", "Authentication", "Scope", "Credential expiry", "Access"]}
            rows={shown}
            rowKey={(e) => e.id}
            cells={(e) => [
              <PageLink key="name" href={pageUrls.connection(e.id)}>
                {e.name}
              </PageLink>,
              <StatusBadge key="status" endpoint={e} />,
              SCHEME_LABEL[e.authorization.scheme] ?? e.authorization.scheme,
              scopeOf(e),
              expiryText(e, expiry),
              <span key="access" className={styles.markers}>
                {e.isShared && (
                  <Badge appearance="outline" color="informative">
                    Shared
                  </Badge>
                )}
                {openAccess.has(e.id) && (
                  <Badge appearance="outline" color="warning">
                    All pipelines
                  </Badge>
                )}
              </span>,
            ]}
          />
          {endpoints.length === 0 && <Text as="p">No service connections yet.</Text>}
          {permissions.loaded && !permissions.canCreate && (
            <Text as="p" size={200}>
              You can view service connections here; creating them needs the Creator or Administrator role on the project's service connections.
            </Text>
          )}
        </>
      )}
      <Button appearance="transparent" onClick={() => setReload((n) => n + 1)}>
        Refresh
      </Button>
    </section>
  );
}
