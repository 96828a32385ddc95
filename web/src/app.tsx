import type { AccountInfo } from "@azure/msal-browser";
import { Button, makeStyles, Text, tokens } from "@fluentui/react-components";
import { type ReactNode, useEffect } from "react";
import { useLoad } from "./use-load";
import { signOut } from "./auth";
import { config } from "./config";
import { ConnectionPage } from "./pages/connection-page";
import { ConnectionsPage } from "./pages/connections-page";
import { NewConnectionDialog, newConnection } from "./components/new-connection";
import { DoctorPage } from "./pages/doctor-page";
import { EmulatorPage } from "./pages/emulator-page";
import { emulator } from "./api/svcconn";
import { RunPage } from "./pages/run-page";
import { PageLink } from "./components/page-link";
import { pageUrls, useLocation } from "./router";

const useStyles = makeStyles({
  header: { display: "flex", alignItems: "center", gap: "16px", padding: "8px 20px", borderBottom: `1px solid ${tokens.colorNeutralStroke2}`, background: tokens.colorNeutralBackground2 },
  crumbs: { flexGrow: 1, display: "flex", gap: "8px", alignItems: "center" },
  body: { display: "flex", minHeight: "calc(100vh - 49px)" },
  nav: { width: "220px", padding: "16px 12px", borderRight: `1px solid ${tokens.colorNeutralStroke2}`, display: "flex", flexDirection: "column", gap: "6px" },
  main: { flexGrow: 1, padding: "20px 28px", minWidth: 0 },
});

export function App({ account }: { account: AccountInfo }) {
  const styles = useStyles();
  const { pathname, search } = useLocation();
  // The emulator panel is for the organization's administrators: the link shows once the service agrees.
  const administrator = useLoad(() => emulator.access(), []).data?.administrator ?? false;
  // `?action=new` opens the creation wizard on arrival, as a link from elsewhere would.
  const action = search.get("action");
  useEffect(() => {
    if (action === "new") newConnection.open();
  }, [action]);
  const path = pathname.toLowerCase();
  let page: ReactNode;
  if (path.endsWith("/_settings/adminservices")) {
    const id = search.get("resourceId");
    page = id ? <ConnectionPage key={id} endpointId={id} /> : <ConnectionsPage />;
  } else if (path.endsWith("/_build/results")) {
    page = <RunPage buildId={Number(search.get("buildId"))} />;
  } else if (path.endsWith("/_svcconn/doctor")) {
    page = <DoctorPage />;
  } else if (path.endsWith("/_svcconn/emulator")) {
    page = <EmulatorPage />;
  } else {
    page = (
      <Text as="p">
        Signed in. Open <PageLink href={pageUrls.connections()}>service connections</PageLink>.
      </Text>
    );
  }
  return (
    <>
      <header className={styles.header}>
        <nav aria-label="Breadcrumb" className={styles.crumbs}>
          <Text weight="semibold">svcconn · Azure DevOps</Text>
          <Text aria-hidden>/</Text>
          <Text>{config.organization}</Text>
          {config.project && (
            <>
              <Text aria-hidden>/</Text>
              <Text>{config.project}</Text>
            </>
          )}
        </nav>
        <Text data-testid="signed-in-user">{account.name ?? account.username}</Text>
        <Button appearance="subtle" onClick={() => void signOut()}>
          Sign out
        </Button>
      </header>
      <div className={styles.body}>
        <nav aria-label="Project settings" className={styles.nav}>
          {config.project && (
            <>
              {/* As Azure DevOps' Project settings: the project, then its Pipelines settings. */}
              <Text weight="bold">Project settings</Text>
              <Text size={200}>{config.project}</Text>
              <Text weight="semibold" size={200}>
                Pipelines
              </Text>
              <PageLink href={pageUrls.connections()} current={path.endsWith("/_settings/adminservices")}>
                Service connections
              </PageLink>
              <PageLink href={pageUrls.doctor()} current={path.endsWith("/_svcconn/doctor")}>
                Doctor
              </PageLink>
            </>
          )}
          {administrator && (
            <>
              <Text weight="semibold" size={200}>
                Organization
              </Text>
              <PageLink href={pageUrls.emulator()} current={path.endsWith("/_svcconn/emulator")}>
                Emulator
              </PageLink>
            </>
          )}
        </nav>
        <main className={styles.main}>{page}</main>
      </div>
      <NewConnectionDialog />
    </>
  );
}
