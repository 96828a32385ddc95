import { Badge, Button, Field, Input, Spinner, Text, Title2, Title3, makeStyles } from "@fluentui/react-components";
import { useState } from "react";
import { useLoad } from "../use-load";
import { type EmulatorStatus, emulator } from "../api/svcconn";
import { ErrorBar } from "../components/error-bar";
import { SimpleTable } from "../components/simple-table";
import { syncEmulatorClock } from "../config";

const useStyles = makeStyles({
  section: { display: "flex", flexDirection: "column", gap: "10px", maxWidth: "860px", marginBottom: "28px" },
  row: { display: "flex", gap: "8px", alignItems: "end", flexWrap: "wrap", border: "none", padding: 0, margin: 0 },
  legend: { fontWeight: 600, marginBottom: "6px", padding: 0 },
});

const synced = (status: EmulatorStatus) => {
  syncEmulatorClock(status.now);
  return status;
};

const STEPS = [
  { label: "+1 hour", seconds: 3_600 },
  { label: "+1 day", seconds: 86_400 },
  { label: "+30 days", seconds: 30 * 86_400 },
  { label: "+91 days", seconds: 91 * 86_400 },
];

/** svcconn's own panel, for the organization's administrators: its clock and who is signed in. */
export function EmulatorPage() {
  const styles = useStyles();
  const read = useLoad((signal) => emulator.status(signal).then(synced), []);
  // The clock as the last move answered it, over what was read.
  const [moved, setStatus] = useState<EmulatorStatus>();
  const status = moved ?? read.data;
  const [failure, setError] = useState<string>();
  const error = failure ?? read.error;
  const [days, setDays] = useState("");
  const advance = (seconds: number) => {
    setError(undefined);
    emulator
      .advance(seconds)
      .then((moved) => setStatus(synced(moved)))
      .catch((e: Error) => setError(e.message));
  };
  const offsetDays = status ? status.offsetSeconds / 86_400 : 0;
  return (
    <>
      <section className={styles.section} aria-labelledby="clock-title">
        <Title2 as="h1" id="clock-title">
          Emulator: clock
        </Title2>
        <ErrorBar message={error} />
        {!status && !error && <Spinner size="tiny" label="Reading the emulator" />}
        {status && (
          <>
            <Text as="p" data-testid="emulator-now">
              svcconn's time is <strong>{new Date(status.now).toUTCString()}</strong>
              {status.offsetSeconds > 0 ? ` — ${offsetDays >= 1 ? `${offsetDays.toFixed(1)} days` : `${status.offsetSeconds} s`} ahead of this computer's clock` : ""}.
            </Text>
            <Text as="p" size={200}>
              Secrets, certificates, tokens, sessions and role-assignment propagation all follow this clock. It only moves forward.
            </Text>
            <fieldset className={styles.row}>
              <legend className={styles.legend}>Move the clock forward</legend>
              {STEPS.map((step) => (
                <Button key={step.label} onClick={() => advance(step.seconds)}>
                  {step.label}
                </Button>
              ))}
              <Field label="Days">
                <Input type="number" min={1} value={days} onChange={(_e, d) => setDays(d.value)} />
              </Field>
              <Button appearance="primary" disabled={!(Number(days) > 0)} onClick={() => advance(Math.round(Number(days) * 86_400))}>
                Move forward
              </Button>
            </fieldset>
          </>
        )}
      </section>
      {status && (
        <section className={styles.section} aria-labelledby="people-title">
          <Title3 as="h2" id="people-title">
            Who is signed in
          </Title3>
          <SimpleTable
            label="Members"
            columns={["Member", "Account", "Signed in", "Last active"]}
            rows={status.members}
            rowKey={(m) => m.id}
            cells={(m) => [
              m.displayName,
              m.uniqueName,
              <Badge key="signed-in" appearance="tint" color={m.signedIn ? "success" : "subtle"}>
                {m.signedIn ? "Signed in" : "Not signed in"}
              </Badge>,
              m.lastUsedAt ? new Date(m.lastUsedAt).toUTCString() : "—",
            ]}
          />
        </section>
      )}
    </>
  );
}
