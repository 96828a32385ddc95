import { Body1, Caption1, Card, CardHeader, Link, Spinner, Subtitle2, Text, makeStyles, tokens } from "@fluentui/react-components";
import { doctor } from "../api/svcconn";
import { useLoad } from "../use-load";
import { PageLink } from "./page-link";
import { pageUrls } from "../router";
import type { Explanation } from "../model";

const useStyles = makeStyles({
  card: { marginTop: "12px", borderLeft: `4px solid ${tokens.colorPaletteMarigoldBorderActive}` },
  list: { margin: "4px 0 8px", paddingLeft: "20px" },
});

/** The doctor's reading of an error text: cause, fix and how to verify, beside the failure itself. */
export function ExplanationView({ text, task, explanation: given, offerScan = false }: { text?: string; task?: string; explanation?: Explanation; offerScan?: boolean }) {
  const styles = useStyles();
  const asked = useLoad(given || !text ? undefined : (signal) => doctor.explain(text, { task }, signal), [text, task, given]);
  const explanation = given ?? asked.data;
  const error = asked.error;
  if (error) return <Text role="alert">The doctor could not read this message: {error}</Text>;
  if (!explanation) return <Spinner size="tiny" label="Asking the doctor" />;
  return (
    <Card className={styles.card} aria-label="Diagnosis" data-testid="explanation">
      <CardHeader
        header={<Subtitle2 as="h3">{explanation.id === "unknown" ? "The doctor does not recognise this message" : explanation.title}</Subtitle2>}
        description={<Caption1>Diagnosis {explanation.id} · confidence {Math.round(explanation.confidence * 100)} %</Caption1>}
      />
      {explanation.rootCauseClass === "other" && (
        <Body1 as="p" data-testid="not-the-connection">
          <strong>Not a service connection problem:</strong> no change to the connection will fix this.
        </Body1>
      )}
      {explanation.context?.task && (
        <Caption1 as="p">
          Task: {explanation.context.task}
          {explanation.context.taskSchemes && ` (supports ${explanation.context.taskSchemes.join(", ")})`}
        </Caption1>
      )}
      {explanation.uncertain && (
        <>
          <Body1 as="p" data-testid="uncertain">
            <strong>Uncertain.</strong> {explanation.uncertain.question}
          </Body1>
          <StepList title="Likeliest causes" items={explanation.uncertain.candidates.map((c) => `${c.title} (${Math.round(c.confidence * 100)} %)`)} />
        </>
      )}
      <Body1 as="p">
        <strong>Cause.</strong> {explanation.cause}
      </Body1>
      {explanation.undecided && (
        <>
          <Body1 as="p">
            <strong>Not decided:</strong> {explanation.undecided.reason}
          </Body1>
          <StepList title="To tell them apart" items={explanation.undecided.checks} />
        </>
      )}
      <StepList title="Fix" items={explanation.fix} />
      {explanation.verify.length > 0 && <StepList title="Verify" items={explanation.verify} />}
      {offerScan && (
        <Body1 as="p">
          The doctor can scan this project's connections and apply the fixes it can make with your rights:{" "}
          <PageLink href={pageUrls.doctor()}>open the doctor</PageLink>.
        </Body1>
      )}
      {explanation.references.length > 0 && (
        <Caption1>
          Read more:{" "}
          {explanation.references.map((r, i) => (
            <span key={r}>
              {i > 0 && " · "}
              <Link href={r} target="_blank" rel="noreferrer">
                {new URL(r).pathname.split("/").filter(Boolean).at(-1) ?? r}
              </Link>
            </span>
          ))}
        </Caption1>
      )}
    </Card>
  );
}

function StepList({ title, items }: { title: string; items: string[] }) {
  const styles = useStyles();
  return (
    <>
      <Body1 as="p">
        <strong>{title}</strong>
      </Body1>
      <ol className={styles.list}>
        {items.map((item) => (
          <li key={item}>{item}</li>
        ))}
      </ol>
    </>
  );
}
